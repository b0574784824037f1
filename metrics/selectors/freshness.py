"""What the numbers on screen are based on: the last recompute runs, and who may read them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.access import admin_rows_visible_to
from metrics.models import KpiRecomputeRequest, KpiRun


@dataclass(frozen=True)
class Freshness:
    as_of: datetime.date | None
    computed_at: datetime.datetime | None
    last_status: str | None
    last_error: str
    failed: bool
    stale: bool
    pending: int
    run_id: int | None = None  # the last successful run: with computed_at, the version of the snapshot set


def kpi_freshness(*, now: datetime.datetime | None = None) -> Freshness:
    """What the numbers on screen are based on, and whether a banner should warn about them."""

    now = now or timezone.now()
    last = KpiRun.objects.order_by("-started_at", "-id").first()
    good = KpiRun.objects.filter(status=KpiRun.Status.SUCCEEDED).order_by("-finished_at", "-id").first()
    computed_at = good.finished_at if good else None
    return Freshness(
        as_of=good.as_of if good else None,
        computed_at=computed_at,
        last_status=last.status if last else None,
        last_error=last.error if last and last.status == KpiRun.Status.FAILED else "",
        failed=bool(last and last.status == KpiRun.Status.FAILED),
        stale=computed_at is None or now - computed_at > datetime.timedelta(hours=26),
        pending=KpiRecomputeRequest.objects.count(),
        run_id=good.pk if good else None,
    )


def kpi_runs_visible_to(*, user) -> QuerySet[KpiRun]:
    """KPI recompute runs ``user`` may read: admins only."""
    return admin_rows_visible_to(KpiRun.objects.all(), user=user)


def kpi_change_outlook() -> str:
    """When the dashboards show a change just committed: already, or after which recompute.

    Read after the change's transaction committed (and, with no broker, after the
    in-process recompute it asked for ran): no pending request left means the
    stored KPIs include it.
    """
    pending = KpiRecomputeRequest.objects.count()
    if not pending:
        good = KpiRun.objects.filter(status=KpiRun.Status.SUCCEEDED).order_by("-finished_at", "-id").first()
        if good is None:
            return "The dashboards will show it once the KPIs are first computed (python manage.py recompute_kpis)."
        return f"The dashboards already show it: KPIs recomputed at {good.finished_at:%Y-%m-%d %H:%M:%S} UTC."
    waiting = f"{pending:,} change{'s' if pending != 1 else ''} waiting"
    running = KpiRun.objects.filter(status=KpiRun.Status.RUNNING).exists()
    now = " A recompute is running now; changes it has not read wait for the next one." if running else ""
    return (
        f"The dashboards will show it after the next KPI recompute ({waiting}): it is queued to start within "
        f"{settings.KPI_RECOMPUTE_DEBOUNCE_SECONDS} seconds, or at the next 10-minute sweep if the task queue "
        f"cannot be reached.{now}"
    )
