"""What a dashboard page shows of its KPIs: the cards, formatted, their CSV rows, and the monthly charts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

from dashboards import charts
from dashboards.formatting import attainment_format, change_format, interval_format, value_format
from dashboards.page import PageScope, with_period
from dashboards.readers import SnapshotReader
from metrics.periods import Period, month_add, period_last_year, period_previous, periods_containing
from metrics.registry import KPI_BY_KEY, Kind
from metrics.selectors.cards import KpiCard


@dataclass(frozen=True)
class CardView:
    """A KPI card with every number already formatted for the page."""

    card: KpiCard
    value: str
    target: str
    attainment: str
    attainment_width: int  # 0..100, the bar's fill (100 = 150% of target)
    attainment_class: str
    pace: str
    previous_change: str
    previous_class: str
    last_year_change: str
    last_year_class: str
    details: str  # n and interval, shown on hover and focus
    note: str  # e.g. the sales cycle's p75 / p90
    drill_url: str
    description: str


def _direction(change: float | None, higher_is_better: bool) -> str:
    if change is None or change == 0:
        return "flat"
    return "good" if (change > 0) == higher_is_better else "bad"


def card_views(*, cards: list[KpiCard], scope: PageScope, period: Period, currency: str) -> dict[str, list[CardView]]:
    """Cards grouped as {"leading": [...], "lagging": [...]}, in registry order."""
    grouped: dict[str, list[CardView]] = {Kind.LEADING.value: [], Kind.LAGGING.value: []}
    for card in cards:
        value = value_format(card.value, card.unit, currency)
        details = []
        if card.n is not None:
            details.append(f"n = {card.n:,.0f}")
        interval = interval_format(card.ci_low, card.ci_high, card.unit, currency)
        if interval:
            details.append(f"95% interval {interval}")
        note = ""
        if card.key == "sales_cycle_days" and card.extra and card.extra.get("p75") is not None:
            note = f"75th percentile {card.extra['p75']:g} days · 90th {card.extra['p90']:g} days"
        pace = ""
        if card.pace:
            expected = value_format(card.expected_to_date, card.unit, currency)
            pace = f"{'Ahead of' if card.pace == 'ahead' else 'Behind'} pace: {expected} expected by now"
        attainment = card.attainment
        definition = KPI_BY_KEY[card.key]
        grouped[card.kind].append(
            CardView(
                card=card,
                value=value,
                target=value_format(card.target, card.unit, currency) if card.target is not None else "",
                attainment=attainment_format(attainment) if card.target is not None else "",
                attainment_width=0 if attainment is None else max(0, min(100, round(attainment / 1.5 * 100))),
                attainment_class="" if attainment is None else ("met" if attainment >= 1 else "short"),
                pace=pace,
                previous_change=change_format(card.change_previous, card.change_unit),
                previous_class=_direction(card.change_previous, card.higher_is_better),
                last_year_change=change_format(card.change_last_year, card.change_unit),
                last_year_class=_direction(card.change_last_year, card.higher_is_better),
                details=" · ".join(details),
                note=note,
                drill_url=with_period(scope.url("drill", kpi=card.key), period) if definition.drillable else "",
                description=definition.description,
            )
        )
    return grouped


def comparison_labels(*, period: Period, cards: list[KpiCard], in_progress: bool) -> dict[str, str]:
    """How the page names the comparisons, honest about a period in progress."""
    fiscal = settings.FISCAL_YEAR_START_MONTH
    previous = period_previous(period, fiscal_start_month=fiscal).label
    last_year = period_last_year(period, fiscal_start_month=fiscal).label
    if not in_progress:
        # A year's previous period is last year: one comparison says it all.
        same = previous == last_year
        return {"previous": f"vs {previous}", "last_year": "" if same else f"vs {last_year}", "note": ""}
    same = previous == last_year
    if any(c.like_for_like for c in cards):
        return {
            "previous": f"vs same days of {previous}",
            "last_year": "" if same else f"vs same days of {last_year}",
            "note": (
                f"{period.label} is in progress: amounts and counts are compared with the same number of elapsed "
                f"days of {previous} and {last_year}; rates and other KPIs without a like-for-like figure are "
                "compared with the whole earlier period."
            ),
        }
    return {
        "previous": f"vs all of {previous}",
        "last_year": "" if same else f"vs all of {last_year}",
        "note": f"{period.label} is in progress: its numbers so far are compared with whole earlier periods.",
    }


CARDS_CSV_HEADER = (
    "kpi", "label", "kind", "unit", "period", "value", "target", "attainment", "n", "ci_low", "ci_high",
    "previous", "change_previous", "last_year", "change_last_year", "change_unit", "like_for_like",
    "expected_to_date", "pace", "low_sample", "provisional",
)  # fmt: skip


def cards_csv_rows(cards: list[KpiCard], period: Period):
    for c in cards:
        yield (
            c.key, c.label, c.kind, c.unit, period.label, c.value, c.target, c.attainment, c.n, c.ci_low, c.ci_high,
            c.previous, c.change_previous, c.last_year, c.change_last_year, c.change_unit, c.like_for_like,
            c.expected_to_date, c.pace, c.low_sample, c.provisional,
        )  # fmt: skip


SERIES_KPIS = [
    "revenue", "win_rate", "csat", "nps", "churn_rate", "retention_rate", "calls", "meetings", "emails",
    "sales_cycle_days",
]  # fmt: skip


def chart_windows(period: Period, as_of: datetime.date) -> tuple[Period, datetime.date, datetime.date]:
    """The (fiscal) year the revenue chart covers, and the 12 months the trend charts cover.

    Both end with the period's last month, or the as-of month when the period is in progress.
    """
    last_month = min(period.end, as_of).replace(day=1)
    year = periods_containing(last_month, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)[2]
    return year, month_add(last_month, -11), last_month


def monthly_charts(
    *, reader: SnapshotReader, scope: PageScope, period: Period, as_of: datetime.date, currency: str
) -> list[charts.Chart]:
    """The charts every dashboard and scorecard shows, from one series query and the funnel."""
    year, trend_start, last_month = chart_windows(period, as_of)
    start = min(year.start, trend_start)
    series = reader.series(scope=scope.key, kpis=SERIES_KPIS, start=start, end=last_month)

    def trend(key: str) -> list:
        return [s for s in series[key] if trend_start <= s.period_start <= last_month]

    year_revenue = [s for s in series["revenue"] if year.start <= s.period_start <= last_month]
    return [
        charts.chart_revenue_vs_target(months=year_revenue, currency=currency, span=year.label),
        charts.chart_win_rate(months=trend("win_rate")),
        charts.chart_funnel(stages=reader.funnel(scope=scope.key, period=period), period_label=period.label),
        charts.chart_satisfaction(csat=trend("csat"), nps=trend("nps")),
        charts.chart_churn_retention(churn=trend("churn_rate"), retention=trend("retention_rate")),
        charts.chart_activities(calls=trend("calls"), meetings=trend("meetings"), emails=trend("emails")),
        charts.chart_sales_cycle(months=trend("sales_cycle_days")),
    ]
