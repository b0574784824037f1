"""The ``kpi_report`` shape: from snapshots (API, command) or live (checks, ranges), series and funnel.

Both paths return the same shape, the one of spec/kpis.md's ``kpi_report``.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.conf import settings

from metrics.engine import as_of_date, kpis_compute
from metrics.fetch import FUNNEL_STAGES
from metrics.models import KpiSnapshot
from metrics.periods import Period, PeriodError, period_parse
from metrics.registry import KPI_BY_KEY, KPIS
from metrics.scopes import ScopeError, scope_index_build, scope_validate
from metrics.selectors.cards import kpi_series

REPORT_FIELDS = ("value", "n", "ci_low", "ci_high", "target", "attainment", "low_sample", "provisional")


class ReportError(ValueError):
    """Bad report parameters; ``field`` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class ReportQuery:
    scope: str
    period: Period
    kpis: tuple[str, ...]


def kpi_report_query(*, scope: str, period: str, kpis: str | None = None) -> ReportQuery:
    """Validate report parameters; raise ``ReportError`` naming the bad one."""
    try:
        scope = scope_validate((scope or "").strip(), scope_index_build())
    except ScopeError as exc:
        raise ReportError("scope", str(exc)) from None
    try:
        parsed = period_parse(period, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    except PeriodError as exc:
        raise ReportError("period", str(exc)) from None
    keys = tuple(k.strip() for k in kpis.split(",") if k.strip()) if kpis else tuple(k.key for k in KPIS)
    unknown = [k for k in keys if k not in KPI_BY_KEY]
    if unknown:
        raise ReportError("kpi", f"unknown KPI {', '.join(map(repr, unknown))}; known: {', '.join(KPI_BY_KEY)}")
    return ReportQuery(scope, parsed, keys)


def _number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value) if value == int(value) else value
    return value


def _entry(values: dict) -> dict:
    entry = {field: _number(values.get(field)) for field in REPORT_FIELDS}
    entry["low_sample"] = bool(values.get("low_sample"))
    entry["provisional"] = bool(values.get("provisional"))
    if values.get("extra"):
        entry.update(values["extra"])
    return entry


def _report(query: ReportQuery, as_of: datetime.date, rows: dict[str, dict]) -> dict:
    return {
        "scope": query.scope,
        "period": query.period.label,
        "start": query.period.start.isoformat(),
        "end": query.period.end.isoformat(),
        "as_of": as_of.isoformat(),
        "kpis": {key: _entry(rows[key]) for key in query.kpis if key in rows},
    }


def kpi_report_snapshot(query: ReportQuery) -> dict | None:
    """The report from stored snapshots; None when the period has not been computed."""
    if query.period.kind == "range":
        raise ReportError("period", "date ranges are not stored as snapshots: compute them live")
    snapshots = list(
        KpiSnapshot.objects.filter(scope=query.scope, period=query.period.label, kpi__in=query.kpis).select_related(
            "run"
        )
    )
    if not snapshots:
        return None
    rows = {s.kpi: {f: getattr(s, f) for f in (*REPORT_FIELDS, "extra")} for s in snapshots}
    return _report(query, snapshots[0].run.as_of, rows)


def kpi_report_live(query: ReportQuery, *, as_of: datetime.date | None = None) -> dict:
    """The report computed now from the facts (same engine as the snapshots)."""
    as_of = as_of or as_of_date()
    if query.period.start > as_of:
        raise ReportError("period", f"{query.period.label} starts after the as-of date {as_of.isoformat()}")
    grain = "day" if query.period.kind == "range" else "month"
    result = kpis_compute(periods=[query.period], as_of=as_of, grain=grain, scopes=[query.scope])
    table = result.table[result.table["kpi"].isin(query.kpis)]
    rows = {
        row["kpi"]: {**row, "extra": row["extra"] if isinstance(row["extra"], dict) else None}
        for row in table.to_dict("records")
    }
    return _report(query, as_of, rows)


def kpi_series_report(*, scope: str, kpi: str, grain: str, start: datetime.date, end: datetime.date) -> dict:
    """One KPI of one scope for every stored ``grain`` period starting in [start, end], oldest first.

    Each point is a ``kpi_report`` entry (value, n, interval, target, flags)
    with its period's label and dates.
    """
    points = [
        {
            "period": snap.period,
            "start": snap.period_start.isoformat(),
            "end": snap.period_end.isoformat(),
            **_entry({f: getattr(snap, f) for f in (*REPORT_FIELDS, "extra")}),
        }
        for snap in kpi_series(scope=scope, kpi=kpi, kind=grain, start=start, end=end)
    ]
    return {
        "scope": scope,
        "kpi": kpi,
        "grain": grain,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "points": points,
    }


def kpi_funnel_report(*, scope: str, period: Period) -> dict | None:
    """The stage funnel of the deals created in ``period``: each stage's count and its conversion to the next.

    None when the period has no stored snapshot. A step's conversion is
    reached-next / reached-this, null when no deal reached this stage (and for won, the last stage).
    """

    row = KpiSnapshot.objects.filter(scope=scope, period=period.label, kpi="funnel").select_related("run").first()
    if row is None:
        return None
    counts = (row.extra or {}).get("stages", {})
    stages = []
    for index, stage in enumerate(FUNNEL_STAGES):
        count = int(counts.get(stage, 0))
        following = FUNNEL_STAGES[index + 1] if index + 1 < len(FUNNEL_STAGES) else None
        conversion = int(counts.get(following, 0)) / count if following and count else None
        stages.append({"stage": stage, "count": count, "conversion": conversion})
    return {
        "scope": scope,
        "period": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "as_of": row.run.as_of.isoformat(),
        "stages": stages,
    }
