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

    @property
    def decimal_indexes(self) -> tuple[int, ...]:
        meta = self.model._meta
        return tuple(i for i, f in enumerate(self.fields) if isinstance(meta.get_field(f.name), models.DecimalField))


class Spool:
    """Batches of rows pickled to a temporary file, read back in order."""

    def __init__(self, *, as_text: tuple[int, ...] = (), keyed: bool = False) -> None:
        self._file = tempfile.TemporaryFile(prefix="crm-import-")  # noqa: SIM115 - closed by close()
        self.count = 0
        # Decimals pickle slowly (several microseconds each); their exact text is 4x faster.
        self._as_text = as_text
        self._keyed = keyed  # rows are (pk, record)

    def write(self, rows: list) -> None:
        if not rows:
            return
        if self._as_text:
            rows = [(pk, self._text(r)) for pk, r in rows] if self._keyed else [self._text(r) for r in rows]
        pickle.dump(rows, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(rows)

    def _text(self, record: tuple) -> list:
        row = list(record)
        for i in self._as_text:
            if row[i] is not None:
                row[i] = str(row[i])
        return row

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


# Stands for a reference to a row this import creates: it has no primary key yet,
# so it never equals a stored foreign key.
NEW_ROW = -1


class Upserter:
    """Classify records of one entity as created / updated / unchanged, a batch at a time.

    Existing rows are read without joins: the record's references are turned into
    primary keys (cached) and compared with the stored foreign keys.
    """

    def __init__(self, spec: EntitySpec, counts: Counts, months: set[datetime.date], resolvers: Resolvers):
        self.spec = spec
        self.counts = counts
        self.months = months
        self.creates = Spool(as_text=spec.decimal_indexes)
        self.updates = Spool(as_text=spec.decimal_indexes, keyed=True)
        self._buffer: list[tuple] = []
        self._key_width = len(spec.key)
        meta = spec.model._meta
        self._columns = ["pk"] + [meta.get_field(f.name).attname for f in spec.fields]
        self._refs = [(i, resolvers.get(f.ref)) for i, f in enumerate(spec.fields) if f.ref is not None]
        self.kept: frozenset[str] = frozenset()
        self._compared: list[int] = []
        self._month_indexes = spec.month_indexes
        # Dates repeat a lot: collect the distinct ones, turn them into months once.
        self._dates: set[datetime.date] = set()
        self._preloaded: dict[Any, tuple] | None = None
        # An empty table needs no comparison at all (the first import of a big set).
        self._table_empty = not spec.model.objects.exists()

    def keep(self, names: set[str]) -> None:
        """Leave these value fields as stored on update (their column is not in the file)."""
        self.kept = frozenset(names)
        self._compared = [i for i, f in enumerate(self.spec.fields) if f.name not in self.kept]

    @property
    def update_fields(self) -> list[str]:
        return [f.name for f in self.spec.values if f.name not in self.kept]

    def _same(self, row: tuple, compared: tuple) -> bool:
        if not self.kept:
            return row[1:] == compared
        return all(row[1 + i] == compared[i] for i in self._compared)

    def add(self, record: tuple) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= BATCH_SIZE:
            self._flush()

    def finish(self) -> None:
        self._flush()
        self.months.update(day.replace(day=1) for day in self._dates if day is not None)
        self._dates.clear()

    def _key(self, record) -> Any:
        return record[0] if self._key_width == 1 else tuple(record[: self._key_width])

    def _resolved(self, records: list[tuple]) -> list[tuple]:
        """The records with primary keys in place of natural references."""
        if not self._refs:
            return records
        rows = [list(r) for r in records]
        for i, resolver in self._refs:
            pks = resolver.resolve({row[i] for row in rows})
            for row in rows:
                value = row[i]
                if value is not None:
                    row[i] = pks.get(value, NEW_ROW)
        return [tuple(row) for row in rows]

    def _existing(self, resolved: list[tuple]) -> dict[Any, tuple]:
        width = self._key_width
        model = self.spec.model
        if self.spec.preload:
            if self._preloaded is None:
                rows = model.objects.values_list(*self._columns)
                self._preloaded = {(r[1] if width == 1 else r[1 : 1 + width]): r for r in rows}
            return self._preloaded
        assert width == 1, "per-batch lookups need a single key field"
        keys = [r[0] for r in resolved]
        rows = model.objects.filter(**{f"{self._columns[1]}__in": keys}).values_list(*self._columns)
        return {r[1]: r for r in rows}

    def _flush(self) -> None:
        records, self._buffer = self._buffer, []
        if not records:
            return
        dates = self._dates
        indexes = self._month_indexes
        if self._table_empty:
            for i in indexes:
                dates.update(r[i] for r in records)
            self.counts.created += len(records)
            self.creates.write(records)
            return
        resolved = self._resolved(records)
        existing = self._existing(resolved)
        creates, updates = [], []
        for record, compared in zip(records, resolved, strict=True):
            row = existing.get(self._key(compared))
            if row is None:
                creates.append(record)
            elif self._same(row, compared):
                self.counts.unchanged += 1  # touches no month
            else:
                updates.append((row[0], record))
                dates.update(row[1 + i] for i in indexes)  # the months it leaves
        for i in indexes:
            dates.update(r[i] for r in creates)
            if self.spec.fields[i].name not in self.kept:
                dates.update(r[i] for _, r in updates)
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


class Resolvers:
    """One cached resolver per referenced model, shared by the checks and the write."""

    def __init__(self) -> None:
        self._by_ref: dict[Ref, RefResolver] = {}

    def get(self, ref: Ref) -> RefResolver:
        if ref not in self._by_ref:
            self._by_ref[ref] = RefResolver(ref.model, ref.key)
        return self._by_ref[ref]
