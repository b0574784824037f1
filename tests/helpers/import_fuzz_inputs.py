"""The CRM import fuzz's inputs (hypothesis strategies).

Inputs are the real data sets of ../shared/datasets mutated cell by cell and byte
by byte, fully random small files, and zip archives laid out wrongly or damaged,
through the three ways files arrive: a folder, a zip archive on disk, admin uploads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sales.importers import ImportResult, crm_import_path, crm_import_uploads
from tests.helpers.import_fuzz_values import COLUMNS, HOSTILE_TEXT, SOURCES, TEXT_COLUMNS, cells, real_files, real_table
from tests.sales.fixtures.importing import TODAY

# Reproducible in CI: the same examples on every run, no example database.
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# Mutations a real export may well have, which the import must take (or refuse with a message)...
PLAUSIBLE_OPS = (
    "cell from another row",
    "hostile text",
    "drop rows",
    "shuffle rows",
    "truncate rows",
    "shuffle columns",
)
# ... and mutations of a broken or hostile file.
BROKEN_OPS = (
    "hostile cell",
    "hostile column",
    "swap cells",
    "swap column values",
    "duplicate row",
    "drop column",
    "duplicate column",
    "rename column",
    "ragged row",
    "blank line",
)

# Edits of a value are drawn more often than the rest: most of the inputs that get written come from them.
EDITS = st.sampled_from(("hostile text", "cell from another row"))
PLAUSIBLE_ROW_OPS = st.one_of(EDITS, st.sampled_from(PLAUSIBLE_OPS))
BROKEN_ROW_OPS = st.one_of(EDITS, st.sampled_from(PLAUSIBLE_OPS), st.sampled_from(BROKEN_OPS))
# A BOM and CRLF are fine; old Mac CR-only lines and other encodings are not.
PLAUSIBLE_NEWLINES, BROKEN_NEWLINES = ("\n", "\r\n"), ("\n", "\r\n", "\r")
PLAUSIBLE_ENCODINGS, BROKEN_ENCODINGS = ("utf-8", "utf-8-sig"), ("utf-16", "utf-16-be", "latin-1", "cp1252")
NEEDS_ROWS = ("cell from another row", "hostile text", "hostile cell", "swap cells", "ragged row")
NEEDS_COLUMNS = (
    "cell from another row",
    "hostile cell",
    "hostile column",
    "swap cells",
    "swap column values",
    "drop column",
    "duplicate column",
    "rename column",
)
BYTE_OPS = ("flip", "insert", "delete", "truncate")
INSERTED = (b'"', b"\x00", b"\xff", b"\xc3", b"\r", b"\n", b",", b"\xef\xbb\xbf", b"\xfe\xff")


def _row_op(draw, op: str, table: list[list[str]], format: str, name: str) -> None:
    """Apply one table mutation in place (header = table[0])."""
    rows, width = len(table) - 1, len(table[0])

    def hostile(column: int) -> st.SearchStrategy[str]:
        return cells(format, table[0][column] if column < len(table[0]) else "")

    if (rows == 0 and op in NEEDS_ROWS) or (width == 0 and op in NEEDS_COLUMNS):
        return
    texts = [i for i, column in enumerate(table[0]) if column in TEXT_COLUMNS]
    if op == "hostile text" and texts:
        row = table[draw(st.integers(1, rows))]
        column = draw(st.sampled_from(texts))
        if column < len(row):
            row[column] = draw(st.sampled_from(HOSTILE_TEXT))
    elif op == "cell from another row":  # most often a plausible value: the import updates a row
        row, other = table[draw(st.integers(1, rows))], table[draw(st.integers(1, rows))]
        column = draw(st.integers(0, width - 1))
        if column < min(len(row), len(other)):
            row[column] = other[column]
    elif op == "hostile cell":
        row = table[draw(st.integers(1, rows))]
        column = draw(st.integers(0, width - 1))
        if column < len(row):
            row[column] = draw(hostile(column))
    elif op == "hostile column":
        column = draw(st.integers(0, width - 1))
        value = draw(hostile(column))
        for row in table[1:]:
            if column < len(row):
                row[column] = value
    elif op == "swap cells":
        row = table[draw(st.integers(1, rows))]
        a, b = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
        if max(a, b) < len(row):
            row[a], row[b] = row[b], row[a]
    elif op == "swap column values":
        a, b = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
        for row in table[1:]:
            if max(a, b) < len(row):
                row[a], row[b] = row[b], row[a]
    elif op == "drop rows" and rows:
        start = draw(st.integers(1, rows))
        del table[start : start + draw(st.integers(1, 10))]
    elif op == "duplicate row" and rows:
        copy = list(table[draw(st.integers(1, rows))])
        table.insert(draw(st.integers(1, rows + 1)), copy)
    elif op == "shuffle rows":
        body = table[1:]
        draw(st.randoms(use_true_random=False)).shuffle(body)
        table[1:] = body
    elif op == "truncate rows":
        del table[1 + draw(st.integers(0, rows)) :]
    elif op == "drop column":
        column = draw(st.integers(0, width - 1))
        for row in table:
            if column < len(row):
                del row[column]
    elif op == "duplicate column":
        column = draw(st.integers(0, width - 1))
        for row in table:
            if column < len(row):
                row.insert(column, row[column])
    elif op == "shuffle columns":
        order = draw(st.permutations(range(width)))
        table[:] = [[row[i] for i in order] if len(row) == width else row for row in table]
    elif op == "rename column":
        table[0][draw(st.integers(0, width - 1))] = draw(
            st.one_of(st.sampled_from(COLUMNS[format][name].known), st.sampled_from(("", "colour", "Name "))),
        )
    elif op == "ragged row":
        row = table[draw(st.integers(1, rows))]
        if row and draw(st.booleans()):
            row.pop()
        else:
            row.append(draw(cells(format)))
    elif op == "blank line":
        table.insert(draw(st.integers(1, rows + 1)), [])


def _bytes_mutated(draw, data: bytes) -> bytes:
    for op in draw(st.lists(st.sampled_from(BYTE_OPS), max_size=3)):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif op == "insert":
            data = data[:at] + draw(st.one_of(st.sampled_from(INSERTED), st.binary(min_size=1, max_size=8))) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        else:
            data = data[:at]
    return data


def _csv_bytes(draw, table: list[list[str]], *, broken: bool) -> bytes:
    """The table as CSV text; a broken file is in a wrong encoding or has CR-only lines one time in two."""
    buffer = io.StringIO()
    newline = draw(st.sampled_from(BROKEN_NEWLINES if broken else PLAUSIBLE_NEWLINES))
    csv.writer(buffer, lineterminator=newline).writerows(table)
    encodings = PLAUSIBLE_ENCODINGS + BROKEN_ENCODINGS if broken and draw(st.booleans()) else PLAUSIBLE_ENCODINGS
    return buffer.getvalue().encode(draw(st.sampled_from(encodings)), errors="replace")


@st.composite
def mutated_real_file(draw, format: str, name: str, *, broken: bool) -> bytes:
    """A real file of the data set: a window of its rows (or all), with edits a real export may have;
    a ``broken`` one is also mutated like a damaged or hostile file, by rows, cells, encoding and bytes."""
    header, *rows = real_table(format, name)
    if draw(st.integers(0, 3)) < 3 and rows:
        start = draw(st.integers(0, len(rows) - 1))
        rows = rows[start : start + draw(st.integers(1, 30))]
    table = [list(header), *(list(row) for row in rows)]
    for op in draw(st.lists(BROKEN_ROW_OPS if broken else PLAUSIBLE_ROW_OPS, max_size=4)):
        _row_op(draw, op, table, format, name)
    data = _csv_bytes(draw, table, broken=broken)
    return _bytes_mutated(draw, data) if broken and draw(st.booleans()) else data


@st.composite
def random_file(draw, format: str, name: str) -> bytes:
    """Random bytes, or a random table under a header that mostly names the file's columns."""
    if draw(st.integers(0, 4)) == 4:
        return draw(st.binary(max_size=300))
    columns = COLUMNS[format][name]
    if draw(st.integers(0, 3)) < 3:
        optional = draw(st.lists(st.sampled_from((*columns.optional, *columns.ignored, "colour", "")), unique=True))
        header = list(draw(st.permutations([*columns.required, *optional])))
    else:
        header = draw(st.lists(st.sampled_from((*columns.known, "colour", "")), min_size=1, max_size=6))
    row = st.tuples(*(cells(format, column) for column in header)).map(list)
    ragged = st.lists(cells(format), max_size=len(header) + 2)
    table = [header, *draw(st.lists(st.one_of(row, row, ragged), max_size=8))]
    return _bytes_mutated(draw, _csv_bytes(draw, table, broken=True))


