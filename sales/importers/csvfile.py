"""Streaming, strict reading of one CSV file.

Lines are read as bytes with a length limit and decoded one by one, so a file
that is not UTF-8, is binary, or has a monstrous line gets an error naming the
line instead of a traceback or a memory blow-up, and memory never holds more
than one line (plus the rows a caller batches).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sales.importers.issues import IssueLog

# A CSV line of a CRM export is a few hundred bytes; one of a megabyte is a
# broken or hostile file. Refusing it keeps memory flat.
MAX_LINE_BYTES = 1024 * 1024

_MAGIC = (
    (b"PK\x03\x04", "a zip archive (or an .xlsx workbook)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an .xls workbook"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


@dataclass(frozen=True)
class Columns:
    """The columns a file may have: required ones must be in the header."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    # Columns that belong to the format but are not read (no unknown-column warning).
    ignored: tuple[str, ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional + self.ignored


class _StopFile(Exception):
    """The file cannot be read further; the error is already logged."""


class CsvFile:
    """One CSV file of an import; ``rows()`` yields ``(line, {column: value})``."""

    def __init__(self, name: str, stream: BinaryIO, log: IssueLog, *, max_line_bytes: int = MAX_LINE_BYTES):
        self.name = name
        self.stream = stream
        self.log = log
        self.max_line_bytes = max_line_bytes
        self.header: list[str] = []
        # Whether every line was read (no file-level error): references into an
        # incomplete file cannot be checked, so they are not reported as unknown.
        self.complete = False

    def _lines(self) -> Iterator[str]:
        readline = self.stream.readline
        limit = self.max_line_bytes
        number = 0
        while True:
            raw = readline(limit + 1)
            if not raw:
                return
            number += 1
            if number == 1:
                for magic, what in _MAGIC:
                    if raw.startswith(magic):
                        self.log.error(self.name, None, "", f"this is {what}, not a CSV text file")
                        raise _StopFile
            if len(raw) > limit and not raw.endswith(b"\n"):
                self.log.error(
                    self.name,
                    number,
                    "",
                    f"line is longer than {limit:,} bytes; refusing to read the file further "
                    "(a CSV line of a CRM export is far shorter: is this the right file?)",
                )
                raise _StopFile
            if b"\x00" in raw:
                self.log.error(self.name, number, "", "binary data (a NUL byte): this is not a CSV text file")
                raise _StopFile
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.log.error(
                    self.name,
                    number,
                    "",
                    f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start + 1}); "
                    "save the file as UTF-8 (CSV UTF-8 in Excel)",
                )
                raise _StopFile from None
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield text

    def rows(self, columns: Columns) -> Iterator[tuple[int, dict[str, str]]]:
        """Check the header against ``columns`` and yield the data rows, stripped.

        On a header or file-level error, the error is logged and no row is yielded.
        """
        csv.field_size_limit(self.max_line_bytes)  # process-wide; set again in case someone changed it
        reader = csv.reader(self._lines(), strict=True)
        previous_line = 0
        try:
            header = None
            for cells in reader:
                previous_line = reader.line_num
                if any(c.strip() for c in cells):
                    header = [c.strip() for c in cells]
                    break
            if header is None:
                self.log.error(
                    self.name, 1, "", f"the file is empty: expected a header row ({', '.join(columns.required)}, ...)"
                )
                return
            header_line = previous_line
            if not self._header_ok(header, header_line, columns):
                return
            self.header = header
            width = len(header)
            for cells in reader:
                line = previous_line + 1
                previous_line = reader.line_num
                if len(cells) != width:
                    if not any(c.strip() for c in cells):
                        continue  # a blank line
                    self.log.error(self.name, line, "", f"this row has {len(cells)} fields, the header has {width}")
                    continue
                yield line, dict(zip(header, [c.strip() for c in cells], strict=True))
            self.complete = True
        except _StopFile:
            return
        except csv.Error as exc:
            self.log.error(self.name, previous_line + 1, "", f"malformed CSV: {exc}; reading of this file stopped")

    def _header_ok(self, header: list[str], line: int, columns: Columns) -> bool:
        known = set(columns.known)
        if not known.intersection(header):
            shown = ", ".join(repr(h) for h in header[:5])
            self.log.error(
                self.name,
                line,
                "",
                f"no header row: the first line ({shown}) names none of the expected columns "
                f"({', '.join(columns.required + columns.optional)})",
            )
            return False
        ok = True
        seen: set[str] = set()
        for name in header:
            if name and name in seen:
                self.log.error(self.name, line, name, "this column appears twice in the header")
                ok = False
            seen.add(name)
        for name in columns.required:
            if name not in seen:
                self.log.error(self.name, line, name, "required column missing from the header")
                ok = False
        for name in header:
            if name not in known:
                if name:
                    self.log.warn(self.name, line, name, "unknown column (ignored)")
                else:
                    self.log.warn(self.name, line, "", "a column has no name (ignored)")
        return ok
