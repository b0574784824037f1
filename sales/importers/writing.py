"""Writing spooled records: natural keys to primary keys, then bulk inserts and updates.

Inserts of the big fact tables use PostgreSQL's COPY (the fastest way into a
table, checked by the same constraints); elsewhere (SQLite, small tables)
``bulk_create``. Updates use ``bulk_update`` in batches. The caller holds the
transaction.
"""

from __future__ import annotations

import csv
import io

from django.db import connection

from sales.importers.plan import BATCH_SIZE, EntitySpec, Resolvers, Upserter


def _to_db(spec: EntitySpec, records: list[tuple], resolvers: Resolvers) -> list[list]:
    """Replace natural keys by primary keys, in place of each record."""
    rows = [list(r) for r in records]
    for i, f in enumerate(spec.fields):
        if f.ref is None:
            continue
        pks = resolvers.get(f.ref).resolve({row[i] for row in rows})
        for row in rows:
            if row[i] is not None:
                row[i] = pks[row[i]]
    return rows


class _Null(int):
    """Written by the csv module as a bare empty field, which COPY's CSV format reads as NULL."""

    def __str__(self) -> str:
        return ""


_NULL = _Null()


def _copy_insert(spec: EntitySpec, rows: list[list]) -> None:
    # CSV with every text quoted: a quoted "" is an empty string, a bare empty field is NULL;
    # the csv module does the quoting and escaping at C speed.
    meta = spec.model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f.name).column) for f in spec.fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerows([[_NULL if v is None else v for v in row] for row in rows])
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer
        )


def _attnames(spec: EntitySpec) -> list[str]:
    meta = spec.model._meta
    return [meta.get_field(f.name).attname for f in spec.fields]


def upserts_write(upserter: Upserter, resolvers: Resolvers) -> None:
    """Insert the spooled new rows and apply the spooled updates of one entity."""
    spec = upserter.spec
    model = spec.model
    attnames = _attnames(spec)
    use_copy = spec.copy and connection.vendor == "postgresql"
    for records in upserter.creates.batches():
        rows = _to_db(spec, records, resolvers)
        if use_copy:
            _copy_insert(spec, rows)
        else:
            model.objects.bulk_create(
                [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=BATCH_SIZE
            )
    update_fields = upserter.update_fields
    for batch in upserter.updates.batches() if update_fields else ():
        rows = _to_db(spec, [record for _, record in batch], resolvers)
        objects = []
        for (pk, _), row in zip(batch, rows, strict=True):
            obj = model(pk=pk, **dict(zip(attnames, row, strict=True)))
            objects.append(obj)
        model.objects.bulk_update(objects, update_fields, batch_size=1000)
