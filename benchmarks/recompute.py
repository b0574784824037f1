"""Benchmark: KPI recompute (full and incremental) against the raw-SQL floor.

Run against a PostgreSQL database seeded with ``seed_demo --scale N``:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpi_bench KPI_AS_OF=2025-12-31 \\
        .venv/bin/python benchmarks/recompute.py

It prints, with the data size:
- the floor: plain GROUP BY queries producing the additive sums and counts of
  the engine (revenue, won, lost, created, activities by kind) by territory ×
  month and by rep × month, straight from SQL;
- a full recompute (engine + snapshot replace), its peak memory, and the ratio
  to the floor;
- an incremental recompute after one deal changes (from that deal's month on).
"""

from __future__ import annotations

import datetime
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_dashboard.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from metrics.engine import as_of_date  # noqa: E402
from metrics.models import KpiSnapshot  # noqa: E402
from metrics.services.recompute import kpi_recompute, periods_to_compute  # noqa: E402
from reps.models import SalesRep  # noqa: E402
from sales.models import Activity, Deal  # noqa: E402
from territories.models import Territory  # noqa: E402

FLOOR_QUERIES = {
    "deals closed by territory x month": """
        SELECT territory_id, date_trunc('month', closed_on), count(*) FILTER (WHERE stage = 'won'),
               sum(amount - refunded_amount) FILTER (WHERE stage = 'won'), count(*) FILTER (WHERE stage = 'lost')
        FROM sales_deal WHERE stage IN ('won', 'lost') AND closed_on <= %(as_of)s GROUP BY 1, 2""",
    "deals closed by rep x month": """
        SELECT owner_id, date_trunc('month', closed_on), count(*) FILTER (WHERE stage = 'won'),
               sum(amount - refunded_amount) FILTER (WHERE stage = 'won'), count(*) FILTER (WHERE stage = 'lost')
        FROM sales_deal WHERE stage IN ('won', 'lost') AND closed_on <= %(as_of)s GROUP BY 1, 2""",
    "deals created by territory x month": """
        SELECT territory_id, date_trunc('month', created_on), count(*)
        FROM sales_deal WHERE created_on <= %(as_of)s GROUP BY 1, 2""",
    "deals created by rep x month": """
        SELECT owner_id, date_trunc('month', created_on), count(*)
        FROM sales_deal WHERE created_on <= %(as_of)s GROUP BY 1, 2""",
    "activities by territory x month x kind": """
        SELECT territory_id, date_trunc('month', occurred_on), kind, count(*)
        FROM sales_activity WHERE occurred_on <= %(as_of)s GROUP BY 1, 2, 3""",
    "activities by rep x month x kind": """
        SELECT rep_id, date_trunc('month', occurred_on), kind, count(*)
        FROM sales_activity WHERE occurred_on <= %(as_of)s GROUP BY 1, 2, 3""",
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor_seconds(as_of: datetime.date) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in FLOOR_QUERIES.values():
            cursor.execute(sql, {"as_of": as_of})
            cursor.fetchall()
    return time.perf_counter() - started


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("run this benchmark on PostgreSQL (set DATABASE_URL)")
    as_of = as_of_date()
    sizes = {
        "deals": Deal.objects.count(),
        "activities": Activity.objects.count(),
        "reps": SalesRep.objects.count(),
        "territories": Territory.objects.count(),
        "periods": len(periods_to_compute(as_of=as_of)),
    }
    print("data:", ", ".join(f"{k} {v:,}" for k, v in sizes.items()), f"· as of {as_of}")

    floor_seconds(as_of)  # warm the cache so both sides read from memory
    floors = [floor_seconds(as_of) for _ in range(3)]
    floor = min(floors)
    print(f"floor (plain GROUP BY, {len(FLOOR_QUERIES)} queries): {floor:.2f}s (best of 3)")

    started = time.perf_counter()
    run = kpi_recompute(as_of=as_of, reason="benchmark full")
    full = time.perf_counter() - started
    print(
        f"full recompute: {full:.2f}s for {run.periods} periods, {run.rows:,} snapshot rows; "
        f"ratio to floor {full / floor:.1f}x; peak memory {peak_mb():,.0f} MB"
    )

    deal = Deal.objects.filter(stage="won", closed_on__isnull=False).order_by("-closed_on").first()
    deal.amount += Decimal("1.00")
    deal.save(update_fields=["amount"])
    started = time.perf_counter()
    run = kpi_recompute(as_of=as_of, since=deal.closed_on.replace(day=1), reason="benchmark incremental")
    incremental = time.perf_counter() - started
    print(
        f"incremental recompute after one deal change (from {deal.closed_on:%Y-%m}): {incremental:.2f}s "
        f"for {run.periods} periods, {run.rows:,} rows"
    )
    deal.amount -= Decimal("1.00")
    deal.save(update_fields=["amount"])
    print(f"snapshots stored: {KpiSnapshot.objects.count():,}")


if __name__ == "__main__":
    main()