@st.composite
def file_sets(draw, format: str, *, random: bool) -> dict[str, bytes]:
    """Some files of ``format``: random ones, or real ones edited plausibly (one set in two) or broken."""
    names = draw(st.lists(st.sampled_from(list(COLUMNS[format])), min_size=1, max_size=4, unique=True))
    if random:
        return {name: draw(random_file(format, name)) for name in names}
    broken = draw(st.booleans())
    return {name: draw(mutated_real_file(format, name, broken=broken)) for name in names}


def _shown(data: bytes, limit: int = 2000) -> str:
    if len(data) <= limit:
        return repr(data)
    return f"<{len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()[:12]}, starting {data[:300]!r}>"


@dataclass(frozen=True)
class FuzzInput:
    """Files of one import and how they arrive: ``folder``, ``uploads`` or ``archive`` (a zip on disk)."""

    format: str
    route: str
    files: tuple[tuple[str, bytes], ...]

    def __repr__(self) -> str:
        shown = ", ".join(f"({name!r}, {_shown(data)})" for name, data in self.files)
        return f"FuzzInput(format={self.format!r}, route={self.route!r}, files=({shown},))"

    def names(self) -> set[str]:
        return {name for name, _ in self.files}

    def run(self, *, dry_run: bool) -> ImportResult:
        if self.route == "uploads":
            uploads = [SimpleUploadedFile(name, data) for name, data in self.files]
            return crm_import_uploads(uploads=uploads, format=self.format, dry_run=dry_run)
        with tempfile.TemporaryDirectory(prefix="crm-fuzz-") as tmp:
            folder = Path(tmp)
            for name, data in self.files:
                (folder / name).write_bytes(data)
            path = folder if self.route == "folder" else folder / self.files[0][0]
            return crm_import_path(path=path, format=self.format, dry_run=dry_run, today=TODAY)


