"""Pipeline value, pipeline coverage, follow-up and the stage funnel worked out by hand from spec/kpis.md."""

from __future__ import annotations

from fractions import Fraction

import pytest

from metrics.periods import period_parse
from metrics.selectors.reports import kpi_funnel_report
from metrics.services.recompute import kpi_recompute
from tests.factories import ActivityFactory
from tests.helpers.deals import D, lost, open_deal, won
from tests.helpers.kpis import approx, funnel_rows, rep_in, target_put, wilson


@pytest.fixture
def pipeline(tree):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    open_deal(a, east, D(2025, 2, 10), "1000.00")  # X: open on 31 March
    won(a, east, D(2025, 4, 2), "2000.00", created_on=D(2025, 3, 5))  # Y: open on 31 March (closes in April)
    lost(a, east, D(2025, 3, 31), "4000.00", created_on=D(2025, 1, 10))  # Z: closed on 31 March: not open that day
    open_deal(a, east, D(2025, 4, 1), "8000.00")  # W: created after 31 March
    open_deal(a, east, None, "16000.00")  # U: created_on unknown, open: only in the as-of pipeline
    won(a, east, D(2025, 6, 1), "32000.00", created_on=None)  # V: created_on unknown, won in June
    return east


def test_pipeline_value_is_the_amount_open_on_the_last_day(pipeline, kpi, grid):
    table = grid(["territory:na-east"], ["2025-02", "2025-03", "2025-12"])
    # 31 March 2025 (before the as-of date): X 1000 + Y 2000 = 3000, 2 deals
    row = table["territory:na-east", "2025-03"]["pipeline_value"]
    assert row["value"] == 3000 and row["n"] == 2
    # December 2025 ends on the as-of date: X 1000 + W 8000 + U 16000 = 25000 (Y, Z, V closed)
    row = table["territory:na-east", "2025-12"]["pipeline_value"]
    assert row["value"] == 25000 and row["n"] == 3
    # As of 20 March (earlier than P's last day) the pipeline of that day: X, Y (closes later),
    # Z (closes later), U (unknown created_on, open then) and V (unknown created_on, closes in June):
    # 1000 + 2000 + 4000 + 16000 + 32000 = 55000; W did not exist yet.
    row = kpi("territory:na-east", "2025-03", "pipeline_value", as_of=D(2025, 3, 20))
    assert row["value"] == 55000 and row["n"] == 5
    # February 2025 ended before the as-of date: only X (created 10 Feb) and Z (created 10 Jan) = 5000;
    # U and V, with no created_on, are in no earlier pipeline.
    row = table["territory:na-east", "2025-02"]["pipeline_value"]
    assert row["value"] == 5000 and row["n"] == 2


def test_pipeline_value_on_the_last_day_of_a_date_range(pipeline, grid):
    table = grid(["territory:na-east"], ["2025-03-01..2025-03-15", "2025-02-01..2025-03-04"])
    # open on 15 March: X (created 10 Feb), Y (created 5 Mar, closes 2 Apr), Z (closes 31 Mar) = 7000
    row = table["territory:na-east", "2025-03-01..2025-03-15"]["pipeline_value"]
    assert row["value"] == 7000 and row["n"] == 3
    # open on 4 March: X and Z (Y is created the next day) = 5000
    row = table["territory:na-east", "2025-02-01..2025-03-04"]["pipeline_value"]
    assert row["value"] == 5000 and row["n"] == 2


