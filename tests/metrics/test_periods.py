"""Reporting periods: parsing, fiscal quarters and years (FISCAL_YEAR_START_MONTH = 7) with their
boundaries, previous period and same period last year, and the engine bucketing by fiscal periods."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from metrics.periods import (
    PeriodError,
    period_last_year,
    period_parse,
    period_previous,
    periods_containing,
)
from tests.factories import DealFactory
from tests.helpers.kpis import rep_in, target_put

D = datetime.date


def span(text, fiscal=1):
    period = period_parse(text, fiscal_start_month=fiscal)
    return period.start, period.end


# --- parsing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind, start, end",
    [
        ("2025-02", "month", D(2025, 2, 1), D(2025, 2, 28)),
        ("2024-02", "month", D(2024, 2, 1), D(2024, 2, 29)),  # leap year
        ("2025-12", "month", D(2025, 12, 1), D(2025, 12, 31)),
        ("2025-Q1", "quarter", D(2025, 1, 1), D(2025, 3, 31)),
        ("2025-Q4", "quarter", D(2025, 10, 1), D(2025, 12, 31)),
        ("2025", "year", D(2025, 1, 1), D(2025, 12, 31)),
        ("2025-01-15..2025-02-14", "range", D(2025, 1, 15), D(2025, 2, 14)),
        ("2025-03-01..2025-03-01", "range", D(2025, 3, 1), D(2025, 3, 1)),
        (" 2025-03 ", "month", D(2025, 3, 1), D(2025, 3, 31)),
    ],
)
def test_calendar_periods(text, kind, start, end):
    period = period_parse(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)


def test_range_length_and_label():
    period = period_parse("2025-01-15..2025-02-14")
    assert period.days == 31 and period.label == "2025-01-15..2025-02-14"
    assert D(2025, 1, 15) in period and D(2025, 2, 14) in period and D(2025, 2, 15) not in period


@pytest.mark.parametrize(
    "text, words",
    [
        ("2025-13", "month 13 does not exist"),
        ("2025-00", "month 00 does not exist"),
        ("2025-Q5", "is not one of"),
        ("2025-Q0", "is not one of"),
        ("25-01", "is not one of"),
        ("", "is not one of"),
        ("2025-02-30..2025-03-01", "is not a real date range"),
        ("2025-03-10..2025-03-01", "ends before it starts"),
    ],
)
def test_bad_periods_are_refused_with_a_message(text, words):
    with pytest.raises(PeriodError, match=words):
        period_parse(text)


# --- fiscal years starting in July --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2026-Q1", D(2025, 7, 1), D(2025, 9, 30)),  # Jul–Sep 2025
        ("2026-Q2", D(2025, 10, 1), D(2025, 12, 31)),
        ("2026-Q3", D(2026, 1, 1), D(2026, 3, 31)),
        ("2026-Q4", D(2026, 4, 1), D(2026, 6, 30)),
        ("2025-Q4", D(2025, 4, 1), D(2025, 6, 30)),  # holds 30 June 2025
        ("2026", D(2025, 7, 1), D(2026, 6, 30)),  # named by the calendar year it ends in
        ("2025", D(2024, 7, 1), D(2025, 6, 30)),
        ("2025-06", D(2025, 6, 1), D(2025, 6, 30)),  # months are months
    ],
)
def test_fiscal_periods_with_july_start(text, start, end):
    assert span(text, fiscal=7) == (start, end)


def test_fiscal_quarter_boundary_days():
    q4, q1 = period_parse("2025-Q4", fiscal_start_month=7), period_parse("2026-Q1", fiscal_start_month=7)
    assert D(2025, 6, 30) in q4 and D(2025, 6, 30) not in q1
    assert D(2025, 7, 1) in q1 and D(2025, 7, 1) not in q4
    # the month, quarter and year around the boundary
    june = [p.label for p in periods_containing(D(2025, 6, 1), fiscal_start_month=7)]
    july = [p.label for p in periods_containing(D(2025, 7, 1), fiscal_start_month=7)]
    assert june == ["2025-06", "2025-Q4", "2025"]
    assert july == ["2025-07", "2026-Q1", "2026"]


def test_fiscal_quarters_with_april_start():
    assert span("2026-Q1", fiscal=4) == (D(2025, 4, 1), D(2025, 6, 30))
    assert span("2026-Q4", fiscal=4) == (D(2026, 1, 1), D(2026, 3, 31))
    assert span("2026", fiscal=4) == (D(2025, 4, 1), D(2026, 3, 31))


# --- previous period, same period last year ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fiscal, previous, last_year",
    [
        ("2025-01", 1, (D(2024, 12, 1), D(2024, 12, 31)), (D(2024, 1, 1), D(2024, 1, 31))),
        ("2025-03", 1, (D(2025, 2, 1), D(2025, 2, 28)), (D(2024, 3, 1), D(2024, 3, 31))),
        ("2025-Q1", 1, (D(2024, 10, 1), D(2024, 12, 31)), (D(2024, 1, 1), D(2024, 3, 31))),
        ("2025", 1, (D(2024, 1, 1), D(2024, 12, 31)), (D(2024, 1, 1), D(2024, 12, 31))),
        # fiscal (July): the quarter before 2026-Q1 is 2025-Q4 = Apr–Jun 2025; last year's is Jul–Sep 2024
        ("2026-Q1", 7, (D(2025, 4, 1), D(2025, 6, 30)), (D(2024, 7, 1), D(2024, 9, 30))),
        ("2026-Q3", 7, (D(2025, 10, 1), D(2025, 12, 31)), (D(2025, 1, 1), D(2025, 3, 31))),
        ("2026", 7, (D(2024, 7, 1), D(2025, 6, 30)), (D(2024, 7, 1), D(2025, 6, 30))),
        # a range: the same number of days just before; last year: the same dates
        ("2025-03-10..2025-03-19", 1, (D(2025, 2, 28), D(2025, 3, 9)), (D(2024, 3, 10), D(2024, 3, 19))),
        # 29 February has no twin last year: 28 February
        ("2024-02-20..2024-02-29", 1, (D(2024, 2, 10), D(2024, 2, 19)), (D(2023, 2, 20), D(2023, 2, 28))),
    ],
)
def test_previous_and_last_year(text, fiscal, previous, last_year):
    period = period_parse(text, fiscal_start_month=fiscal)
    before = period_previous(period, fiscal_start_month=fiscal)
    earlier = period_last_year(period, fiscal_start_month=fiscal)
    assert (before.start, before.end) == previous
    assert (earlier.start, earlier.end) == last_year
    assert before.kind == period.kind == earlier.kind


# --- the engine on fiscal periods --------------------------------------------------------------------------


@pytest.fixture
def fiscal_july(settings):
    settings.FISCAL_YEAR_START_MONTH = 7
    return settings


def test_deal_closed_on_30_june_is_in_the_fourth_fiscal_quarter(fiscal_july, tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")

    def won(day, amount):
        DealFactory(owner=a, territory=east, stage="won", amount=Decimal(amount), created_on=day, closed_on=day)

    won(D(2025, 4, 1), "100.00")  # first day of 2025-Q4
    won(D(2025, 6, 30), "200.00")  # last day of 2025-Q4 (fiscal year 2025)
    won(D(2025, 7, 1), "400.00")  # first day of 2026-Q1
    won(D(2025, 9, 30), "800.00")  # last day of 2026-Q1
    won(D(2024, 7, 1), "1600.00")  # 2025-Q1, a year before 2026-Q1
    table = grid(["territory:na-east"], ["2025-Q4", "2026-Q1", "2025", "2026"], as_of=D(2026, 6, 30))

    def value(period, key="revenue"):
        return table["territory:na-east", period][key]["value"]

    assert value("2025-Q4") == 300  # 100 + 200
    assert value("2026-Q1") == 1200  # 400 + 800
    # growth against the previous fiscal quarter (2025-Q4, 300): (1200 − 300) / 300 = 3
    assert value("2026-Q1", "revenue_growth") == 3
    # against last year's 2025-Q1 (Jul–Sep 2024, 1600): (1200 − 1600) / 1600 = −0.25
    assert value("2026-Q1", "revenue_yoy") == -0.25
    # fiscal years: 2025 = Jul 2024 – Jun 2025 (1600 + 100 + 200), 2026 = Jul 2025 – Jun 2026 (400 + 800)
    assert value("2025") == 1900
    assert value("2026") == 1200


def test_fiscal_quarter_target_is_spread_over_july_to_september(fiscal_july, tree, grid):
    rep_in(tree["na-east"], "ra")
    target_put("territory:na-east", "revenue", "2026-Q1", "30000")  # Jul, Aug, Sep 2025: 10000 each
    table = grid(["territory:na-east"], ["2026-Q1", "2025-08", "2025-Q4", "2026"], as_of=D(2026, 6, 30))

    def target(period):
        return table["territory:na-east", period]["revenue"]["target"]

    assert target("2026-Q1") == 30000
    assert target("2025-08") == 10000
    assert target("2025-Q4") is None  # Apr–Jun 2025
    assert target("2026") == 30000