EXTRA_UPLOADS = (("notes.txt", b"hello"), ("Deals.CSV", b"external_id\n"), ("deals.csv.txt", b""))


@st.composite
def csv_inputs(draw, format: str, *, random: bool = False) -> FuzzInput:
    files = list(draw(file_sets(format, random=random)).items())
    route = draw(st.sampled_from(("folder", "uploads")))
    if route == "uploads":
        files += draw(st.lists(st.sampled_from(EXTRA_UPLOADS), max_size=2, unique=True))
        if draw(st.integers(0, 4)) == 4:  # one file uploaded twice
            files.append(files[0])
    return FuzzInput(format, route, tuple(files))


def zip_archive(members: list[tuple[str, bytes]], compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


EXTRA_MEMBERS = (
    ("README.md", b"# export\n"),
    ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("__MACOSX/._deals.csv", b"\x00\x05\x16\x07"),
    (".DS_Store", b"\x00\x00\x00\x01Bud1"),
    ("docs/", b""),
    ("notes.csv", b"a,b\n1,2\n"),
    ("../reps.csv", b"external_id,name\nr99,Escaped\n"),
    ("/etc/reps.csv", b"external_id,name\n"),
    ("C:/export/deals.csv", b"external_id\n"),
    ("a/b/c/deals.csv", b"external_id\n"),
    ("inner.zip", zip_archive([("deals.csv", b"external_id\n")], zipfile.ZIP_DEFLATED)),
)
LAYOUTS = {
    "top": lambda i: "",
    "one folder": lambda i: "export/",
    "nested folders": lambda i: "export/2025/",
    "two folders": lambda i: "a/" if i % 2 else "b/",
}
COMPRESSIONS = (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# Fields of a central directory entry (offset, width): what a damaged archive gets wrong.
CENTRAL_FIELDS = {"version": (6, 2), "flags": (8, 2), "method": (10, 2), "sizes": (20, 8), "name": (46, 1)}


def central_entries(data: bytes) -> list[int]:
    found, at = [], data.find(b"PK\x01\x02")
    while at >= 0:
        found.append(at)
        at = data.find(b"PK\x01\x02", at + 1)
    return found


def _zip_damaged(draw, data: bytes) -> bytes:
    """Damage an archive: nowhere, anywhere (bytes), or in one field of its central directory."""
    how = draw(st.sampled_from(("intact", "bytes", "central directory", "encrypted", "name not UTF-8")))
    entries = central_entries(data)
    if how == "bytes":
        return _bytes_mutated(draw, data)
    if how == "intact" or not entries:
        return data
    at = entries[draw(st.integers(0, len(entries) - 1))]
    flags = int.from_bytes(data[at + 8 : at + 10], "little")
    if how == "encrypted":
        patch = {8: (flags | 0x1).to_bytes(2, "little")}
    elif how == "name not UTF-8":
        patch = {8: (flags | 0x800).to_bytes(2, "little"), 46: b"\xff"}
    else:
        offset, width = CENTRAL_FIELDS[draw(st.sampled_from(list(CENTRAL_FIELDS)))]
        patch = {offset: draw(st.binary(min_size=width, max_size=width))}
    for offset, value in patch.items():
        data = data[: at + offset] + value + data[at + offset + len(value) :]
    return data


@st.composite
def archive_inputs(draw) -> FuzzInput:
    """A zip of real (mutated) or random files, laid out one way or another, maybe damaged."""
    format = draw(st.sampled_from(list(SOURCES)))
    files = draw(file_sets(format, random=draw(st.booleans())))
    prefix = LAYOUTS[draw(st.sampled_from(list(LAYOUTS)))]
    members = [(prefix(i) + name, data) for i, (name, data) in enumerate(files.items())]
    members += draw(st.lists(st.sampled_from(EXTRA_MEMBERS), max_size=3, unique=True))
    if draw(st.integers(0, 9)) == 9:  # more members than an archive may hold
        members += [(f"extra{i}.txt", b"x") for i in range(50)]
    data = _zip_damaged(draw, zip_archive(members, draw(st.sampled_from(COMPRESSIONS))))
    name = draw(st.sampled_from(("export.zip", "EXPORT.ZIP", "crm export.zip")))
    if draw(st.booleans()):
        return FuzzInput(format, "archive", ((name, data),))
    loose = draw(st.lists(st.sampled_from(sorted(real_files(format).items())), max_size=2, unique=True))
    return FuzzInput(format, "uploads", ((name, data), *loose))
