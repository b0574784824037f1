"""Plotly figures for the dashboards, one builder per chart.

Builders take numbers a selector already read (``KpiSnapshot`` rows or
anything with their fields, funnel counts) and return a ``Chart``: the Plotly
figure as a plain dict (``{"data", "layout"}``, embedded by the template and
drawn by ``static/js/charts.js`` with the plotly.js served from ``static/``), a
title and a sentence saying what it shows, and the same numbers as a table, the
text alternative for screen readers and for anyone who cannot hover. Figures are
dicts rather than ``plotly.graph_objects`` objects because building those
validates every attribute and costs milliseconds per chart on every request;
tests validate the dicts with plotly instead.
Numbers are written by dashboards.formatting, as on the cards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dashboards.formatting import (
    attainment_format,
    finite,
    interval_format,
    month_label,
    plain_count,
    plain_days,
    plain_money,
    short_amount,
    value_format,
)
from metrics.models import KpiSnapshot
from metrics.registry import Unit

# Colour-blind safe (Okabe-Ito) colours, one meaning each across every chart.
BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#7B8794",
)
FUNNEL_LABELS = {
    "lead": "Lead",
    "qualified": "Qualified",
    "proposal": "Proposal",
    "negotiation": "Negotiation",
    "won": "Won",
}


@dataclass(frozen=True)
class ChartTable:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def as_html(self) -> SafeString:
        """The table as escaped HTML, first cell of each row a row header (built here: a template loop over
        hundreds of cells costs more than the rest of the page)."""
        head = format_html_join("", '<th scope="col">{}</th>', ((c,) for c in self.columns))
        body = format_html_join(
            "",
            '<tr><th scope="row">{}</th>{}</tr>',
            ((row[0], format_html_join("", "<td>{}</td>", ((c,) for c in row[1:]))) for row in self.rows),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


@dataclass(frozen=True)
class Chart:
    """One chart: what it shows, the Plotly figure (None when there is nothing to draw) and its data table."""

    key: str
    title: str
    summary: str
    figure: dict | None
    table: ChartTable
    empty: str = ""


# --- shared layout ------------------------------------------------------------------------------------


def _layout(*, y_title: str, y_format: str = "", y2: dict | None = None, **extra) -> dict:
    layout: dict[str, Any] = {
        "height": 320,
        "margin": {"l": 64, "r": 64 if y2 else 16, "t": 16, "b": 48},
        "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12, "color": "#1f2933"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "hovermode": "x unified",
        "xaxis": {"type": "category", "automargin": True, "gridcolor": "#eef2f6"},
        "yaxis": {"title": {"text": y_title}, "tickformat": y_format, "automargin": True, "gridcolor": "#eef2f6",
                  "rangemode": "tozero"},
    }  # fmt: skip
    if y2:
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "showgrid": False, "automargin": True, **y2}
    layout.update(extra)
    return layout


def _values(points: Sequence[KpiSnapshot], attr: str = "value") -> list[float | None]:
    return [finite(getattr(p, attr)) for p in points]


def _empty(key: str, title: str, summary: str, columns: tuple[str, ...], message: str) -> Chart:
    return Chart(key, title, summary, None, ChartTable(columns, ()), message)


# --- the charts -------------------------------------------------------------------------------------------


def chart_revenue_vs_target(*, months: Sequence[KpiSnapshot], currency: str, span: str) -> Chart:
    """Monthly revenue against the monthly target, with cumulative revenue against the cumulative target (pace)."""
    key, title = "revenue-target", f"Revenue vs target by month, {span}"
    summary = (
        f"Bars: net revenue of won deals per month ({currency}); dots: the month's target. Lines (right axis): "
        f"revenue so far in {span} against the target so far, the pace to beat."
    )
    columns = ("Month", f"Revenue ({currency})", f"Target ({currency})", "Attainment",
               f"Revenue to date ({currency})", f"Target to date ({currency})")  # fmt: skip
    if not months:
        return _empty(key, title, summary, columns, f"No revenue is stored for {span} yet.")
    labels = [month_label(p.period_start) for p in months]
    revenue, target = _values(months), _values(months, "target")
    cumulative_revenue, cumulative_target, running_r, running_t = [], [], 0.0, 0.0
    has_target = any(t is not None for t in target)
    for r, t in zip(revenue, target, strict=True):
        running_r += r or 0.0
        running_t += t or 0.0
        cumulative_revenue.append(running_r)
        cumulative_target.append(running_t if has_target else None)
    money = f"{currency} %{{y:,.2f}}"
    data = [
        {"type": "bar", "name": "Revenue", "x": labels, "y": revenue, "marker": {"color": BLUE},
         "hovertemplate": money, "text": [short_amount(v) for v in revenue], "textposition": "outside",
         "cliponaxis": False},
        {"type": "scatter", "mode": "markers", "name": "Target", "x": labels, "y": target,
         "marker": {"color": ORANGE, "size": 11, "symbol": "diamond"}, "hovertemplate": money},
        {"type": "scatter", "mode": "lines+markers", "name": "Revenue to date", "x": labels,
         "y": cumulative_revenue, "yaxis": "y2", "line": {"color": GREEN, "width": 2}, "hovertemplate": money},
    ]  # fmt: skip
    if has_target:
        data.append(
            {"type": "scatter", "mode": "lines", "name": "Pace: target to date", "x": labels, "y": cumulative_target,
             "yaxis": "y2", "line": {"color": GREY, "width": 2, "dash": "dash"}, "hovertemplate": money}
        )  # fmt: skip
    layout = _layout(
        y_title=f"Revenue per month ({currency})",
        y_format=".3~s",
        y2={"title": {"text": f"Revenue to date ({currency})"}, "tickformat": ".3~s", "rangemode": "tozero"},
    )
    rows = tuple(
        (label, plain_money(r), plain_money(t), attainment_format(p.attainment), plain_money(cr), plain_money(ct))
        for label, p, r, t, cr, ct in zip(labels, months, revenue, target, cumulative_revenue, cumulative_target,
                                         strict=True)
    )  # fmt: skip
    return Chart(key, title, summary, {"data": data, "layout": layout}, ChartTable(columns, rows))


def chart_win_rate(*, months: Sequence[KpiSnapshot]) -> Chart:
    """Monthly win rate with its 95% Wilson interval as a band; low-sample months drawn hollow."""
    key, title = "win-rate", "Win rate by month, with 95% interval"
    summary = (
        "Line: won ÷ (won + lost) of the deals closed each month, in %. Shaded band: the 95% Wilson interval; "
        "hollow points have fewer closed deals than the minimum sample."
    )
    columns = ("Month", "Win rate", "95% interval", "Closed deals (n)", "Low sample")
    if not months or all(v is None for v in _values(months)):
        return _empty(key, title, summary, columns, "No deals closed in these months.")
    labels = [month_label(p.period_start) for p in months]
    values = _values(months)
    data = [
        {"type": "scatter", "mode": "lines", "name": "95% interval (upper)", "x": labels,
         "y": _values(months, "ci_high"), "line": {"width": 0, "color": SKY}, "showlegend": False,
         "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": "95% interval", "x": labels, "y": _values(months, "ci_low"),
         "line": {"width": 0, "color": SKY}, "fill": "tonexty", "fillcolor": "rgba(86,180,233,0.25)",
         "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines+markers+text", "name": "Win rate", "x": labels, "y": values,
         "line": {"color": BLUE, "width": 2},
         "marker": {"size": 8, "color": BLUE,
                    "symbol": ["circle-open" if p.low_sample else "circle" for p in months]},
         "text": [f"{v * 100:.0f}%" if v is not None else "" for v in values], "textposition": "top center",
         "hovertemplate": "%{y:.1%}"},
    ]  # fmt: skip
    layout = _layout(y_title="Win rate (%)", y_format=".0%")
    layout["yaxis"]["range"] = [0, 1]
    rows = tuple(
        (label, value_format(p.value, Unit.RATIO), interval_format(p.ci_low, p.ci_high, Unit.RATIO),
         plain_count(p.n), "yes" if p.low_sample else "")
        for label, p in zip(labels, months, strict=True)
    )  # fmt: skip
    return Chart(key, title, summary, {"data": data, "layout": layout}, ChartTable(columns, rows))


def chart_funnel(*, stages: dict[str, int] | None, period_label: str) -> Chart:
    """Deals created in the period by the furthest stage they reached, lead → won, with step conversion."""
    key, title = "funnel", f"Pipeline funnel, deals created in {period_label}"
    summary = (
        "How many of the deals created in the period reached each stage, lead to won; each step shows the share "
        "of the previous stage that reached it."
    )
    columns = ("Stage", "Deals that reached it", "Conversion from previous stage")
    if not stages or not stages.get("lead"):
        return _empty(key, title, summary, columns, f"No deals were created in {period_label}.")
    names = [FUNNEL_LABELS[s] for s in FUNNEL_LABELS]
    counts = [int(stages.get(s, 0)) for s in FUNNEL_LABELS]
    data = [
        {"type": "funnel", "name": "Deals", "y": names, "x": counts, "textinfo": "value+percent previous",
         "marker": {"color": [BLUE, SKY, GREEN, ORANGE, VERMILION]},
         "hovertemplate": "%{y}: %{x:,} deals<extra></extra>"}
    ]  # fmt: skip
    layout = _layout(y_title="")
    layout["xaxis"] = {"title": {"text": "Deals"}}
    layout["yaxis"] = {"type": "category", "automargin": True}
    layout["hovermode"] = "closest"
    layout["showlegend"] = False
    rows = []
    for i, (name, count) in enumerate(zip(names, counts, strict=True)):
        conversion = "" if i == 0 else (f"{count / counts[i - 1] * 100:.1f}%" if counts[i - 1] else "no data")
        rows.append((name, f"{count:,}", conversion))
    return Chart(key, title, summary, {"data": data, "layout": layout}, ChartTable(columns, tuple(rows)))


def chart_satisfaction(*, csat: Sequence[KpiSnapshot], nps: Sequence[KpiSnapshot]) -> Chart:
    """CSAT (% satisfied, left axis) and NPS (−100…100, right axis) by month."""
    key, title = "satisfaction", "Customer satisfaction: CSAT and NPS by month"
    summary = (
        "Left axis: CSAT, the share of CSAT responses scoring 4 or 5, in %. Right axis: NPS, promoters minus "
        "detractors per 100 responses (−100 to 100)."
    )
    columns = ("Month", "CSAT", "CSAT responses", "NPS", "NPS responses")
    if all(v is None for v in _values(csat) + _values(nps)):
        return _empty(key, title, summary, columns, "No survey responses in these months.")
    labels = [month_label(p.period_start) for p in csat] or [month_label(p.period_start) for p in nps]
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": "CSAT (left, %)", "x": labels, "y": _values(csat),
         "line": {"color": GREEN, "width": 2}, "hovertemplate": "%{y:.1%}"},
        {"type": "scatter", "mode": "lines+markers", "name": "NPS (right)", "x": labels, "y": _values(nps),
         "yaxis": "y2", "line": {"color": PURPLE, "width": 2, "dash": "dot"}, "hovertemplate": "%{y:.1f}"},
    ]  # fmt: skip
    layout = _layout(
        y_title="CSAT (% satisfied)",
        y_format=".0%",
        y2={"title": {"text": "NPS (−100 to 100)"}, "range": [-100, 100], "zeroline": True},
    )
    layout["yaxis"]["range"] = [0, 1]
    by_month_nps = {p.period_start: p for p in nps}
    rows = tuple(
        (month_label(p.period_start), value_format(p.value, Unit.RATIO), plain_count(p.n),
         value_format(getattr(by_month_nps.get(p.period_start), "value", None), Unit.SCORE),
         plain_count(getattr(by_month_nps.get(p.period_start), "n", None)))
        for p in csat
    )  # fmt: skip
    return Chart(key, title, summary, {"data": data, "layout": layout}, ChartTable(columns, rows))


def chart_churn_retention(*, churn: Sequence[KpiSnapshot], retention: Sequence[KpiSnapshot]) -> Chart:
    """Monthly customer retention and churn rates, in %."""
    key, title = "churn-retention", "Customer retention and churn by month"
    summary = (
        "Of the customers active the day before each month, the share still active on its last day (retention, "
        "line) and the share lost (churn, bars), in %."
    )
    columns = ("Month", "Retention", "Churn", "Customers active at start (n)")
    if all(v is None for v in _values(churn)):
        return _empty(key, title, summary, columns, "No active customers in these months.")
    labels = [month_label(p.period_start) for p in churn]
    churn_values = _values(churn)
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": "Retention", "x": labels, "y": _values(retention),
         "line": {"color": GREEN, "width": 2}, "hovertemplate": "%{y:.1%}"},
        {"type": "bar", "name": "Churn", "x": labels, "y": churn_values, "marker": {"color": VERMILION},
         "text": [f"{v * 100:.1f}%" if v is not None else "" for v in churn_values], "textposition": "outside",
         "cliponaxis": False, "hovertemplate": "%{y:.1%}"},
    ]  # fmt: skip
    layout = _layout(y_title="Share of customers (%)", y_format=".0%")
    layout["yaxis"]["range"] = [0, 1.05]
    by_month_retention = {p.period_start: p for p in retention}
    rows = tuple(
        (month_label(p.period_start),
         value_format(getattr(by_month_retention.get(p.period_start), "value", None), Unit.RATIO),
         value_format(p.value, Unit.RATIO), plain_count(p.n))
        for p in churn
    )  # fmt: skip
    return Chart(key, title, summary, {"data": data, "layout": layout}, ChartTable(columns, rows))


@dataclass(frozen=True)
class ComparisonRow:
    name: str
    revenue: float | None
    target: float | None
    attainment: float | None


def chart_subterritories(*, rows: Sequence[ComparisonRow], currency: str, period_label: str, parent: str) -> Chart:
    """Revenue of each child territory in the period, with its target as a marker."""
    key, title = "subterritories", f"Sub-territories of {parent}: revenue vs target, {period_label}"
    summary = (
        f"One bar per territory directly below {parent}: net revenue in {period_label} ({currency}), labelled with "
        "its attainment; the diamond is the territory's target."
    )
    columns = ("Territory", f"Revenue ({currency})", f"Target ({currency})", "Attainment")
    if not rows:
        return _empty(key, title, summary, columns, f"{parent} has no territories below it.")
    names = [r.name for r in rows]
    revenue = [finite(r.revenue) for r in rows]
    money = f"{currency} %{{y:,.2f}}"
    data = [
        {"type": "bar", "name": "Revenue", "x": names, "y": revenue, "marker": {"color": BLUE},
         "text": [attainment_format(r.attainment) if r.attainment is not None else short_amount(r.revenue)
                  for r in rows],
         "textposition": "outside", "cliponaxis": False, "hovertemplate": money},
        {"type": "scatter", "mode": "markers", "name": "Target", "x": names, "y": [finite(r.target) for r in rows],
         "marker": {"color": ORANGE, "size": 13, "symbol": "diamond"}, "hovertemplate": money},
    ]  # fmt: skip
    layout = _layout(y_title=f"Revenue ({currency})", y_format=".3~s")
    table_rows = tuple(
        (r.name, plain_money(r.revenue), plain_money(r.target), attainment_format(r.attainment)) for r in rows
    )
    return Chart(key, title, summary, {"data": data, "layout": layout}, ChartTable(columns, table_rows))


def chart_activities(
    *, calls: Sequence[KpiSnapshot], meetings: Sequence[KpiSnapshot], emails: Sequence[KpiSnapshot]
) -> Chart:
    """Calls, meetings and emails logged each month, stacked."""
    key, title = "activities", "Activities by kind and month"
    summary = "Stacked bars: the number of calls, meetings and emails logged each month."
    columns = ("Month", "Calls", "Meetings", "Emails", "Total")
    if not any(_values(calls) + _values(meetings) + _values(emails)):
        return _empty(key, title, summary, columns, "No activities were logged in these months.")
    labels = [month_label(p.period_start) for p in calls]
    series = [("Calls", calls, BLUE), ("Meetings", meetings, ORANGE), ("Emails", emails, SKY)]
    data = [
        {"type": "bar", "name": name, "x": labels, "y": _values(points), "marker": {"color": colour},
         "hovertemplate": "%{y:,}"}
        for name, points, colour in series
    ]  # fmt: skip
    layout = _layout(y_title="Activities per month", barmode="stack")
    by_month = [{p.period_start: finite(p.value) for p in points} for _, points, _ in series]
    rows = []
    for p in calls:
        counts = [m.get(p.period_start) or 0 for m in by_month]
        rows.append((month_label(p.period_start), *(f"{c:,.0f}" for c in counts), f"{sum(counts):,.0f}"))
    return Chart(key, title, summary, {"data": data, "layout": layout}, ChartTable(columns, tuple(rows)))


def chart_sales_cycle(*, months: Sequence[KpiSnapshot]) -> Chart:
    """Median, 75th and 90th percentile of days from creation to win, by month."""
    key, title = "sales-cycle", "Sales cycle by month: median, 75th and 90th percentile"
    summary = (
        "Days from a deal's creation to its win, for the deals won each month: the median (solid) and the 75th "
        "and 90th percentiles (dashed), which show the long tail."
    )
    columns = ("Month", "Median (days)", "75th percentile", "90th percentile", "Won deals (n)")
    if all(v is None for v in _values(months)):
        return _empty(key, title, summary, columns, "No won deals with a known creation date in these months.")
    labels = [month_label(p.period_start) for p in months]
    p75 = [finite((p.extra or {}).get("p75")) for p in months]
    p90 = [finite((p.extra or {}).get("p90")) for p in months]
    data = [
        {"type": "scatter", "mode": "lines+markers+text", "name": "Median", "x": labels, "y": _values(months),
         "line": {"color": BLUE, "width": 3}, "text": [plain_days(v) for v in _values(months)],
         "textposition": "bottom center", "hovertemplate": "%{y} days"},
        {"type": "scatter", "mode": "lines+markers", "name": "75th percentile", "x": labels, "y": p75,
         "line": {"color": ORANGE, "dash": "dash"}, "hovertemplate": "%{y} days"},
        {"type": "scatter", "mode": "lines+markers", "name": "90th percentile", "x": labels, "y": p90,
         "line": {"color": VERMILION, "dash": "dot"}, "hovertemplate": "%{y} days"},
    ]  # fmt: skip
    layout = _layout(y_title="Days from created to won")
    rows = tuple(
        (label, plain_days(p.value), plain_days(a), plain_days(b), plain_count(p.n))
        for label, p, a, b in zip(labels, months, p75, p90, strict=True)
    )
    return Chart(key, title, summary, {"data": data, "layout": layout}, ChartTable(columns, rows))
