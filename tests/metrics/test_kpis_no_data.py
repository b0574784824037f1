"""Deal KPIs without data: empty denominators are null, never zero, and KPIs without a sample size have no n."""

from __future__ import annotations

from metrics.selectors.reports import kpi_report_live, kpi_report_query
from tests.helpers.deals import D, open_deal, won
from tests.helpers.kpis import rep_in, target_put

DEAL_RATES = (
    "avg_deal_size",
    "win_rate",
    "lead_conversion_rate",
    "sales_cycle_days",
    "revenue_growth",
    "revenue_yoy",
    "pipeline_coverage",
    "follow_up_rate",
)


def test_empty_denominators_are_null_never_zero(tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 3, 10))
    won(a, east, D(2025, 2, 10))
    won(a, east, D(2024, 3, 10))
    open_deal(a, east, D(2025, 3, 5))
    target_put("territory:na-east", "revenue", "2025-03", "5000")

    table = grid(["territory:emea", "territory:na-east"], ["2025-03"])
    rows = table["territory:emea", "2025-03"]
    for key in DEAL_RATES:
        assert rows[key]["value"] is None, key
    for key in ("revenue", "deals_won", "deals_created", "pipeline_value"):
        assert rows[key]["value"] == 0, key
    for key in ("win_rate", "lead_conversion_rate", "follow_up_rate"):
        assert rows[key]["n"] == 0 and rows[key]["ci_low"] is None and rows[key]["ci_high"] is None, key
    # the same rows defined for na-east (the control): every one has a value there
    east_rows = table["territory:na-east", "2025-03"]
    for key in DEAL_RATES:
        assert east_rows[key]["value"] is not None, key


def test_kpi_report_shows_null_as_none(tree, db):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 3, 10), "600.00")
    query = kpi_report_query(scope="territory:emea", period="2025-03", kpis="revenue,avg_deal_size,win_rate")
    report = kpi_report_live(query, as_of=D(2025, 12, 31))
    assert report["kpis"]["revenue"]["value"] == 0
    assert report["kpis"]["avg_deal_size"]["value"] is None
    assert report["kpis"]["win_rate"] == {
        "value": None,
        "n": 0,
        "ci_low": None,
        "ci_high": None,
        "target": None,
        "attainment": None,
        "low_sample": False,  # "no data" is shown as such, not as a low-sample value
        "provisional": False,
    }


NO_SAMPLE_SIZE = (
    "deals_won",
    "deals_created",
    "revenue_growth",
    "revenue_yoy",
    "new_customers",
    "customers_active",
    "quota_attainment",
    "pipeline_coverage",
    "calls",
    "meetings",
    "emails",
    "clv_cac_ratio",
    "rep_turnover_rate",
)


def test_kpis_without_a_sample_size_have_no_n(tree, kpis):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 3, 10))
    rows = kpis("company", "2025-03")
    for key in NO_SAMPLE_SIZE:  # "—" in the n column of the spec
        assert rows[key]["n"] is None and not rows[key]["low_sample"], key
    assert rows["revenue"]["n"] == 1  # revenue's n is deals_won
