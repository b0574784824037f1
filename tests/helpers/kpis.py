"""Hand-computed KPI helpers: compute one scope × period, read rows as dicts, enter reps and targets."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import pytest
from django.conf import settings

from metrics.engine import kpis_compute
from metrics.periods import period_parse
from metrics.services.targets import target_input_clean, target_scope_parse, targets_set
from tests.factories import AssignmentFactory, DealFactory, SalesRepFactory

AS_OF = datetime.date(2025, 12, 31)
Z = 1.96  # the spec's z for 95 % intervals


def approx(value):
    """Equal to a hand-computed number (an int, Decimal, Fraction or float) to 12 significant digits."""
    return pytest.approx(float(value), rel=1e-12)


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95 % Wilson score interval, written out: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)."""
    p = k / n
    centre = p + Z * Z / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - half) / (1 + Z * Z / n), (centre + half) / (1 + Z * Z / n)


def _clean(row: dict) -> dict:
    """NaN (null in the engine's table) → None, so tests can say ``is None``."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def kpi_rows(scope: str, period: str, as_of: datetime.date = AS_OF) -> dict[str, dict]:
    """Every KPI row of one scope and period, keyed by KPI, NaN turned into None."""
    parsed = period_parse(period, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    grain = "day" if parsed.kind == "range" else "month"
    result = kpis_compute(periods=[parsed], as_of=as_of, grain=grain, scopes=[scope])
    rows = {row["kpi"]: _clean(row) for row in result.table.to_dict("records")}
    assert all(row["scope"] == scope and row["period"] == parsed.label for row in rows.values())
    return rows


def kpi_grid(scopes: list[str], periods: list[str], as_of: datetime.date = AS_OF) -> dict[tuple[str, str], dict]:
    """Every KPI row of several scopes × periods in one computation: {(scope, period): {kpi key: row}}."""
    parsed = [period_parse(p, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH) for p in periods]
    grain = "day" if any(p.kind == "range" for p in parsed) else "month"
    result = kpis_compute(periods=parsed, as_of=as_of, grain=grain, scopes=scopes)
    grid: dict[tuple[str, str], dict] = {(s, p.label): {} for s in scopes for p in parsed}
    for row in result.table.to_dict("records"):
        grid[row["scope"], row["period"]][row["kpi"]] = _clean(row)
    assert all(grid.values()), "a scope × period was not computed (a period after the as-of date?)"
    return grid


def kpi_value(scope: str, period: str, key: str, as_of: datetime.date = AS_OF) -> dict:
    """The row of one KPI (value, n, ci_low, ci_high, target, attainment, flags, extra)."""
    rows = kpi_rows(scope, period, as_of)
    assert key in rows, f"{key} is not computed for {scope}"
    return rows[key]


def funnel_rows(scopes: list[str], period: str, as_of: datetime.date = AS_OF) -> dict[str, dict]:
    """The stage counts (lead_n … won_n) of each scope for one period: {scope: {stage_n: count}}."""
    parsed = period_parse(period, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    grain = "day" if parsed.kind == "range" else "month"
    funnel = kpis_compute(periods=[parsed], as_of=as_of, grain=grain, scopes=scopes).funnel
    rows = {row["scope"]: row for row in funnel[funnel["period"] == parsed.label].to_dict("records")}
    assert sorted(rows) == sorted(scopes)
    return {scope: {k: int(v) for k, v in row.items() if k.endswith("_n")} for scope, row in rows.items()}


def rep_in(territory, external_id: str | None = None, *, start=None, end=None, **fields):
    """A rep assigned to ``territory`` from ``start`` to ``end`` (open when None)."""
    if external_id is not None:
        fields["external_id"] = external_id
    rep = SalesRepFactory(**fields)
    AssignmentFactory(rep=rep, territory=territory, start_date=start, end_date=end)
    return rep


def target_put(scope: str, kpi: str, period: str, value, distribution=None) -> None:
    """Enter a target as an admin would (validated, spread over months, logged)."""
    entry = target_input_clean(
        scope=target_scope_parse(scope), kpi=kpi, period=period, value=str(value), distribution=distribution
    )
    targets_set(entry=entry)


def won_deal(rep, territory, closed_on, amount="1000.00", *, days_open: int, created_on=None, **fields):
    """A won deal closed on ``closed_on``, created ``days_open`` days before unless ``created_on`` is given."""
    return DealFactory(
        owner=rep,
        territory=territory,
        stage="won",
        amount=Decimal(amount),
        created_on=created_on or closed_on - datetime.timedelta(days=days_open),
        closed_on=closed_on,
        **fields,
    )
