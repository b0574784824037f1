"""KPI recomputes asked for through the API.

Such a recompute is recorded first as a *queued* run, so the caller gets its
id at once and can poll it; the Celery task then carries out that very row
(``kpi_recompute(run_id=...)``).
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from metrics.engine import as_of_date
from metrics.models import KpiRun
from metrics.services.recompute import RECOMPUTE_TASK, task_signature

logger = logging.getLogger(__name__)

# A queued run that no worker picked up within this time is dropped by the broker.
QUEUE_EXPIRES_SECONDS = 6 * 3600


def kpi_run_queue(*, since: datetime.date | None = None, reason: str = "", user=None) -> KpiRun:
    """Record a queued recompute (all periods, or from the month ``since`` on) and queue its task; return it.

    The task is sent after the surrounding transaction commits, so the worker
    always finds the row. With no broker (``CELERY_TASK_ALWAYS_EAGER``) the run
    is done before this returns.
    """
    run = KpiRun.objects.create(
        kind=KpiRun.Kind.SINCE if since else KpiRun.Kind.FULL,
        since=since,
        as_of=as_of_date(),
        reason=(reason or "requested through the API")[:200],
        status=KpiRun.Status.QUEUED,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
    )
    transaction.on_commit(lambda: _run_send(run_id=run.pk, since=since, reason=run.reason))
    run.refresh_from_db()
    return run


def _run_send(*, run_id: int, since: datetime.date | None, reason: str) -> None:
    try:
        task_signature(RECOMPUTE_TASK).apply_async(
            kwargs={"since": since.isoformat() if since else None, "reason": reason, "run_id": run_id},
            expires=QUEUE_EXPIRES_SECONDS,
        )
    except Exception as exc:
        # Broker down, or (eager mode) the run itself failed: kpi_recompute has then already
        # logged it as failed, so only a run still queued is marked here.
        logger.exception("KPI recompute run %s could not be carried out", run_id)
        KpiRun.objects.filter(pk=run_id, status=KpiRun.Status.QUEUED).update(
            status=KpiRun.Status.FAILED, finished_at=timezone.now(), error=f"not started: {type(exc).__name__}: {exc}"
        )
