"""Chart builders and value formatting: exact figures and tables from hand-made snapshot rows."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

from dashboards import charts, formatting


def snap(month: int, value=None, *, year: int = 2025, **fields):
    defaults = {"n": None, "ci_low": None, "ci_high": None, "target": None, "attainment": None,
                "low_sample": False, "extra": None}  # fmt: skip
    defaults.update(fields)
    start = datetime.date(year, month, 1)
    return SimpleNamespace(period=f"{year}-{month:02d}", period_start=start, value=value, **defaults)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1234.5, "currency", "EUR 1,234.50"),
        (0.0, "currency", "EUR 0.00"),
        (1500, "count", "1,500"),
        (2.5, "count", "2.5"),
        (0.4725, "ratio", "47.2%"),
        (1, "days", "1 day"),
        (36.5, "days", "36.5 days"),
        (28.947, "score", "+28.9"),
        (-5.0, "score", "-5.0"),
        (0, "score", "0.0"),
        (1.25, "multiple", "1.25×"),
        (None, "ratio", "no data"),
        (float("nan"), "currency", "no data"),
    ],
)
def test_value_format(value, unit, expected):
    assert formatting.value_format(value, unit, "EUR") == expected


def test_changes_in_points_for_rates_and_percent_for_amounts():
    assert formatting.change_format(0.031, "pp") == "+3.1 pp"
    assert formatting.change_format(-0.25, "pp") == "-25.0 pp"
    assert formatting.change_format(5.5, "%") == "+550.0%"
    assert formatting.change_format(None, "%") == "no data"
    assert formatting.attainment_format(None) == "no target"


def test_revenue_vs_target_with_cumulative_pace():
    months = [snap(1, 100.0, target=150.0, attainment=100 / 150), snap(2, 300.0, target=150.0, attainment=2.0),
              snap(3, 0.0)]  # fmt: skip
    chart = charts.chart_revenue_vs_target(months=months, currency="USD", span="2025")
    go.Figure(chart.figure)
    revenue, target, to_date, pace = chart.figure["data"]
    assert revenue["x"] == ["Jan 2025", "Feb 2025", "Mar 2025"]
    assert (revenue["y"], target["y"]) == ([100.0, 300.0, 0.0], [150.0, 150.0, None])
    assert (to_date["y"], pace["y"]) == ([100.0, 400.0, 400.0], [150.0, 300.0, 300.0])
    assert revenue["text"] == ["100", "300", "0"]  # readable without hovering
    assert chart.table.rows == (
        ("Jan 2025", "100.00", "150.00", "66.7%", "100.00", "150.00"),
        ("Feb 2025", "300.00", "150.00", "200.0%", "400.00", "300.00"),
        ("Mar 2025", "0.00", "", "no target", "400.00", "300.00"),
    )
    assert chart.title == "Revenue vs target by month, 2025"


def test_revenue_without_any_target_draws_no_pace_line():
    chart = charts.chart_revenue_vs_target(months=[snap(1, 10.0)], currency="USD", span="2025")
    assert [trace["name"] for trace in chart.figure["data"]] == ["Revenue", "Target", "Revenue to date"]


def test_win_rate_band_and_hollow_low_sample_points():
    months = [snap(1, 0.5, ci_low=0.3, ci_high=0.7, n=40), snap(2, 0.25, ci_low=0.05, ci_high=0.7, n=4,
                                                                  low_sample=True)]  # fmt: skip
    chart = charts.chart_win_rate(months=months)
    go.Figure(chart.figure)
    upper, band, line = chart.figure["data"]
    assert (upper["y"], band["y"], band["fill"]) == ([0.7, 0.7], [0.3, 0.05], "tonexty")
    assert line["marker"]["symbol"] == ["circle", "circle-open"]
    assert chart.table.rows == (
        ("Jan 2025", "50.0%", "30.0% – 70.0%", "40", ""),
        ("Feb 2025", "25.0%", "5.0% – 70.0%", "4", "yes"),
    )


def test_funnel_with_step_conversion():
    stages = {"lead": 200, "qualified": 150, "proposal": 90, "negotiation": 60, "won": 45}
    chart = charts.chart_funnel(stages=stages, period_label="2025-Q4")
    go.Figure(chart.figure)
    assert chart.figure["data"][0]["x"] == [200, 150, 90, 60, 45]
    assert chart.table.rows == (
        ("Lead", "200", ""), ("Qualified", "150", "75.0%"), ("Proposal", "90", "60.0%"),
        ("Negotiation", "60", "66.7%"), ("Won", "45", "75.0%"),
    )  # fmt: skip


def test_satisfaction_churn_activities_cycle_and_subterritories_are_valid_figures():
    built = [
        charts.chart_satisfaction(csat=[snap(1, 0.8, n=20)], nps=[snap(1, 35.0, n=18)]),
        charts.chart_churn_retention(churn=[snap(1, 0.1, n=50)], retention=[snap(1, 0.9, n=50)]),
        charts.chart_activities(calls=[snap(1, 10.0)], meetings=[snap(1, 4.0)], emails=[snap(1, 6.0)]),
        charts.chart_sales_cycle(months=[snap(1, 30.0, n=12, extra={"p75": 45.0, "p90": 80.5})]),
        charts.chart_subterritories(
            rows=[charts.ComparisonRow("East", 500.0, 400.0, 1.25)], currency="USD", period_label="2025-Q1", parent="NA"
        ),  # fmt: skip
    ]
    for chart in built:
        go.Figure(chart.figure)
    satisfaction, churn, activities, cycle, subterritories = (c.table.rows for c in built)
    assert satisfaction == (("Jan 2025", "80.0%", "20", "+35.0", "18"),)
    assert churn == (("Jan 2025", "90.0%", "10.0%", "50"),)
    assert activities == (("Jan 2025", "10", "4", "6", "20"),)
    assert cycle == (("Jan 2025", "30", "45", "80.5", "12"),)
    assert subterritories == (("East", "500.00", "400.00", "125.0%"),)
    assert built[4].figure["data"][0]["text"] == ["125.0%"]


def test_empty_charts_explain_instead_of_drawing():
    empties = {
        "revenue-target": charts.chart_revenue_vs_target(months=[], currency="USD", span="2025"),
        "win-rate": charts.chart_win_rate(months=[snap(1, None)]),
        "funnel": charts.chart_funnel(stages={"lead": 0}, period_label="2025-Q4"),
        "satisfaction": charts.chart_satisfaction(csat=[snap(1, None)], nps=[snap(1, None)]),
        "activities": charts.chart_activities(calls=[snap(1, 0.0)], meetings=[snap(1, 0.0)], emails=[snap(1, 0.0)]),
        "subterritories": charts.chart_subterritories(rows=[], currency="USD", period_label="2025", parent="Japan"),
    }
    assert {key: (c.figure, c.empty) for key, c in empties.items()} == {
        "revenue-target": (None, "No revenue is stored for 2025 yet."),
        "win-rate": (None, "No deals closed in these months."),
        "funnel": (None, "No deals were created in 2025-Q4."),
        "satisfaction": (None, "No survey responses in these months."),
        "activities": (None, "No activities were logged in these months."),
        "subterritories": (None, "Japan has no territories below it."),
    }


def test_data_table_html_is_escaped():
    table = charts.ChartTable(("Territory", "Revenue"), (("<b>East</b>", "1 & 2"),))
    assert table.as_html() == (
        '<table><thead><tr><th scope="col">Territory</th><th scope="col">Revenue</th></tr></thead><tbody>'
        '<tr><th scope="row">&lt;b&gt;East&lt;/b&gt;</th><td>1 &amp; 2</td></tr></tbody></table>'
    )
