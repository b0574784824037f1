"""Time ``import_crm --format generic`` on a generated set of 1M deals, against PostgreSQL COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpi_import_big .venv/bin/python benchmarks/import_generic.py

The database named in DATABASE_URL (default kpi_import_big) is dropped and
created afresh, migrated, filled by the import, and dropped again at the end
(``--keep`` keeps it). The floor is a bare ``COPY`` of the same deals.csv into
a table with the same columns and no constraint or index; the goal is an import
within 3x of it. Peak memory is the process's ru_maxrss.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kpi_import_big")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_dashboard.settings")

REGIONS = 5
TERRITORIES_PER_REGION = 20
REPS = 2000
CUSTOMERS = 50_000
START = datetime.date(2021, 1, 1)
DAYS = 5 * 365


def generate(folder: Path, deals: int, seed: int = 7) -> dict[str, int]:
    """Write territories, reps, assignments, customers and deals CSV files; return row counts."""
    rnd = random.Random(seed)
    leaves = []
    with open(folder / "territories.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "parent_code"])
        for r in range(REGIONS):
            w.writerow([f"r{r}", f"Region {r}", ""])
            for t in range(TERRITORIES_PER_REGION):
                code = f"r{r}-t{t:02d}"
                leaves.append(code)
                w.writerow([code, f"Territory {r}.{t}", f"r{r}"])
    home = {}
    assignment_rows = 0
    with open(folder / "reps.csv", "w", newline="") as f, open(folder / "assignments.csv", "w", newline="") as g:
        reps, assignments = csv.writer(f), csv.writer(g)
        reps.writerow(["external_id", "name", "email", "hired_on", "left_on"])
        assignments.writerow(["rep_external_id", "territory_code", "start_date", "end_date"])
        for i in range(REPS):
            rep = f"rep{i:05d}"
            reps.writerow([rep, f"Rep {i}", f"{rep}@example.com", "2020-01-01", ""])
            first = rnd.choice(leaves)
            home[rep] = first
            if i % 10 == 0:  # one rep in ten moves halfway
                move = START + datetime.timedelta(days=DAYS // 2)
                assignments.writerow([rep, first, "2020-01-01", (move - datetime.timedelta(days=1)).isoformat()])
                assignments.writerow([rep, rnd.choice(leaves), move.isoformat(), ""])
                assignment_rows += 2
            else:
                assignments.writerow([rep, first, "2020-01-01", ""])
                assignment_rows += 1
    rep_ids = list(home)
    with open(folder / "customers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "name", "territory_code", "owner_external_id", "sector", "churned_on"])
        for i in range(CUSTOMERS):
            owner = rnd.choice(rep_ids)
            w.writerow([f"c{i:06d}", f"Customer {i}", home[owner], owner, rnd.choice(["retail", "health", "tech"]), ""])
    stages = ["won"] * 4 + ["lost"] * 3 + ["lead", "qualified", "proposal", "negotiation"]
    with open(folder / "deals.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "external_id",
                "name",
                "customer_external_id",
                "owner_external_id",
                "territory_code",
                "stage",
                "amount",
                "refunded_amount",
                "created_on",
                "closed_on",
                "ends_on",
                "product",
            ]
        )
        for i in range(deals):
            owner = rnd.choice(rep_ids)
            stage = rnd.choice(stages)
            created = START + datetime.timedelta(days=rnd.randrange(DAYS))
            closed = created + datetime.timedelta(days=rnd.randrange(1, 120)) if stage in ("won", "lost") else None
            amount = rnd.randrange(100, 5_000_000) / 100
            # Half the deals name their territory; the other half take their owner's on the day.
            territory = home[owner] if i % 2 else ""
            w.writerow(
                [
                    f"d{i:08d}",
                    f"Deal {i}",
                    f"c{rnd.randrange(CUSTOMERS):06d}",
                    owner,
                    territory,
                    stage,
                    f"{amount:.2f}",
                    "0" if i % 20 else f"{amount / 10:.2f}",
                    created.isoformat(),
                    closed.isoformat() if closed else "",
                    "",
                    rnd.choice(["A", "B", "C"]),
                ]
            )
    territories = REGIONS * (1 + TERRITORIES_PER_REGION)
    return {
        "territories": territories,
        "reps": REPS,
        "assignments": assignment_rows,
        "customers": CUSTOMERS,
        "deals": deals,
    }


def database_recreate(name: str) -> None:
    import psycopg2
    from django.conf import settings

    params = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname="postgres", user=params["USER"], host=params["HOST"], port=params["PORT"], password=params["PASSWORD"]
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def database_drop(name: str) -> None:
    import psycopg2
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    params = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname="postgres", user=params["USER"], host=params["HOST"], port=params["PORT"], password=params["PASSWORD"]
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()


def copy_floor(deals_csv: Path) -> float:
    """Seconds to COPY deals.csv into a bare table with the same columns."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_deals_copy")
        cur.execute(
            """CREATE TABLE bench_deals_copy (
                external_id varchar(100), name varchar(200), customer_external_id varchar(200),
                owner_external_id varchar(100), territory_code varchar(64), stage varchar(20),
                amount numeric(14, 2), refunded_amount numeric(14, 2), created_on date, closed_on date,
                ends_on date, product varchar(100))"""
        )
    started = time.perf_counter()
    with connection.cursor() as cur, open(deals_csv, "rb") as f:
        cur.copy_expert("COPY bench_deals_copy FROM STDIN WITH (FORMAT csv, HEADER true)", f)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_deals_copy")
    return elapsed


