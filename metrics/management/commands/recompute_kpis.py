import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from metrics.periods import PeriodError, period_parse
from metrics.services.recompute import RecomputeBusy, kpi_recompute


class Command(BaseCommand):
    help = "Recompute the KPI snapshots: every period (--full, the default) or those ending in or after --since."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--since", metavar="YYYY-MM", help="recompute periods ending in or after this month")
        group.add_argument("--full", action="store_true", help="recompute every period (default)")
        parser.add_argument("--no-wait", action="store_true", help="fail at once if another recompute is running")

    def handle(self, *args, since, full, no_wait, **options):
        since_day: datetime.date | None = None
        if since:
            try:
                period = period_parse(since)
            except PeriodError as exc:
                raise CommandError(f"--since: {exc}") from None
            if period.kind != "month":
                raise CommandError(f"--since: expected a month YYYY-MM, got {since!r}")
            since_day = period.start
        started = time.perf_counter()
        try:
            run = kpi_recompute(since=since_day, reason="recompute_kpis command", wait=not no_wait)
        except RecomputeBusy as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk}: {run.periods} periods, {run.rows:,} snapshot rows, as of {run.as_of}, "
                f"{time.perf_counter() - started:.1f}s"
            )
        )
