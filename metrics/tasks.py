"""Celery tasks: thin callers of metrics.services.recompute (ids and ISO dates in, nothing else)."""

from __future__ import annotations

import datetime

from celery import shared_task

from metrics.services.recompute import RecomputeBusy, kpi_recompute, kpi_recompute_pending


@shared_task(name="metrics.recompute_kpis", bind=True, max_retries=3, acks_late=True)
def recompute_kpis(self, since: str | None = None, reason: str = "scheduled", run_id: int | None = None) -> int:
    """Recompute every snapshot (or from ``since`` = YYYY-MM-DD on); return the run id.

    ``run_id``: the queued run to carry out (runs requested through the API).
    """
    try:
        run = kpi_recompute(
            since=datetime.date.fromisoformat(since) if since else None, reason=reason, wait=False, run_id=run_id
        )
    except RecomputeBusy as exc:
        # Another run holds the lock: try again later rather than queueing behind it.
        raise self.retry(exc=exc, countdown=120) from exc
    return run.pk


@shared_task(name="metrics.recompute_pending_kpis", acks_late=True)
def recompute_pending_kpis() -> int | None:
    """Absorb every pending recompute request in one run; return its id (None if nothing pending)."""
    run = kpi_recompute_pending()
    return run.pk if run else None
