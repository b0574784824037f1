"""Time ``seed_demo`` at a given scale and print the figures with the data size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpi_seed_big \\
        .venv/bin/python benchmarks/seed_demo.py --scale 100 --fresh --drop
    DATABASE_URL=sqlite:////tmp/kpi_seed_bench.sqlite3 .venv/bin/python benchmarks/seed_demo.py --fresh

The database in DATABASE_URL must be empty and migrated, or ``--fresh``
(re)creates and migrates it first (migration time is not counted). ``--drop``
removes it at the end. The script times the first run (the whole data set in one
transaction), then a second run, which must find the data and write nothing.
Peak memory is the process's ru_maxrss. Without REDIS_URL, Celery tasks run
eagerly, so the commit also recomputes the KPI snapshots; the figures show it
apart. Set KPI_AS_OF=2025-12-31 to compute them as of the data's last day.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_dashboard.settings")


def _database_recreate(config: dict, *, create: bool) -> None:
    """Drop the database (and create it again when ``create``) before Django connects."""
    if config["ENGINE"].endswith("sqlite3"):
        Path(config["NAME"]).unlink(missing_ok=True)
        return
    import psycopg2

    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}"')
        if create:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()


def _database_size(connection) -> int:
    if connection.vendor == "sqlite":
        return Path(connection.settings_dict["NAME"]).stat().st_size
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def _database_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="drop, create and migrate the database first")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args()

    import environ

    url = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'db.sqlite3'}")
    config = environ.Env.db_url_config(url)
    if args.fresh:
        _database_recreate(config, create=True)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sales.demo.services import demo_data_seed

    if args.fresh:
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.monotonic() - started:.1f}s (not counted)")

    started = time.monotonic()

    peak_before_commit = 0.0

    def progress(message: str) -> None:
        nonlocal peak_before_commit
        if message.startswith("committing"):
            peak_before_commit = _peak_mib()
        print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)

    first = demo_data_seed(scale=args.scale, seed=args.seed, progress=progress)
    first_seconds = time.monotonic() - started
    if not first.written:
        print("The database already held this data set: nothing was timed. Use --fresh.")
        return 1
    started = time.monotonic()
    second = demo_data_seed(scale=args.scale, seed=args.seed)
    second_seconds = time.monotonic() - started
    assert not second.written and second.counts == first.counts, "the second run must write nothing"

    size = _database_size(connection)
    peak_mib = _peak_mib()
    total = sum(first.counts.values())
    print()
    print(f"seed_demo --scale {args.scale} --seed {args.seed}")
    print(f"database          {_database_version(connection)} ({connection.settings_dict['NAME']})")
    print(f"machine           {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"wall time         {first_seconds:.1f}s (first run, everything written in one transaction)")
    print(f"  writing rows    {first_seconds - first.commit_seconds:.1f}s")
    print(f"  commit          {first.commit_seconds:.1f}s (includes the KPI recompute when tasks run eagerly)")
    print(f"second run        {second_seconds:.2f}s (found the data set, wrote nothing)")
    print(f"rows              {total:,} ({total / (first_seconds - first.commit_seconds):,.0f} rows/s written)")
    print(f"database size     {size / 2**20:,.0f} MiB")
    print(f"peak memory       {peak_before_commit:,.0f} MiB writing rows, {peak_mib:,.0f} MiB in all")
    print()
    print("| model | rows |")
    print("|---|---:|")
    for label, count in first.counts.items():
        print(f"| {label} | {count:,} |")
    print(f"| **total** | **{total:,}** |")

    if args.drop:
        connection.close()
        _database_recreate(config, create=False)
        print(f"dropped {config['NAME']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
