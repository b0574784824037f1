"""KPI cards of one scope and period with their comparisons, series and the stored periods, for pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from metrics.models import KpiSnapshot
from metrics.periods import Period, period_last_year, period_previous
from metrics.registry import KPIS, Unit


@dataclass(frozen=True)
class KpiCard:
    """One KPI of one scope and period, with its comparisons, ready for a page or the API."""

    key: str
    label: str
    unit: str
    kind: str
    higher_is_better: bool
    value: float | None
    n: float | None
    ci_low: float | None
    ci_high: float | None
    target: float | None
    attainment: float | None
    low_sample: bool
    provisional: bool
    extra: dict | None
    previous: float | None
    last_year: float | None
    # Rates change in percentage points (as a fraction: 0.031 = 3.1 pp), amounts and counts in %.
    change_previous: float | None
    change_last_year: float | None
    change_unit: str  # "pp" or "%"
    expected_to_date: float | None  # pace: target × elapsed / days, for the period in progress
    pace: str | None  # "ahead", "behind" or None
    # True when previous/last_year are the same elapsed days of those periods (period in progress).
    like_for_like: bool = False


def _change(value, base, unit: str):
    if value is None or base is None:
        return None
    if unit == "pp":
        return value - base
    return None if base == 0 else (value - base) / abs(base)


def kpi_cards(*, scope: str, period: Period, as_of: datetime.date | None = None) -> list[KpiCard]:
    """Every stored KPI of ``scope`` in ``period`` with previous-period and last-year comparisons (one query)."""
    fiscal = settings.FISCAL_YEAR_START_MONTH
    labels = [period.label, period_previous(period, fiscal_start_month=fiscal).label]
    labels.append(period_last_year(period, fiscal_start_month=fiscal).label)
    rows = list(KpiSnapshot.objects.filter(scope=scope, period__in=labels).exclude(kpi="funnel"))
    current = [row for row in rows if row.period == period.label]
    if not current:
        return []
    return kpi_cards_from(rows, period=period, as_of=as_of or current[0].run.as_of)


def kpi_cards_from(rows: Iterable, *, period: Period, as_of: datetime.date) -> list[KpiCard]:
    """The cards of ``period`` from snapshot rows (stored, or computed live) of it and its two comparison periods."""
    fiscal = settings.FISCAL_YEAR_START_MONTH
    previous = period_previous(period, fiscal_start_month=fiscal)
    last_year = period_last_year(period, fiscal_start_month=fiscal)
    by_period: dict[str, dict] = {}
    for row in rows:
        by_period.setdefault(row.period, {})[row.kpi] = row
    current = by_period.get(period.label, {})
    in_progress = as_of is not None and period.start <= as_of < period.end
    elapsed = (as_of - period.start).days + 1 if in_progress else None
    cards = []
    for definition in KPIS:
        snap = current.get(definition.key)
        if snap is None:
            continue
        unit = "pp" if definition.unit in (Unit.RATIO,) else "%"
        prev = by_period.get(previous.label, {}).get(definition.key)
        ly = by_period.get(last_year.label, {}).get(definition.key)
        prev_value = prev.value if prev else None
        ly_value = ly.value if ly else None
        extra = snap.extra or {}
        like_for_like = in_progress and "previous_to_date" in extra
        if like_for_like:
            # Period to date against the same number of days of the earlier periods.
            prev_value, ly_value = extra["previous_to_date"], extra["last_year_to_date"]
        expected = pace = None
        if in_progress and snap.target is not None and definition.additive:
            expected = snap.target * elapsed / period.days
            if snap.value is not None:
                ahead = snap.value >= expected if definition.higher_is_better else snap.value <= expected
                pace = "ahead" if ahead else "behind"
        cards.append(
            KpiCard(
                key=definition.key, label=definition.label, unit=definition.unit.value, kind=definition.kind.value,
                higher_is_better=definition.higher_is_better, value=snap.value, n=snap.n, ci_low=snap.ci_low,
                ci_high=snap.ci_high, target=snap.target, attainment=snap.attainment, low_sample=snap.low_sample,
                provisional=snap.provisional, extra=snap.extra, previous=prev_value, last_year=ly_value,
                change_previous=_change(snap.value, prev_value, unit),
                change_last_year=_change(snap.value, ly_value, unit), change_unit=unit,
                expected_to_date=expected, pace=pace, like_for_like=like_for_like,
            )
        )  # fmt: skip
    return cards


def kpi_series(*, scope: str, kpi: str, kind: str, start: datetime.date, end: datetime.date) -> list[KpiSnapshot]:
    """Snapshots of one KPI of one scope for every period of ``kind`` starting in [start, end], in order."""
    return list(
        KpiSnapshot.objects.filter(
            scope=scope, kpi=kpi, period_kind=kind, period_start__gte=start, period_start__lte=end
        ).order_by("period_start")
    )


def kpi_snapshots_for_scopes(*, scopes: list[str], period: str, kpis: list[str]) -> dict[str, dict[str, KpiSnapshot]]:
    """{scope: {kpi: snapshot}} for many scopes in one period (leaderboards, sub-territory comparison)."""
    found: dict[str, dict[str, KpiSnapshot]] = {}
    for row in KpiSnapshot.objects.filter(scope__in=scopes, period=period, kpi__in=kpis):
        found.setdefault(row.scope, {})[row.kpi] = row
    return found


def kpi_funnel(*, scope: str, period: str) -> dict[str, int] | None:
    """Stage counts of the deals created in the period, lead → won."""
    row = KpiSnapshot.objects.filter(scope=scope, period=period, kpi="funnel").first()
    return row.extra["stages"] if row and row.extra else None


@dataclass(frozen=True)
class PeriodOption:
    label: str
    kind: str
    start: datetime.date
    end: datetime.date


def kpi_periods_available(*, scope: str) -> list[PeriodOption]:
    """The periods stored for ``scope`` (those with a revenue snapshot), newest first, years before quarters."""
    order = {"year": 0, "quarter": 1, "month": 2}
    rows = KpiSnapshot.objects.filter(scope=scope, kpi="revenue").values_list(
        "period", "period_kind", "period_start", "period_end"
    )
    options = [PeriodOption(*row) for row in rows]
    return sorted(options, key=lambda o: (-o.start.toordinal(), order.get(o.kind, 3)))


def kpi_series_many(
    *, scope: str, kpis: list[str], kind: str, start: datetime.date, end: datetime.date
) -> dict[str, list[KpiSnapshot]]:
    """{kpi: snapshots of every period of ``kind`` starting in [start, end], in order}, in one query."""
    found: dict[str, list[KpiSnapshot]] = {key: [] for key in kpis}
    rows = KpiSnapshot.objects.filter(
        scope=scope, period_kind=kind, period_start__gte=start, period_start__lte=end, kpi__in=kpis
    ).order_by("period_start")
    for row in rows:
        found[row.kpi].append(row)
    return found
