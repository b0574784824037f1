"""Where the CSV files of an import come from: a folder, a zip archive, uploaded files.

Each source yields ``ImportFile``s (name, size, sha256, a way to open the bytes).
Archives are checked before anything is read: no absolute or ``..`` paths, no
nested folders, no encryption, and size limits that hold whatever the archive
claims (zipfile never inflates a member beyond its declared size).
"""

from __future__ import annotations

import contextlib
import hashlib
import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings

from sales.importers.issues import IssueLog

MiB = 1024 * 1024
# Defaults, overridable in settings: enough for millions of rows, not for a zip bomb.
DEFAULT_MAX_TOTAL_BYTES = 2048 * MiB
DEFAULT_MAX_FILES = 50
MAX_COMPRESSION_RATIO = 200  # CSV compresses 5-20x; 1000x is a bomb
# What zipfile raises on a damaged or unsupported archive besides BadZipFile: a version, compression
# method or flag it does not support (NotImplementedError), a member name that is not the UTF-8 its
# flag claims or an offset before the start (ValueError), corrupt compressed data (zlib.error,
# lzma.LZMAError, OSError from bz2), data cut short (EOFError). Encrypted members are refused before.
ARCHIVE_DAMAGE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
)


def max_total_bytes() -> int:
    return getattr(settings, "CRM_IMPORT_MAX_BYTES", DEFAULT_MAX_TOTAL_BYTES)


@dataclass(frozen=True)
class ImportFile:
    name: str
    size: int
    sha256: str
    opener: Callable[[], contextlib.AbstractContextManager[BinaryIO]]

    def open(self) -> contextlib.AbstractContextManager[BinaryIO]:
        return self.opener()

    def describe(self) -> dict:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _keep(name: str, known: tuple[str, ...], log: IssueLog, *, label: str = "") -> bool:
    """Whether ``name`` is one of the format's files (else a warning)."""
    if name in known:
        return True
    where = f"{label}: {name}" if label else name
    log.warn(where, None, "", f"not a file of this format (ignored); its files are {', '.join(known)}")
    return False


def import_files_from_dir(path: Path, *, known: Iterable[str], log: IssueLog) -> dict[str, ImportFile]:
    """The format's files found directly in folder ``path`` (other entries are warned about)."""
    known = tuple(known)
    files: dict[str, ImportFile] = {}
    for entry in sorted(path.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            log.warn(entry.name, None, "", "a folder inside the import folder (ignored)")
            continue
        if not _keep(entry.name, known, log):
            continue
        with entry.open("rb") as stream:
            digest = _sha256(stream)

        def opener(entry: Path = entry):
            return entry.open("rb")

        files[entry.name] = ImportFile(entry.name, entry.stat().st_size, digest, opener)
    total = sum(f.size for f in files.values())
    if total > max_total_bytes():
        log.error(str(path), None, "", f"the files hold {total:,} bytes, more than the limit of {max_total_bytes():,}")
    return files


def import_files_from_zip(
    archive: str | Path | BinaryIO, *, label: str, known: Iterable[str], log: IssueLog
) -> dict[str, ImportFile]:
    """The format's files in a zip archive, after checking it is safe to read."""
    known = tuple(known)
    try:
        zf = zipfile.ZipFile(archive)
    except ARCHIVE_DAMAGE:
        log.error(label, None, "", "not a zip archive (or a damaged one)")
        return {}
    if any(not info.filename for info in zf.infolist()):  # zipfile cuts a name at its first NUL byte
        log.error(label, None, "", "not a zip archive (or a damaged one): a file in it has no name")
        return {}
    members = [
        info
        for info in zf.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and not PurePosixPath(info.filename).name.startswith(".")
    ]
    if len(members) > DEFAULT_MAX_FILES:
        log.error(label, None, "", f"the archive holds {len(members)} files; at most {DEFAULT_MAX_FILES} are read")
        return {}
    folders = set()
    chosen: dict[str, zipfile.ZipInfo] = {}
    ok = True
    for info in members:
        name = info.filename
        parts = PurePosixPath(name).parts
        if "\\" in name or name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            log.error(label, None, name, "unsafe path in the archive (absolute or with '..'): refused")
            ok = False
            continue
        if len(parts) > 2:
            log.error(label, None, name, "nested folders are not read: put the CSV files at the top of the archive")
            ok = False
            continue
        if len(parts) == 2:
            folders.add(parts[0])
        if info.flag_bits & 0x1:
            log.error(label, None, name, "encrypted files cannot be read")
            ok = False
            continue
        if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1) and info.file_size > 10 * MiB:
            log.error(
                label,
                None,
                name,
                f"inflates {info.file_size // max(info.compress_size, 1):,}x ({info.file_size:,} bytes): refused",
            )
            ok = False
            continue
        base = parts[-1]
        if base in chosen:
            log.error(label, None, name, f"two files named {base} in the archive")
            ok = False
            continue
        if _keep(base, known, log, label=label):
            chosen[base] = info
    if len(folders) > 1:
        log.error(label, None, "", f"files in several folders ({', '.join(sorted(folders))}): use one folder")
        ok = False
    total = sum(info.file_size for info in chosen.values())
    if total > max_total_bytes():
        log.error(
            label, None, "", f"the files inflate to {total:,} bytes, more than the limit of {max_total_bytes():,}"
        )
        ok = False
    if not ok:
        return {}
    files = {}
    for base, info in chosen.items():
        try:
            with zf.open(info) as stream:
                digest = _sha256(stream)
        except ARCHIVE_DAMAGE as exc:
            log.error(label, None, info.filename, f"cannot be read from the archive ({exc})")
            continue

        def opener(info: zipfile.ZipInfo = info):
            return zf.open(info)

        files[base] = ImportFile(base, info.file_size, digest, opener)
    return files


@contextlib.contextmanager
def _rewound(stream: BinaryIO) -> Iterator[BinaryIO]:
    stream.seek(0)
    yield stream


def import_files_from_uploads(uploads: Iterable, *, known: Iterable[str], log: IssueLog) -> dict[str, ImportFile]:
    """Files uploaded in the admin: CSV files, or zip archives of them."""
    known = tuple(known)
    files: dict[str, ImportFile] = {}
    total = 0
    for upload in uploads:
        name = PurePosixPath(upload.name.replace("\\", "/")).name
        total += upload.size
        if total > max_total_bytes():
            log.error(name, None, "", f"the upload is larger than the limit of {max_total_bytes():,} bytes")
            return {}
        stream = upload.file
        if name.lower().endswith(".zip"):
            stream.seek(0)
            for base, item in import_files_from_zip(stream, label=name, known=known, log=log).items():
                if base in files:
                    log.error(name, None, base, "this file is uploaded twice")
                files[base] = item
            continue
        if not _keep(name, known, log):
            continue
        if name in files:
            log.error(name, None, "", "this file is uploaded twice")
            continue
        stream.seek(0)
        digest = _sha256(stream)
        files[name] = ImportFile(name, upload.size, digest, lambda stream=stream: _rewound(stream))
    return files
