"""Deals created, lead conversion, sales cycle and revenue growth worked out by hand from spec/kpis.md."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from tests.helpers.deals import D, lost, open_deal, won
from tests.helpers.kpis import approx, rep_in, wilson


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