def copy_schema_floor(folder: Path) -> float:
    """Seconds to COPY the imported deals back into the real (emptied) deals table, in one transaction.

    The same rows through the same indexes, checks and foreign keys as the import
    writes them: what the database itself needs, whatever the importer does.
    """
    from django.db import connection, transaction

    from sales.models import Deal

    columns = [f.column for f in Deal._meta.concrete_fields if not f.primary_key]
    names = ", ".join(columns)
    dump = folder / "deals.copy"
    with connection.cursor() as cur, open(dump, "w") as f:
        cur.copy_expert(f"COPY (SELECT {names} FROM sales_deal) TO STDOUT", f)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM sales_deal")
        cur.execute("VACUUM sales_deal")  # autocommit: the table starts as empty as the import's did
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur, open(dump) as f:
        cur.copy_expert(f"COPY sales_deal ({names}) FROM STDIN", f)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    name = settings.DATABASES["default"]["NAME"]
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("the benchmark needs PostgreSQL (DATABASE_URL=postgres://...)")
    database_recreate(name)
    call_command("migrate", verbosity=0)

    from sales.importers import crm_import_path
    from sales.models import Deal

    # Time the import alone: its KPI recompute is queued for a worker (here an in-memory broker nobody
    # reads), not run in this process when the transaction commits.
    settings.CELERY_TASK_ALWAYS_EAGER = False

    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        sizes = generate(folder, args.deals)
        generated = time.perf_counter() - started
        total_rows = sum(sizes.values())
        deals_bytes = (folder / "deals.csv").stat().st_size
        print(f"generated {sizes} ({total_rows:,} rows; deals.csv {deals_bytes / 1e6:.0f} MB) in {generated:.1f} s")

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = crm_import_path(path=folder, format="generic")
        elapsed = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if result.errors:
            for issue in result.errors[:20]:
                print(issue)
            sys.exit(f"import failed with {len(result.errors)} errors")
        assert Deal.objects.count() == args.deals

        started = time.perf_counter()
        again = crm_import_path(path=folder, format="generic", dry_run=True)
        recheck = time.perf_counter() - started
        assert again.totals().written == 0, again.totals()

        floor = copy_floor(folder / "deals.csv")
        schema_floor = copy_schema_floor(folder)

    print(f"import: {elapsed:.1f} s for {total_rows:,} rows = {total_rows / elapsed:,.0f} rows/s")
    print(f"peak memory (ru_maxrss): {rss_after / 1024:.0f} MiB (before the import: {rss_before / 1024:.0f} MiB)")
    print(f"COPY of deals.csv into a bare table: {floor:.1f} s")
    print(f"ratio import / COPY: {elapsed / floor:.1f}x (goal <= 3x)")
    print(f"COPY of the same deals into the real deals table (indexes, checks, foreign keys): {schema_floor:.1f} s")
    print(f"ratio import / that: {elapsed / schema_floor:.1f}x")
    print(f"re-check of the same files (dry run, all unchanged): {recheck:.1f} s")
    if not args.keep:
        database_drop(name)


if __name__ == "__main__":
    main()
