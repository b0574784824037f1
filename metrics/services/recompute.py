"""Recomputing KPI snapshots: full or from a month on, locked, logged, atomic.

A run computes with the engine (metrics/engine.py), then replaces the
snapshots of the periods it covers in one transaction: readers see the old set
or the new, never half. Two runs never overlap (a PostgreSQL advisory lock,
released by the server even when the worker is killed). A run that died is
marked failed by the next one, which simply redoes the work.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import logging
from collections.abc import Iterable, Iterator

import pandas as pd
from celery import current_app
from celery.canvas import Signature
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from accounts.audit import audit_record
from metrics.cache_optional import cache_or
from metrics.engine import KpiResult, as_of_date, kpis_compute
from metrics.locks import LockBusy, advisory_lock, consistent_reads
from metrics.models import KpiRecomputeRequest, KpiRun, KpiSnapshot
from metrics.periods import Period, periods_between
from sales.models import Activity, Deal, Expense, SurveyResponse

logger = logging.getLogger(__name__)

LOCK_KEY = 0x4B5049  # "KPI": one advisory lock id for every recompute
SNAPSHOT_BATCH = 5_000


class RecomputeBusy(LockBusy):
    """Another recompute holds the lock."""


def recompute_lock(*, wait: bool) -> contextlib.AbstractContextManager[None]:
    """Hold the recompute lock for the block; raise ``RecomputeBusy`` if taken and not waiting."""
    return advisory_lock(LOCK_KEY, wait=wait, busy=RecomputeBusy, message="another KPI recompute is running")


def facts_first_month() -> datetime.date | None:
    """The first month with any fact, or None for an empty database."""
    candidates = [
        Deal.objects.aggregate(a=Min("created_on"), b=Min("closed_on")),
        Activity.objects.aggregate(a=Min("occurred_on")),
        SurveyResponse.objects.aggregate(a=Min("responded_on")),
        Expense.objects.aggregate(a=Min("month")),
    ]
    days = [d for found in candidates for d in found.values() if d is not None]
    return min(days).replace(day=1) if days else None


def periods_to_compute(*, as_of: datetime.date, since: datetime.date | None = None) -> list[Period]:
    """Every month, quarter and year up to ``as_of``; with ``since``, those ending on or after it."""
    first = facts_first_month()
    if first is None:
        return []
    periods = periods_between(first, as_of, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    if since is not None:
        periods = [p for p in periods if p.end >= since]
    return periods


def _interrupted_runs_fail() -> None:
    """Mark runs left 'running' by a killed worker as failed (we hold the lock, so none is alive)."""
    KpiRun.objects.filter(status=KpiRun.Status.RUNNING).update(
        status=KpiRun.Status.FAILED, finished_at=timezone.now(), error="interrupted: the run did not finish"
    )


def kpi_recompute(
    *,
    since: datetime.date | None = None,
    reason: str = "",
    user=None,
    wait: bool = True,
    as_of: datetime.date | None = None,
    run_id: int | None = None,
) -> KpiRun:
    """Recompute snapshots (all periods, or those ending on or after ``since``) and log the run.

    ``run_id`` names a queued run (``metrics.services.api_runs``) that this call carries out.
    """
    as_of = as_of or as_of_date()
    with recompute_lock(wait=wait):
        _interrupted_runs_fail()
        fields = {"kind": KpiRun.Kind.SINCE if since else KpiRun.Kind.FULL, "since": since, "as_of": as_of}
        if run_id is not None and KpiRun.objects.filter(pk=run_id).update(
            **fields, status=KpiRun.Status.RUNNING, started_at=timezone.now(), finished_at=None, error=""
        ):
            run = KpiRun.objects.get(pk=run_id)
        else:
            run = KpiRun.objects.create(
                **fields,
                reason=reason[:200],
                requested_by=user if getattr(user, "is_authenticated", False) else None,
            )
        audit_record(
            actor=run.requested_by,
            action="recompute",
            object_type="kpi_run",
            object_id=run.pk,
            summary=f"KPI recompute {run.pk} ({run.kind}) started: {run.reason}",
            detail={"since": since.isoformat() if since else None, "as_of": as_of.isoformat()},
        )
        try:
            with consistent_reads():  # an import committing meanwhile is seen whole or not at all
                periods = periods_to_compute(as_of=as_of, since=since)
                result = kpis_compute(periods=periods, as_of=as_of)
            with transaction.atomic():
                rows = kpi_snapshots_replace(result=result, run=run, full=since is None)
                run.status = KpiRun.Status.SUCCEEDED
                run.periods, run.rows, run.finished_at = len(periods), rows, timezone.now()
                run.save(update_fields=["status", "periods", "rows", "finished_at"])
        except Exception as exc:
            logger.exception("KPI recompute %s failed", run.pk)
            KpiRun.objects.filter(pk=run.pk).update(
                status=KpiRun.Status.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"
            )
            raise
    run.refresh_from_db()
    return run


SNAPSHOT_COLUMNS = [
    "scope", "period", "period_kind", "period_start", "period_end", "kpi", "value", "n", "ci_low", "ci_high",
    "target", "attainment", "low_sample", "provisional", "extra", "computed_at", "run_id",
]  # fmt: skip
WRITE_CHUNK = 250_000  # rows per COPY chunk: bounds the memory of the text buffer


def _snapshot_frames(result: KpiResult, run: KpiRun, computed_at: datetime.datetime) -> Iterator[pd.DataFrame]:
    """The snapshot rows of ``result`` as DataFrames of SNAPSHOT_COLUMNS, chunk by chunk."""
    # Dates and the timestamp go in as ISO text: formatting millions of date objects is the slow part of CSV.
    periods = pd.DataFrame(
        [(p.label, p.kind, p.start.isoformat(), p.end.isoformat()) for p in result.periods],
        columns=["period", "period_kind", "period_start", "period_end"],
    )
    funnel = result.funnel if "scope" in result.funnel else pd.DataFrame(columns=["scope", "period"])
    stage_columns = [c for c in funnel.columns if c.endswith("_n")]
    funnel_rows = pd.DataFrame(
        {
            "scope": funnel["scope"],
            "period": funnel["period"],
            "kpi": "funnel",
            "n": funnel["lead_n"].astype("float64") if "lead_n" in funnel else 0.0,
            "low_sample": False,
            "provisional": False,
            "extra": [{"stages": {c[:-2]: int(v) for c, v in zip(stage_columns, values, strict=True)}}
                      for values in funnel[stage_columns].itertuples(index=False)],
        }
    )  # fmt: skip
    table = result.table
    for source in (table, funnel_rows):
        for start in range(0, len(source), WRITE_CHUNK):
            chunk = source.iloc[start : start + WRITE_CHUNK].merge(periods, on="period", how="left")
            chunk = chunk.assign(computed_at=computed_at.isoformat(), run_id=run.pk)
            for column in SNAPSHOT_COLUMNS:
                if column not in chunk:
                    chunk[column] = None
            chunk["extra"] = [json.dumps(e) if isinstance(e, dict) else None for e in chunk["extra"]]
            yield chunk[SNAPSHOT_COLUMNS]


def kpi_snapshots_replace(*, result: KpiResult, run: KpiRun, full: bool) -> int:
    """Replace the snapshots of ``result``'s periods (all snapshots when ``full``); return rows written.

    Must run inside a transaction: the delete and the insert commit together,
    so readers see the old set or the new one.
    """
    labels = [p.label for p in result.periods]
    if full:
        KpiSnapshot.objects.all().delete()
    else:
        for start in range(0, len(labels), 500):
            KpiSnapshot.objects.filter(period__in=labels[start : start + 500]).delete()
    written = 0
    computed_at = timezone.now()
    for chunk in _snapshot_frames(result, run, computed_at):
        if connection.vendor == "postgresql":
            _copy_frame(chunk)
        else:
            records = chunk.astype(object).where(chunk.notna(), None).to_dict("records")
            for record in records:
                record["extra"] = json.loads(record["extra"]) if record["extra"] else None
                record["computed_at"] = computed_at
                record["period_start"] = datetime.date.fromisoformat(record["period_start"])
                record["period_end"] = datetime.date.fromisoformat(record["period_end"])
            KpiSnapshot.objects.bulk_create([KpiSnapshot(**r) for r in records], batch_size=SNAPSHOT_BATCH)
        written += len(chunk)
    return written


def _copy_frame(frame: pd.DataFrame) -> None:
    """Stream a frame into the snapshot table with PostgreSQL COPY (CSV: NULL is an unquoted empty field)."""
    buffer = io.StringIO()
    # Floats are written with repr precision, so PostgreSQL stores exactly the computed doubles.
    frame.to_csv(buffer, header=False, index=False, na_rep="")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {KpiSnapshot._meta.db_table} ({', '.join(SNAPSHOT_COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer
        )


# --- requests after a change (debounced) ----------------------------------------------------------

QUEUED_KEY = "kpi:recompute-queued"
# metrics.tasks imports this module, so this one queues its tasks by name (metrics.apps registers them).
RECOMPUTE_TASK = "metrics.recompute_kpis"
PENDING_TASK = "metrics.recompute_pending_kpis"


def task_signature(name: str) -> Signature:
    """The registered task ``name``, to queue (or, with no broker, run in process)."""
    return current_app.signature(name)


def kpi_recompute_request(*, months: Iterable[datetime.date], reason: str) -> None:
    """Ask for the KPIs from the earliest of ``months`` on to be recomputed after this transaction commits.

    The request is stored in the database first (it survives a broker outage),
    then at most one task per debounce window is queued: a thousand edits in a
    minute cause one or two runs, not a thousand.
    """
    months = {m.replace(day=1) for m in months if m is not None}
    if not months:
        return
    KpiRecomputeRequest.objects.create(month=min(months), reason=reason[:200])
    # One queueing per transaction is enough, however many changes it holds.
    if not any(func is _queue_pending_run for _, func, _ in connection.run_on_commit):
        transaction.on_commit(_queue_pending_run)


def _queue_pending_run() -> None:
    recompute_pending_kpis = task_signature(PENDING_TASK)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        recompute_pending_kpis.apply()
        return
    debounce = settings.KPI_RECOMPUTE_DEBOUNCE_SECONDS
    # Without the cache (Redis down) there is no debounce: queue (the broker is likely down too).
    queued = cache_or(lambda: cache.add(QUEUED_KEY, "1", timeout=debounce), fallback=True, what="debouncing")
    if not queued:
        return  # a run is already queued and will absorb this request
    try:
        recompute_pending_kpis.apply_async(countdown=debounce, expires=debounce + 3600)
    except Exception:  # the broker is down: the request waits in the table for the periodic sweep
        cache_or(lambda: cache.delete(QUEUED_KEY), fallback=None, what="debouncing")
        logger.warning("could not queue a KPI recompute; the request stays pending", exc_info=True)


def kpi_recompute_pending(*, as_of: datetime.date | None = None) -> KpiRun | None:
    """Run one recompute covering every pending request; None when nothing is pending."""
    cache_or(lambda: cache.delete(QUEUED_KEY), fallback=None, what="debouncing")
    with transaction.atomic():
        pending = list(KpiRecomputeRequest.objects.select_for_update().values_list("pk", "month"))
    if not pending:
        return None
    since = min(month for _, month in pending)
    run = kpi_recompute(since=since, reason=f"{len(pending)} change(s) since {since:%Y-%m}", as_of=as_of)
    # Only the requests this run saw are cleared (by id: a lower id may commit later); newer ones wait.
    seen = [pk for pk, _ in pending]
    for start in range(0, len(seen), 5_000):
        KpiRecomputeRequest.objects.filter(pk__in=seen[start : start + 5_000]).delete()
    return run
