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
import math
from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from metrics.engine import KpiResult, as_of_date, kpis_compute
from metrics.models import KpiRecomputeRequest, KpiRun, KpiSnapshot
from metrics.periods import Period, periods_between
from sales.models import Activity, Deal, Expense, SurveyResponse

logger = logging.getLogger(__name__)

LOCK_KEY = 0x4B5049  # "KPI": one advisory lock id for every recompute
SNAPSHOT_BATCH = 5_000


class RecomputeBusy(RuntimeError):
    """Another recompute holds the lock."""


@contextlib.contextmanager
def recompute_lock(*, wait: bool) -> Iterator[None]:
    """Hold the recompute lock for the block; raise ``RecomputeBusy`` if taken and not waiting.

    PostgreSQL: a session advisory lock. SQLite (the demo database) serializes
    writers itself, and its tasks run in-process one at a time.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise RecomputeBusy("another KPI recompute is running")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


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
    from django.conf import settings

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
        try:
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


def _clean(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _snapshot_rows(result: KpiResult, run: KpiRun, computed_at: datetime.datetime) -> Iterator[tuple]:
    by_label = {p.label: p for p in result.periods}
    table = result.table
    for row in table.itertuples(index=False):
        period = by_label[row.period]
        yield (
            row.scope, row.period, period.kind, period.start, period.end, row.kpi,
            _clean(row.value), _clean(row.n), _clean(row.ci_low), _clean(row.ci_high),
            _clean(row.target), _clean(row.attainment), bool(row.low_sample), bool(row.provisional),
            row.extra if isinstance(row.extra, dict) else None, computed_at, run.pk,
        )  # fmt: skip
    funnel = result.funnel
    stage_columns = [c for c in funnel.columns if c.endswith("_n")]
    for record in funnel.to_dict("records"):
        period = by_label[record["period"]]
        counts = {c[:-2]: int(record[c]) for c in stage_columns}
        yield (
            record["scope"], record["period"], period.kind, period.start, period.end, "funnel",
            None, float(counts.get("lead", 0)), None, None, None, None, False, False,
            {"stages": counts}, computed_at, run.pk,
        )  # fmt: skip


SNAPSHOT_COLUMNS = [
    "scope", "period", "period_kind", "period_start", "period_end", "kpi", "value", "n", "ci_low", "ci_high",
    "target", "attainment", "low_sample", "provisional", "extra", "computed_at", "run_id",
]  # fmt: skip


def kpi_snapshots_replace(*, result: KpiResult, run: KpiRun, full: bool) -> int:
    """Replace the snapshots of ``result``'s periods (all snapshots when ``full``); return rows written.

    Must run inside a transaction: the delete and the insert commit together.
    """
    labels = [p.label for p in result.periods]
    if full:
        KpiSnapshot.objects.all().delete()
    else:
        for start in range(0, len(labels), 500):
            KpiSnapshot.objects.filter(period__in=labels[start : start + 500]).delete()
    rows = _snapshot_rows(result, run, timezone.now())
    if connection.vendor == "postgresql":
        return _copy_rows(rows)
    written = 0
    batch: list[KpiSnapshot] = []
    for values in rows:
        batch.append(KpiSnapshot(**dict(zip(SNAPSHOT_COLUMNS, values, strict=True))))
        if len(batch) >= SNAPSHOT_BATCH:
            KpiSnapshot.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    KpiSnapshot.objects.bulk_create(batch)
    return written + len(batch)


def _copy_rows(rows: Iterable[tuple]) -> int:
    """Stream rows into the snapshot table with PostgreSQL COPY (the fastest bulk path)."""

    def text(value) -> str:
        if value is None:
            return r"\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        if isinstance(value, dict):
            value = json.dumps(value)
        elif isinstance(value, float):
            value = repr(value)
        else:
            value = str(value)
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    written = 0
    table = KpiSnapshot._meta.db_table
    with connection.cursor() as cursor:
        buffer = io.StringIO()
        for values in rows:
            buffer.write("\t".join(text(v) for v in values))
            buffer.write("\n")
            written += 1
            if written % 50_000 == 0:
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({', '.join(SNAPSHOT_COLUMNS)}) FROM STDIN", buffer)
                buffer = io.StringIO()
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} ({', '.join(SNAPSHOT_COLUMNS)}) FROM STDIN", buffer)
    return written


# --- requests after a change (debounced) ----------------------------------------------------------

QUEUED_KEY = "kpi:recompute-queued"


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
    from django.conf import settings
    from django.core.cache import cache

    from metrics.tasks import recompute_pending_kpis

    if settings.CELERY_TASK_ALWAYS_EAGER:
        recompute_pending_kpis.apply()
        return
    debounce = settings.KPI_RECOMPUTE_DEBOUNCE_SECONDS
    if not cache.add(QUEUED_KEY, "1", timeout=debounce):
        return  # a run is already queued and will absorb this request
    try:
        recompute_pending_kpis.apply_async(countdown=debounce, expires=debounce + 3600)
    except Exception:  # the broker is down: the request waits in the table for the periodic sweep
        cache.delete(QUEUED_KEY)
        logger.warning("could not queue a KPI recompute; the request stays pending", exc_info=True)


def kpi_recompute_pending(*, as_of: datetime.date | None = None) -> KpiRun | None:
    """Run one recompute covering every pending request; None when nothing is pending."""
    from django.core.cache import cache

    cache.delete(QUEUED_KEY)
    with transaction.atomic():
        pending = list(KpiRecomputeRequest.objects.select_for_update().values_list("pk", "month"))
    if not pending:
        return None
    last_pk, since = max(pk for pk, _ in pending), min(month for _, month in pending)
    run = kpi_recompute(since=since, reason=f"{len(pending)} change(s) since {since:%Y-%m}", as_of=as_of)
    # Only the requests this run saw are cleared; newer ones wait for the next run.
    KpiRecomputeRequest.objects.filter(pk__lte=last_pk).delete()
    return run
