"""Errors, warnings and counts of one import.

Every problem is an ``Issue`` printed as ``file:line: column: message`` (the
header is line 1); the line or the column is left out where none applies.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

# Repeated warnings of one kind (say, a formula-looking cell on every row) are
# listed this many times, then summed up in one line, so a big file cannot
# drown the report. Errors are never capped: every error is reported.
WARNINGS_LISTED_PER_KIND = 20


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Issue:
    file: str
    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class IssueLog:
    """Collects every error and the warnings of one import, in the order found."""

    def __init__(self) -> None:
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self._warning_kinds: dict[tuple[str, str, str], int] = defaultdict(int)

    def error(self, file: str, line: int | None, column: str, message: str) -> None:
        self.errors.append(Issue(file, line, column, message))

    def warn(self, file: str, line: int | None, column: str, message: str, *, kind: str = "") -> None:
        """Add a warning; with ``kind``, only the first few of that kind are listed."""
        if kind:
            key = (file, column, kind)
            self._warning_kinds[key] += 1
            if self._warning_kinds[key] > WARNINGS_LISTED_PER_KIND:
                return
        self.warnings.append(Issue(file, line, column, message))

    def close(self) -> None:
        """Sum up the warnings that were not listed one by one."""
        for (file, column, kind), count in self._warning_kinds.items():
            if count > WARNINGS_LISTED_PER_KIND:
                more = count - WARNINGS_LISTED_PER_KIND
                self.warnings.append(Issue(file, None, column, f"{more:,} more rows like this ({kind})"))
        self._warning_kinds.clear()


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class ImportResult:
    """What an import found and did (or, on a dry run or a failure, would have done)."""

    format: str
    dry_run: bool
    files: list[dict] = field(default_factory=list)  # {"name", "sha256", "size"}
    counts: dict[str, dict[str, Counts]] = field(default_factory=dict)  # file -> entity -> counts
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # First days of the months whose KPIs the written rows touch (to recompute).
    affected_months: set[datetime.date] = field(default_factory=set)
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def counts_for(self, file: str, entity: str) -> Counts:
        return self.counts.setdefault(file, {}).setdefault(entity, Counts())

    def totals(self) -> Counts:
        total = Counts()
        for entities in self.counts.values():
            for counts in entities.values():
                total.created += counts.created
                total.updated += counts.updated
                total.unchanged += counts.unchanged
        return total

    def counts_as_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        return {f: {e: c.as_dict() for e, c in entities.items()} for f, entities in self.counts.items()}

    def summary_lines(self) -> list[str]:
        """The per-file table and the verdict, for a person."""
        lines = []
        if self.errors or self.dry_run:
            lines.append("What the import would do (nothing was written):")
        width = max([len(f"{f} ({e})") for f, es in self.counts.items() for e in es] + [10])
        lines.append(f"{'file (rows)':<{width}}  {'created':>9}  {'updated':>9}  {'unchanged':>9}")
        for file, entities in self.counts.items():
            for entity, c in entities.items():
                label = f"{file} ({entity})"
                lines.append(f"{label:<{width}}  {c.created:>9,}  {c.updated:>9,}  {c.unchanged:>9,}")
        t = self.totals()
        lines.append(f"{'total':<{width}}  {t.created:>9,}  {t.updated:>9,}  {t.unchanged:>9,}")
        lines.append(f"{plural(len(self.errors), 'error')}, {plural(len(self.warnings), 'warning')}.")
        if self.errors:
            lines.append("Import failed: nothing was written.")
        elif self.dry_run:
            lines.append("Dry run: nothing was written (the counts say what an import would do).")
        else:
            lines.append("Import done.")
        return lines
