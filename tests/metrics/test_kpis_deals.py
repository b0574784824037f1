"""Deal KPIs worked out by hand from spec/kpis.md: revenue, deals won, average size, win rate,
deals created, lead conversion, sales cycle (median, p75, p90), growth, pipeline, coverage,
follow-up and the stage funnel."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from metrics.periods import period_parse
from metrics.selectors.reports import kpi_funnel_report, kpi_report_live, kpi_report_query
from metrics.services.recompute import kpi_recompute
from tests.factories import ActivityFactory, AssignmentFactory, DealFactory
from tests.helpers.kpis import approx, funnel_rows, rep_in, target_put, wilson

D = datetime.date
TEN_DAYS_EARLIER = object()  # default created_on of won()/lost(): closed_on − 10 days


def won(rep, territory, closed_on, amount="1000.00", created_on=TEN_DAYS_EARLIER, **fields):
    if created_on is TEN_DAYS_EARLIER:
        created_on = closed_on - datetime.timedelta(days=10)
    return DealFactory(
        owner=rep,
        territory=territory,
        stage="won",
        amount=Decimal(amount),
        created_on=created_on,
        closed_on=closed_on,
        **fields,
    )


def lost(rep, territory, closed_on, amount="1000.00", created_on=TEN_DAYS_EARLIER, **fields):
    if created_on is TEN_DAYS_EARLIER:
        created_on = closed_on - datetime.timedelta(days=10)
    return DealFactory(
        owner=rep,
        territory=territory,
        stage="lost",
        amount=Decimal(amount),
        created_on=created_on,
        closed_on=closed_on,
        **fields,
    )


def open_deal(rep, territory, created_on, amount="1000.00", stage="proposal", **fields):
    return DealFactory(
        owner=rep, territory=territory, stage=stage, amount=Decimal(amount), created_on=created_on, **fields
    )


# --- revenue, deals won, average deal size ------------------------------------------------------


def test_revenue_is_net_of_partial_and_full_refunds(tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 3, 5), "1000.00", refunded_amount=Decimal("200.00"))  # net 800.00
    won(a, east, D(2025, 3, 20), "500.00", refunded_amount=Decimal("500.00"))  # fully refunded: net 0, still won
    won(a, east, D(2025, 3, 31), "250.55")  # last day of March: in P
    won(a, east, D(2025, 4, 1), "700.00")  # April: not in P
    lost(a, east, D(2025, 3, 10), "900.00")  # lost: no revenue
    open_deal(a, east, D(2025, 3, 1), "4000.00")  # open: no revenue

    scopes = ["territory:na-east", "territory:na", "company", "rep:ra", "territory:emea"]
    table = grid(scopes, ["2025-03"])
    for scope in scopes[:-1]:
        rows = table[scope, "2025-03"]
        # 800.00 + 0.00 + 250.55 = 1050.55 over 3 won deals
        assert rows["revenue"]["value"] == approx(Decimal("1050.55")), scope
        assert rows["revenue"]["n"] == 3
        assert rows["deals_won"]["value"] == 3
        # 1050.55 / 3 = 350.18333…
        assert rows["avg_deal_size"]["value"] == approx(Fraction(105055, 300))
        assert rows["avg_deal_size"]["n"] == 3

    # Nothing was won in the other branch: revenue is 0 (a sum), the average has no data.
    emea = table["territory:emea", "2025-03"]
    assert emea["revenue"]["value"] == 0 and emea["deals_won"]["value"] == 0
    assert emea["avg_deal_size"]["value"] is None


def test_rep_moving_mid_period_leaves_earlier_deals_with_the_old_territory(tree, grid):
    east, west = tree["na-east"], tree["na-west"]
    m = rep_in(east, "mover", start=D(2020, 1, 1), end=D(2025, 3, 15))
    AssignmentFactory(rep=m, territory=west, start_date=D(2025, 3, 16), end_date=None)
    won(m, east, D(2025, 2, 20), "400.00")  # before the move, February
    won(m, east, D(2025, 3, 10), "1000.00")  # before the move: stored territory na-east
    won(m, west, D(2025, 3, 25), "2000.00")  # after the move: stored territory na-west

    table = grid(["territory:na-east", "territory:na-west", "territory:na", "rep:mover"], ["2025-03", "2025-Q1"])

    def revenue(scope, period="2025-03"):
        return table[scope, period]["revenue"]["value"]

    assert revenue("territory:na-east") == 1000
    assert revenue("territory:na-west") == 2000
    # Parent and rep see both: 1000 + 2000
    assert revenue("territory:na") == 3000
    assert revenue("rep:mover") == 3000
    # The quarter of na-east: 400 (Feb) + 1000 (Mar) = 1400; na-west keeps only its 2000.
    assert revenue("territory:na-east", "2025-Q1") == 1400
    assert revenue("territory:na-west", "2025-Q1") == 2000


def test_facts_stored_on_a_parent_count_for_it_and_above_not_for_its_children(tree, grid):
    na, east = tree["na"], tree["na-east"]
    a = rep_in(east, "ra")
    won(a, na, D(2025, 3, 10), "300.00")  # stored on na itself
    won(a, east, D(2025, 3, 11), "200.00")
    table = grid(["territory:na-east", "territory:na", "company", "territory:emea"], ["2025-03"])
    assert table["territory:na-east", "2025-03"]["revenue"]["value"] == 200
    assert table["territory:na", "2025-03"]["revenue"]["value"] == 500  # 300 + 200
    assert table["company", "2025-03"]["revenue"]["value"] == 500
    assert table["territory:emea", "2025-03"]["revenue"]["value"] == 0


def test_facts_after_the_as_of_date_are_ignored(tree, kpis):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 3, 10), "500.00")
    won(a, east, D(2025, 3, 20), "700.00")
    open_deal(a, east, D(2025, 3, 18), "300.00")

    # deals are created 10 days before they close: 28 Feb (closes 10 Mar), 10 Mar (closes 20 Mar), 18 Mar (open)
    # as of 15 March only the deal closed on the 10th is won: 500 from 1 deal
    rows = kpis("territory:na-east", "2025-03", as_of=D(2025, 3, 15))
    assert rows["revenue"]["value"] == 500 and rows["revenue"]["n"] == 1
    # created in March by 15 March: the 700 deal (created 10 March); the open one (18 March) comes later
    assert rows["deals_created"]["value"] == 1
    # as of 31 March: 500 + 700 = 1200, and 2 deals created in March (10 and 18 March; 28 Feb is February)
    rows = kpis("territory:na-east", "2025-03", as_of=D(2025, 3, 31))
    assert rows["revenue"]["value"] == 1200 and rows["deals_created"]["value"] == 2


# --- win rate ----------------------------------------------------------------------------------------


def test_parent_win_rate_is_pooled_not_the_mean_of_children(tree, grid):
    east, west = tree["na-east"], tree["na-west"]
    a, b = rep_in(east, "ra"), rep_in(west, "rb")
    won(a, east, D(2025, 3, 3))  # na-east: 1 of 1 → 1.0
    won(b, west, D(2025, 3, 4))  # na-west: 1 of 4 → 0.25
    for day in (5, 6, 7):
        lost(b, west, D(2025, 3, day))
    lost(a, east, D(2025, 2, 28))  # February: not in P
    open_deal(a, east, D(2025, 3, 1))  # open: neither won nor lost

    table = grid(["territory:na-east", "territory:na-west", "territory:na", "company"], ["2025-03"])
    east_row = table["territory:na-east", "2025-03"]["win_rate"]
    west_row = table["territory:na-west", "2025-03"]["win_rate"]
    na = table["territory:na", "2025-03"]["win_rate"]
    assert east_row["value"] == 1 and east_row["n"] == 1
    assert west_row["value"] == 0.25 and west_row["n"] == 4
    # pooled: (1 + 1) / (1 + 4) = 0.4, not (1.0 + 0.25) / 2 = 0.625
    assert na["value"] == approx(Fraction(2, 5))
    assert na["n"] == 5
    low, high = wilson(2, 5)  # ≈ 0.1176, 0.7693
    assert na["ci_low"] == approx(low) and na["ci_high"] == approx(high)
    assert round(na["ci_low"], 4) == 0.1176 and round(na["ci_high"], 4) == 0.7693
    assert table["company", "2025-03"]["win_rate"]["value"] == approx(Fraction(2, 5))


def test_low_sample_flags_n_below_the_minimum(tree, grid, settings):
    settings.KPI_MIN_SAMPLE = 3
    east, west = tree["na-east"], tree["na-west"]
    a, b = rep_in(east, "ra"), rep_in(west, "rb")
    won(a, east, D(2025, 3, 3))
    lost(a, east, D(2025, 3, 4))  # na-east: n = 2 < 3
    won(b, west, D(2025, 3, 5))  # na: n = 3, not below 3

    table = grid(["territory:na-east", "territory:na"], ["2025-03"])
    east_rows = table["territory:na-east", "2025-03"]
    assert east_rows["win_rate"]["n"] == 2 and east_rows["win_rate"]["low_sample"]
    na = table["territory:na", "2025-03"]
    assert na["win_rate"]["n"] == 3 and not na["win_rate"]["low_sample"]
    # deals_won has no sample size: never low sample
    assert east_rows["deals_won"]["n"] is None and not east_rows["deals_won"]["low_sample"]


# --- deals created, lead conversion (cohort) -------------------------------------------------------


def test_lead_conversion_is_a_cohort_won_by_the_as_of_date_and_provisional_while_open(tree, kpi, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    # created in March 2025:
    won(a, east, D(2025, 4, 10), created_on=D(2025, 3, 2))  # won in April: counts for the March cohort
    lost(a, east, D(2025, 3, 20), created_on=D(2025, 3, 5))
    open_deal(a, east, D(2025, 3, 8), stage="qualified")
    won(a, east, D(2026, 1, 5), created_on=D(2025, 3, 31))  # won after the as-of date: open then
    # created in February, won in March: the February cohort
    won(a, east, D(2025, 3, 2), created_on=D(2025, 2, 28))

    table = grid(["territory:na-east"], ["2025-02", "2025-03"])
    rows = table["territory:na-east", "2025-03"]
    assert rows["deals_created"]["value"] == 4
    conversion = rows["lead_conversion_rate"]
    # as of 2025-12-31: 1 won (10 April) of 4 created
    assert conversion["value"] == 0.25 and conversion["n"] == 4
    low, high = wilson(1, 4)
    assert conversion["ci_low"] == approx(low) and conversion["ci_high"] == approx(high)
    assert conversion["provisional"]  # the qualified deal and the one won in 2026 were open

    # as of 2026-01-31: 2 of 4, still provisional (the qualified deal)
    later = kpi("territory:na-east", "2025-03", "lead_conversion_rate", as_of=D(2026, 1, 31))
    assert later["value"] == 0.5 and later["provisional"]
    # as of 2025-03-31: none of the 4 is won yet: 0 of 4 is 0.0, not null
    early = kpi("territory:na-east", "2025-03", "lead_conversion_rate", as_of=D(2025, 3, 31))
    assert early["value"] == 0 and early["n"] == 4 and early["provisional"]
    # February cohort: 1 of 1, every deal closed → not provisional
    february = table["territory:na-east", "2025-02"]
    assert february["deals_created"]["value"] == 1
    assert february["lead_conversion_rate"]["value"] == 1
    assert not february["lead_conversion_rate"]["provisional"]


# --- sales cycle -----------------------------------------------------------------------------------------


def test_sales_cycle_is_the_pooled_median_with_p75_and_p90(tree, grid):
    east, west = tree["na-east"], tree["na-west"]
    a, b = rep_in(east, "ra"), rep_in(west, "rb")
    end = D(2025, 3, 31)
    won(a, east, end, created_on=D(2025, 3, 21))  # 10 days
    won(a, east, end, created_on=D(2025, 3, 11))  # 20 days
    won(b, west, end, created_on=D(2025, 3, 1))  # 30 days
    won(b, west, end, created_on=D(2025, 2, 14))  # 14 (rest of Feb) + 31 = 45 days
    won(a, east, D(2025, 3, 15), created_on=None)  # unknown created_on: left out
    lost(a, east, D(2025, 3, 3), created_on=D(2025, 3, 1))  # lost: left out
    won(a, east, D(2025, 4, 1), created_on=D(2024, 12, 22))  # closed in April: left out

    table = grid(["territory:na-east", "territory:na-west", "territory:na", "rep:ra"], ["2025-03"])
    east_cycle = table["territory:na-east", "2025-03"]["sales_cycle_days"]
    west_cycle = table["territory:na-west", "2025-03"]["sales_cycle_days"]
    na = table["territory:na", "2025-03"]["sales_cycle_days"]
    assert east_cycle["value"] == 15 and east_cycle["n"] == 2  # (10 + 20) / 2
    assert west_cycle["value"] == 37.5 and west_cycle["n"] == 2  # (30 + 45) / 2
    # pooled 10, 20, 30, 45: even count → (20 + 30) / 2 = 25, not (15 + 37.5) / 2 = 26.25
    assert na["value"] == 25 and na["n"] == 4
    # percentiles by linear interpolation between order statistics at rank (n − 1)·q:
    # p75: rank 2.25 → 30 + 0.25 × (45 − 30) = 33.75; p90: rank 2.7 → 30 + 0.7 × 15 = 40.5
    assert na["extra"]["p75"] == approx(33.75)
    assert na["extra"]["p90"] == approx(40.5)
    # The rep scope: a's known-cycle won deals in March: 10, 20 → 15
    assert table["rep:ra", "2025-03"]["sales_cycle_days"]["value"] == 15


# --- growth -----------------------------------------------------------------------------------------


def test_revenue_growth_against_previous_period_and_last_year(tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2024, 3, 12), "1000.00")  # March 2024
    won(a, east, D(2025, 2, 12), "500.00", refunded_amount=Decimal("100.00"))  # February 2025: net 400
    won(a, east, D(2025, 3, 12), "800.00")  # March 2025

    table = grid(["territory:na-east"], ["2025-02", "2025-03", "2025-Q1"])
    march = table["territory:na-east", "2025-03"]
    assert march["revenue_growth"]["value"] == 1.0  # (800 − 400) / 400
    assert march["revenue_yoy"]["value"] == -0.2  # (800 − 1000) / 1000
    q1 = table["territory:na-east", "2025-Q1"]
    # Q1 2025 = 400 + 800 = 1200; Q4 2024 = 0 → growth undefined; Q1 2024 = 1000 → +0.2
    assert q1["revenue_growth"]["value"] is None
    assert q1["revenue_yoy"]["value"] == approx(0.2)
    # February 2025 against March 2024? no: against January 2025 (0) → null, and February 2024 (0) → null
    february = table["territory:na-east", "2025-02"]
    assert february["revenue_growth"]["value"] is None and february["revenue_yoy"]["value"] is None


def test_growth_of_the_period_in_progress_compares_the_same_elapsed_days(tree, kpis):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 2, 10), "500.00")
    won(a, east, D(2025, 2, 15), "250.00")  # day 15 of February: the last comparable day
    won(a, east, D(2025, 2, 16), "4000.00")  # day 16: beyond the elapsed days
    won(a, east, D(2025, 3, 10), "1000.00")
    won(a, east, D(2024, 3, 5), "800.00")
    won(a, east, D(2024, 3, 20), "3000.00")
    # as of 15 March, 15 days of March have elapsed: against 1–15 February (500 + 250 = 750)
    # and 1–15 March 2024 (800), never against the whole months
    rows = kpis("territory:na-east", "2025-03", as_of=D(2025, 3, 15))
    assert rows["revenue_growth"]["value"] == approx(Fraction(1000 - 750, 750))  # 1/3
    assert rows["revenue_yoy"]["value"] == 0.25  # (1000 − 800) / 800
    # once March is over, whole months: (1000 − 4750) / 4750 and (1000 − 3800) / 3800
    rows = kpis("territory:na-east", "2025-03", as_of=D(2025, 3, 31))
    assert rows["revenue_growth"]["value"] == approx(Fraction(1000 - 4750, 4750))
    assert rows["revenue_yoy"]["value"] == approx(Fraction(1000 - 3800, 3800))


def test_revenue_growth_of_a_date_range_compares_the_same_number_of_days_before(tree, kpis):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 2, 27), "5000.00")  # before the previous range
    won(a, east, D(2025, 2, 28), "100.00")  # previous range 2025-02-28..2025-03-09 (10 days)
    won(a, east, D(2025, 3, 9), "400.00")  # previous range, last day
    won(a, east, D(2025, 3, 12), "1000.00")  # the range 2025-03-10..2025-03-19
    rows = kpis("territory:na-east", "2025-03-10..2025-03-19")
    assert rows["revenue_growth"]["value"] == 1.0  # (1000 − 500) / 500
    assert rows["revenue"]["value"] == 1000


# --- pipeline ---------------------------------------------------------------------------------------------


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


# --- follow-up ------------------------------------------------------------------------------------------


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


# --- funnel -----------------------------------------------------------------------------------------------


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


# --- no data ----------------------------------------------------------------------------------------------


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
