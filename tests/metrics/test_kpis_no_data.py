"""Deal KPIs without data: empty denominators are null, never zero, and KPIs without a sample size have no n."""

from __future__ import annotations

from decimal import Decimal

from metrics.selectors.reports import kpi_report_live, kpi_report_query
from tests.factories import ActivityFactory, CustomerFactory, ExpenseFactory, SurveyResponseFactory
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
    # the installation records activities (a January email), so the follow-up rate is defined
    ActivityFactory(rep=a, territory=east, kind="email", occurred_on=D(2025, 1, 5))

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


# --- fact families the installation does not record ------------------------------------------------------


def test_cac_is_null_without_an_expense_row_and_zero_with_a_recorded_zero(tree, grid):
    east, west, uk = tree["na-east"], tree["na-west"], tree["uk"]
    a, b, c = rep_in(east, "ra"), rep_in(west, "rb"), rep_in(uk, "rc")
    # one new customer in each of na-east, na-west and uk in March
    won(a, east, D(2025, 3, 10), "1000.00", customer=CustomerFactory(territory=east, owner=a))
    won(b, west, D(2025, 3, 11), "1000.00", customer=CustomerFactory(territory=west, owner=b))
    won(c, uk, D(2025, 3, 12), "1000.00", customer=CustomerFactory(territory=uk, owner=c))
    ExpenseFactory(territory=west, month=D(2025, 3, 1), amount=Decimal("0.00"))  # a recorded zero
    ExpenseFactory(territory=uk, month=D(2025, 3, 1), amount=Decimal("600.00"))
    ExpenseFactory(territory=east, month=D(2025, 4, 1), amount=Decimal("900.00"))  # April: not in March

    scopes = ["territory:na-east", "territory:na-west", "territory:na", "territory:emea", "company"]
    table = grid(scopes, ["2025-03"])

    def cac(scope):
        return table[scope, "2025-03"]["cac"]

    # na-east: 1 new customer, no expense row in March → no data (was 0 / 1 = 0)
    assert cac("territory:na-east")["value"] is None and cac("territory:na-east")["n"] == 1
    assert table["territory:na-east", "2025-03"]["clv_cac_ratio"]["value"] is None
    # na-west: a row of 0.00 → 0 / 1 = 0, a real 0
    assert cac("territory:na-west")["value"] == 0
    # na: na-west's row counts → (0 + 0) / 2 new customers = 0
    assert cac("territory:na")["value"] == 0 and cac("territory:na")["n"] == 2
    # emea: uk's 600 / 1 new customer = 600
    assert cac("territory:emea")["value"] == 600
    # company: 600 / 3 new customers = 200
    assert cac("company")["value"] == 200


def test_activity_kpis_are_null_when_the_installation_holds_no_activity(tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    deal = won(a, east, D(2025, 3, 10), created_on=D(2025, 3, 2))
    open_deal(a, east, D(2025, 3, 5))

    # no activity anywhere: calls, meetings, emails and the follow-up rate are no data, not 0
    rows = grid(["territory:na-east", "company"], ["2025-03"])
    for scope in ("territory:na-east", "company"):
        for key in ("calls", "meetings", "emails", "follow_up_rate"):
            assert rows[scope, "2025-03"][key]["value"] is None, (scope, key)
        follow_up = rows[scope, "2025-03"]["follow_up_rate"]
        assert follow_up["ci_low"] is None and follow_up["ci_high"] is None and not follow_up["low_sample"]

    # one call in January, on no deal of March: the installation records activities now
    ActivityFactory(rep=a, territory=east, kind="call", occurred_on=D(2025, 1, 20))
    rows = grid(["territory:na-east", "territory:emea"], ["2025-03"])
    east_rows, emea_rows = rows["territory:na-east", "2025-03"], rows["territory:emea", "2025-03"]
    # March: 0 calls, 0 meetings, 0 emails in na-east and in emea (recorded zeros)
    for key in ("calls", "meetings", "emails"):
        assert east_rows[key]["value"] == 0 and emea_rows[key]["value"] == 0, key
    # 2 deals created in March, none followed up: 0 / 2 = 0; emea created none: 0 / 0 → null
    assert east_rows["follow_up_rate"]["value"] == 0 and east_rows["follow_up_rate"]["n"] == 2
    assert emea_rows["follow_up_rate"]["value"] is None
    # the call is after the as-of date: as of 2025-01-19 the installation holds none yet
    assert (
        grid(["territory:na-east"], ["2025-01"], as_of=D(2025, 1, 19))["territory:na-east", "2025-01"]["calls"]["value"]
        is None
    )
    assert deal.created_on == D(2025, 3, 2)


def test_csat_and_nps_are_null_without_a_response_in_the_period(tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    customer = CustomerFactory(territory=east, owner=a)
    won(a, east, D(2025, 1, 10), customer=customer)
    SurveyResponseFactory(customer=customer, territory=east, rep=a, kind="csat", score=5, responded_on=D(2025, 2, 3))
    SurveyResponseFactory(customer=customer, territory=east, rep=a, kind="nps", score=10, responded_on=D(2025, 2, 4))
    rows = grid(["territory:na-east"], ["2025-02", "2025-03"])
    # February: 1 of 1 CSAT response scores 4-5 → 1; NPS 100 × (1 − 0) / 1 = 100
    assert rows["territory:na-east", "2025-02"]["csat"]["value"] == 1
    assert rows["territory:na-east", "2025-02"]["nps"]["value"] == 100
    # March: no response → no data, not 0
    for key in ("csat", "nps"):
        row = rows["territory:na-east", "2025-03"][key]
        assert row["value"] is None and row["n"] == 0 and not row["low_sample"], key
