"""What every format reader shares: opening its files, claiming keys, refusing unknown references."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator

from sales.importers.cells import Row
from sales.importers.core import ImportContext
from sales.importers.csvfile import Columns, CsvFile
from sales.importers.sources import ImportFile


def duplicate_message(what: str, value: str, first_line: int) -> str:
    return f"duplicate {what} {value!r} (first on line {first_line})"


def claim(row: Row, lines: dict[Hashable, int], key, *, column: str = "external_id", what: str = "external id") -> bool:
    """Record that ``key`` is first given on ``row``; False (after reporting it) when it was given before.

    A blank ``key`` (its cell already refused or empty) claims nothing and returns False too.
    """
    if not key:
        return False
    if key in lines:
        row.error(column, duplicate_message(what, key, lines[key]))
        return False
    lines[key] = row.line
    return True


class FormatReader:
    """The files of one import format, read in dependency order into an ``ImportContext``."""

    files_columns: dict[str, Columns] = {}

    def __init__(self, ctx: ImportContext, files: dict[str, ImportFile]):
        self.ctx = ctx
        self.log = ctx.log
        self.files = files

    def _each(self, name: str, handler: Callable[[str, Iterable], None]) -> None:
        """Hand the rows of file ``name`` (when given) to ``handler``; note it when it could not be read whole."""
        source = self.files.get(name)
        if source is None:
            return
        with source.open() as stream:
            reader = CsvFile(name, stream, self.log)
            handler(name, self._wrap(name, reader.rows(self.files_columns[name])))
        if not reader.complete:
            self.ctx.broken_files.add(name)

    def _wrap(self, name: str, rows: Iterator[tuple[int, dict[str, str]]]) -> Iterable:
        """What a handler gets of the rows: by default ``Row`` objects."""
        return (Row(name, line, data, self.log) for line, data in rows)

    def _unsure(self, *files: str) -> bool:
        """Whether one of ``files`` could not be read whole (so a missing reference may be in it)."""
        return any(f in self.ctx.broken_files for f in files)

    def _unknown(self, row: Row, column: str, source: str, message: str) -> None:
        """Refuse ``row`` for naming what ``source`` does not have.

        When ``source`` could not be read whole the row is refused silently: the name
        may be in its unread part, and that file's error is reported already.
        """
        if self._unsure(source):
            row.ok = False
        else:
            row.error(column, message)
