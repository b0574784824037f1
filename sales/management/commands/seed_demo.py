"""``manage.py seed_demo``: fill an empty database with the demo data set."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sales.demo.selectors import DemoSeedError
from sales.demo.services import MAX_SCALE, demo_data_seed


class Command(BaseCommand):
    help = (
        "Fill an empty database with a deterministic demo company: a 3-level territory tree, 40 reps per scale "
        "unit (one moves territory, one leaves, one is hired), customers, two years of seasonal deals "
        "(2024-01-01..2025-12-31) with refunds and contracts, the open pipeline on 2025-12-31, activities, "
        "CSAT/NPS responses, expenses, seasonal plans and targets, and the logins admin, manager and rep "
        "(password: demo). The same --seed always gives the same rows. Running it again with the same --scale "
        "and --seed finds the data set already there and writes nothing. On a database holding anything else "
        "(other data, or demo data of another --scale or --seed) it refuses and writes nothing: seed a fresh "
        "database instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help=f"Size multiplier, 1..{MAX_SCALE}: reps, customers, deals and activities grow linearly "
            "(1 = 40 reps and about 10,000 deals; 100 = about 1,000,000 deals).",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")

    def handle(self, *args, scale: int, seed: int, **options) -> None:
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {message}")

        try:
            result = demo_data_seed(scale=scale, seed=seed, progress=progress)
        except DemoSeedError as exc:
            raise CommandError(str(exc)) from None

        verb = "Wrote" if result.written else "Found"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} the demo data set --scale {result.scale} --seed {result.seed} in {result.seconds:.1f}s."
            )
        )
        if result.commit_seconds:
            self.stdout.write(f"  (of which {result.commit_seconds:.1f}s committing and recomputing KPI snapshots)")
        self.stdout.write("Rows per model:")
        width = max(len(label) for label in result.counts)
        for label, count in result.counts.items():
            self.stdout.write(f"  {label:<{width}}  {count:>12,}")
        as_of = f"{result.reference_date:%Y-%m-%d}"
        self.stdout.write(f"The data runs up to {as_of}: set KPI_AS_OF={as_of} to see the dashboard as of that day.")
        if result.reference_date != settings.KPI_AS_OF:
            current = settings.KPI_AS_OF.isoformat() if settings.KPI_AS_OF else "not set (today)"
            self.stdout.write(
                self.style.WARNING(
                    f"KPI_AS_OF is {current}: KPIs are computed as of another day than the data's. "
                    f"Run the server (and recompute_kpis) with KPI_AS_OF={as_of}."
                )
            )
        self.stdout.write("Open http://127.0.0.1:8000/ (python manage.py runserver) and sign in as:")
        for login in result.logins:
            password = "(existing account, password unchanged)" if login.existed else "password: demo"
            self.stdout.write(f"  {login.username:<13} {password:<40} {login.role}")