def test_pipeline_coverage_is_the_opening_pipeline_over_the_revenue_target(pipeline, grid):
    target_put("territory:na-east", "revenue", "2025-04", "12000")
    target_put("territory:na-east", "revenue", "2025-Q3", "30000")  # 10000 a month
    table = grid(["territory:na-east", "company"], ["2025-04", "2025-05", "2025-Q3"])

    def coverage(scope, period):
        return table[scope, period]["pipeline_coverage"]["value"]

    # pipeline on 31 March (X + Y = 3000) / April target 12000 = 0.25
    assert coverage("territory:na-east", "2025-04") == 0.25
    # company target = na (no own target: na-east 12000) = 12000; company pipeline = 3000 → 0.25
    assert coverage("company", "2025-04") == 0.25
    # Q3: pipeline on 30 June = X 1000 + W 8000 = 9000 (U has no created_on) / 30000 = 0.3
    assert coverage("territory:na-east", "2025-Q3") == approx(0.3)
    # no revenue target for May: no coverage
    assert coverage("territory:na-east", "2025-05") is None


def test_follow_up_counts_an_activity_up_to_day_seven_after_creation(tree, kpi, settings):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    created = D(2025, 3, 1)
    same_day, day7, day8, before, none = (open_deal(a, east, created) for _ in range(5))
    ActivityFactory(rep=a, territory=east, deal=same_day, occurred_on=D(2025, 3, 1))  # day 0: counts
    ActivityFactory(rep=a, territory=east, deal=day7, occurred_on=D(2025, 3, 8))  # day 7: counts
    ActivityFactory(rep=a, territory=east, deal=day8, occurred_on=D(2025, 3, 9))  # day 8: too late
    ActivityFactory(rep=a, territory=east, deal=before, occurred_on=D(2025, 2, 28))  # before creation
    ActivityFactory(rep=a, territory=east, deal=None, occurred_on=D(2025, 3, 2))  # on no deal

    row = kpi("territory:na-east", "2025-03", "follow_up_rate")
    assert row["value"] == approx(Fraction(2, 5)) and row["n"] == 5  # same day and day 7
    low, high = wilson(2, 5)
    assert row["ci_low"] == approx(low) and row["ci_high"] == approx(high)
    # as of 5 March the day-7 activity has not happened yet: 1 of 5
    assert kpi("territory:na-east", "2025-03", "follow_up_rate", as_of=D(2025, 3, 5))["value"] == approx(0.2)
    # with FOLLOW_UP_DAYS = 8 the day-8 activity counts too: 3 of 5
    settings.FOLLOW_UP_DAYS = 8
    assert kpi("territory:na-east", "2025-03", "follow_up_rate")["value"] == approx(0.6)


def test_funnel_counts_the_stages_each_deal_reached(tree, db):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 4, 5), created_on=D(2025, 3, 3))  # reached all five
    lost(a, east, D(2025, 3, 20), created_on=D(2025, 3, 4), lost_from_stage="proposal")  # lead, qualified, proposal
    lost(a, east, D(2025, 3, 21), created_on=D(2025, 3, 5))  # no lost_from_stage: lead only
    open_deal(a, east, D(2025, 3, 6), stage="negotiation")  # lead … negotiation
    open_deal(a, east, D(2025, 3, 7), stage="qualified")  # lead, qualified
    open_deal(a, east, D(2025, 2, 27), stage="negotiation")  # created in February: not in P

    funnels = funnel_rows(["territory:na-east", "territory:na", "territory:emea"], "2025-03")
    stages = funnels["territory:na-east"]
    assert stages == {"lead_n": 5, "qualified_n": 4, "proposal_n": 3, "negotiation_n": 2, "won_n": 1}
    # the parent pools the same deals
    assert funnels["territory:na"] == stages
    assert funnels["territory:emea"] == dict.fromkeys(stages, 0)

    # stored and served with each step's conversion: reached next / reached this
    kpi_recompute(as_of=D(2025, 12, 31), reason="test")
    report = kpi_funnel_report(scope="territory:na-east", period=period_parse("2025-03"))
    assert [(s["stage"], s["count"], s["conversion"]) for s in report["stages"]] == [
        ("lead", 5, 4 / 5),
        ("qualified", 4, 3 / 4),
        ("proposal", 3, 2 / 3),
        ("negotiation", 2, 1 / 2),
        ("won", 1, None),  # the last stage has no next one
    ]
