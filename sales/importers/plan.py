"""What an import will write: rows compared with the database, spooled to disk.

Validation produces records in natural keys (territory codes, external ids).
An ``Upserter`` compares them, a batch at a time, with the existing rows (one
query per batch) and spools the rows to create and to update into a temporary
file, so memory holds one batch whatever the file size. The writer reads the
spools back once nothing is wrong.
"""

from __future__ import annotations

import datetime
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models

from sales.importers.issues import Counts

BATCH_SIZE = 5000


@dataclass(frozen=True)
class Ref:
    """A foreign key given by a natural key: ``Ref(Territory, "code")``."""

    model: type[models.Model]
    key: str


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the model field (a ForeignKey's name for refs)
    lookup: str  # how to read the natural value back: "owner__external_id"
    ref: Ref | None = None
    month: bool = False  # a date whose month the KPIs of the row depend on


def field(name: str, *, month: bool = False) -> FieldSpec:
    return FieldSpec(name, name, None, month)


def ref(name: str, model: type[models.Model], key: str) -> FieldSpec:
    return FieldSpec(name, f"{name}__{key}", Ref(model, key))


@dataclass(frozen=True)
class EntitySpec:
    """How one model is upserted: its natural key fields, then its value fields."""

    label: str
    model: type[models.Model]
    key: tuple[FieldSpec, ...]
    values: tuple[FieldSpec, ...]
    # Small tables are loaded whole once instead of a query per batch.
    preload: bool = False
    # Big fact tables go through PostgreSQL's COPY when inserting.
    copy: bool = False

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return self.key + self.values

    @property
    def month_indexes(self) -> tuple[int, ...]:
        return tuple(i for i, f in enumerate(self.fields) if f.month)


class Spool:
    """Batches of rows pickled to a temporary file, read back in order."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="crm-import-")  # noqa: SIM115 - closed by close()
        self.count = 0

    def write(self, rows: list) -> None:
        if rows:
            pickle.dump(rows, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += len(rows)

    def batches(self) -> Iterator[list]:
        self._file.flush()
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


class Upserter:
    """Classify records of one entity as created / updated / unchanged, a batch at a time."""

    def __init__(self, spec: EntitySpec, counts: Counts, months: set[datetime.date]):
        self.spec = spec
        self.counts = counts
        self.months = months
        self.creates = Spool()
        self.updates = Spool()  # (pk, record)
        self._buffer: list[tuple] = []
        self._key_width = len(spec.key)
        self._lookups = ["pk"] + [f.lookup for f in spec.fields]
        self._month_indexes = spec.month_indexes
        self._preloaded: dict[Any, tuple] | None = None
        # An empty table needs no comparison at all (the first import of a big set).
        self._table_empty = not spec.model.objects.exists()

    def add(self, record: tuple) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= BATCH_SIZE:
            self._flush()

    def finish(self) -> None:
        self._flush()

    def _key(self, record: tuple) -> Any:
        return record[0] if self._key_width == 1 else record[: self._key_width]

    def _existing(self, records: list[tuple]) -> dict[Any, tuple]:
        if self._table_empty:
            return {}
        width = self._key_width
        if self.spec.preload:
            if self._preloaded is None:
                rows = self.spec.model.objects.values_list(*self._lookups)
                self._preloaded = {(r[1] if width == 1 else r[1 : 1 + width]): r for r in rows}
            return self._preloaded
        assert width == 1, "per-batch lookups need a single key field"
        keys = [r[0] for r in records]
        rows = self.spec.model.objects.filter(**{f"{self.spec.key[0].lookup}__in": keys}).values_list(*self._lookups)
        return {r[1]: r for r in rows}

    def _flush(self) -> None:
        records, self._buffer = self._buffer, []
        if not records:
            return
        existing = self._existing(records)
        creates, updates = [], []
        months = self.months
        indexes = self._month_indexes
        for record in records:
            row = existing.get(self._key(record))
            if row is None:
                creates.append(record)
            elif row[1:] == record:
                self.counts.unchanged += 1
                continue
            else:
                updates.append((row[0], record))
                for i in indexes:
                    if row[1 + i] is not None:
                        months.add(month_of(row[1 + i]))
            for i in indexes:
                if record[i] is not None:
                    months.add(month_of(record[i]))
        self.counts.created += len(creates)
        self.counts.updated += len(updates)
        self.creates.write(creates)
        self.updates.write(updates)

    def close(self) -> None:
        self.creates.close()
        self.updates.close()


class AssignmentBook:
    """Who was assigned where, when: the merged state after the import (point-in-time lookups)."""

    def __init__(self) -> None:
        self._by_rep: dict[str, list[tuple[datetime.date | None, datetime.date | None, str]]] = {}

    def set(self, rep: str, periods: list[tuple[datetime.date | None, datetime.date | None, str]]) -> None:
        self._by_rep[rep] = periods

    def territory_on(self, rep: str, day: datetime.date) -> str | None:
        for start, end, territory in self._by_rep.get(rep, ()):
            if (start is None or start <= day) and (end is None or day <= end):
                return territory
        return None


class RefResolver:
    """Natural keys to primary keys, cached, one query per batch of misses."""

    def __init__(self, model: type[models.Model], key: str):
        self.model = model
        self.key = key
        self._cache: dict[Any, int] = {}

    def resolve(self, keys: set) -> dict[Any, int]:
        missing = [k for k in keys if k not in self._cache and k is not None]
        for start in range(0, len(missing), BATCH_SIZE):
            chunk = missing[start : start + BATCH_SIZE]
            self._cache.update(self.model.objects.filter(**{f"{self.key}__in": chunk}).values_list(self.key, "pk"))
        return self._cache

    def forget(self) -> None:
        self._cache.clear()
