"""Team KPIs and targets worked out by hand from spec/kpis.md: quota attainment, reps at quota
(movers and leavers), rep turnover, target resolution (spread, distribution, roll-up, own target
wins) and attainment, with lower-is-better KPIs as target / value."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.factories import (
    AssignmentFactory,
    CustomerFactory,
    DealFactory,
    DistributionFactory,
    ExpenseFactory,
    SalesRepFactory,
)
from tests.helpers.kpis import approx, rep_in, target_put, won_deal

D = datetime.date


def won(rep, territory, closed_on, amount="1000.00", created_on=None, customer=None):
    return won_deal(rep, territory, closed_on, amount, days_open=10, created_on=created_on, customer=customer)


# --- quota attainment, reps at quota -------------------------------------------------------------


@pytest.fixture
def quota_team(tree):
    east, west, uk = tree["na-east"], tree["na-west"], tree["uk"]
    a = rep_in(east, "ra")
    b = rep_in(east, "rb")
    # l: na-east to 10 March, na-west 11–20 March, leaves on 20 March → belongs to na-west
    leaver = rep_in(east, "rl", start=D(2020, 1, 1), end=D(2025, 3, 10), left_on=D(2025, 3, 20))
    AssignmentFactory(rep=leaver, territory=west, start_date=D(2025, 3, 11), end_date=D(2025, 3, 20))
    # m: na-west to 15 March, uk from 16 March → belongs to uk (31 March)
    mover = rep_in(west, "rm", start=D(2020, 1, 1), end=D(2025, 3, 15))
    AssignmentFactory(rep=mover, territory=uk, start_date=D(2025, 3, 16))
    n = rep_in(east, "rn")  # no target: not counted

    won(a, east, D(2025, 3, 10), "1000.00")  # exactly the quota
    won(b, east, D(2025, 3, 10), "999.99")  # one cent short
    won(leaver, east, D(2025, 3, 5), "2000.00")  # before leaving, in na-east
    won(n, east, D(2025, 3, 5), "5000.00")
    won(a, east, D(2025, 4, 2), "9000.00")  # April: not in P
    for rep, value in ((a, "1000"), (b, "1000"), (leaver, "1000"), (mover, "500")):
        target_put(f"rep:{rep.external_id}", "revenue", "2025-03", value)
    return tree


def test_quota_attainment_of_each_rep(quota_team, grid):
    table = grid(["rep:ra", "rep:rb", "rep:rl", "rep:rm", "rep:rn"], ["2025-03"])

    def quota(rep):
        return table[f"rep:{rep}", "2025-03"]["quota_attainment"]["value"]

    assert quota("ra") == 1  # 1000 / 1000
    assert quota("rb") == approx(Decimal("0.99999"))  # 999.99 / 1000
    assert quota("rl") == 2  # 2000 / 1000
    assert quota("rm") == 0  # 0 / 500
    assert quota("rn") is None  # no target
    row = table["rep:ra", "2025-03"]["revenue"]
    assert row["target"] == 1000 and row["attainment"] == 1


def test_reps_at_quota_places_movers_on_the_last_day_and_leavers_on_theirs(quota_team, grid):
    scopes = ["territory:na-east", "territory:na-west", "territory:na", "territory:uk", "territory:emea", "company"]
    table = grid([*scopes, "rep:ra"], ["2025-03", "2025-04"])

    def at_quota(scope):
        row = table[scope, "2025-03"]["reps_at_quota"]
        return row["value"], row["n"]

    assert at_quota("territory:na-east") == (0.5, 2)  # a (1.0 ≥ 1) and b (0.99999): 1 of 2
    assert at_quota("territory:na-west") == (1, 1)  # the leaver, placed by their last day (20 March)
    assert at_quota("territory:na")[0] == approx(Fraction(2, 3))  # a, b, l: 2 of 3
    assert at_quota("territory:uk") == (0, 1)  # m, moved to uk on 16 March: 0 of 1
    assert at_quota("territory:emea") == (0, 1)
    assert at_quota("company") == (0.5, 4)  # a, l of a, b, l, m
    assert "reps_at_quota" not in table["rep:ra", "2025-03"]
    # April: nobody has a revenue target → no data
    assert table["company", "2025-04"]["reps_at_quota"]["value"] is None


# --- rep turnover -----------------------------------------------------------------------------------------


@pytest.fixture
def team(tree):
    east, west, uk = tree["na-east"], tree["na-west"], tree["uk"]
    rep_in(east, "ra")
    b = rep_in(east, "rb", start=D(2020, 1, 1), end=D(2025, 1, 31), left_on=D(2025, 2, 15))
    AssignmentFactory(rep=b, territory=west, start_date=D(2025, 2, 1), end_date=D(2025, 2, 15))
    rep_in(west, "rc", start=D(2025, 2, 1), hired_on=D(2025, 2, 1))
    rep_in(uk, "rd")
    rep_in(east, "re", end=D(2024, 12, 31), left_on=D(2024, 12, 31))
    SalesRepFactory(external_id="rx", hired_on=D(2020, 1, 1))  # never assigned: company only
    return tree


def test_turnover_is_leavers_over_average_headcount(team, grid):
    scopes = ["company", "territory:na-east", "territory:na-west", "territory:na", "territory:uk"]
    table = grid([*scopes, "rep:ra"], ["2024-12", "2025-Q1"])

    def turnover(scope, period="2025-Q1"):
        return table[scope, period]["rep_turnover_rate"]["value"]

    # Q1 2025. Employed on 1 Jan: a, b, d, x = 4 (e left 31 Dec); on 31 Mar: a, c, d, x = 4. Leaver: b.
    assert turnover("company") == 0.25  # 1 / ((4 + 4) / 2)
    # b leaves from na-west (their territory on their last day, 15 Feb)
    assert turnover("territory:na-east") == 0  # 0 / ((a, b) 2 + (a) 1) / 2
    assert turnover("territory:na-west") == 2  # 1 / ((0 + (c) 1) / 2)
    assert turnover("territory:na") == 0.5  # 1 / ((a, b) 2 + (a, c) 2) / 2
    assert turnover("territory:uk") == 0  # 0 / 1
    # December 2024: e works its last day on the 31st, so is in both headcounts:
    # company 1 / ((a, b, d, e, x) 5 + 5) / 2 = 0.2; na-east 1 / ((a, b, e) 3 + 3) / 2 = 1/3
    assert turnover("company", "2024-12") == approx(0.2)
    assert turnover("territory:na-east", "2024-12") == approx(Fraction(1, 3))
    assert "rep_turnover_rate" not in table["rep:ra", "2025-Q1"]


def test_turnover_without_headcount_is_null(tree, grid):
    rep_in(tree["na-east"], "ra")
    table = grid(["territory:emea", "territory:na-east"], ["2025-03"])
    assert table["territory:emea", "2025-03"]["rep_turnover_rate"]["value"] is None
    assert table["territory:na-east", "2025-03"]["rep_turnover_rate"]["value"] == 0  # 0 / 1


# --- target resolution -----------------------------------------------------------------------------------


@pytest.fixture
def targets(tree):
    plan = DistributionFactory(name="Seasonal")  # jan 7 %, feb 7 %, mar 9 %, … (sums to 100)
    target_put("territory:na-east", "revenue", "2025-Q1", "30000")  # evenly: 10000 a month
    target_put("territory:na-west", "revenue", "2025", "120000", distribution=plan)  # 8400, 8400, 10800, …
    target_put("territory:uk", "revenue", "2025-01", "5000")
    target_put("territory:emea", "revenue", "2025-02", "9000")  # emea's own, February only
    a = rep_in(tree["na-east"], "ra")
    won(a, tree["na-east"], D(2025, 2, 10), "15000.00")
    return tree


# (scope, period, revenue target) worked out from the targets fixture
EXPECTED_TARGETS = [
    ("territory:na-east", "2025-Q1", 30000),
    ("territory:na-east", "2025-02", 10000),
    ("territory:na-west", "2025-03", 10800),  # 9 % of 120000
    ("territory:na-west", "2025-Q1", 27600),  # 8400 + 8400 + 10800
    ("territory:na", "2025-Q1", 57600),  # no own target: 30000 + 27600
    ("territory:uk", "2025-Q1", 5000),  # only January has one
    ("territory:uk", "2025-03", None),  # no month of P has one
    ("territory:emea", "2025-Q1", 9000),  # own target (February) wins over uk's 5000
    ("territory:emea", "2025-01", 5000),  # no own target in January: the child's
    ("territory:emea", "2025-03", None),  # neither own nor child's
    ("company", "2025-Q1", 66600),  # na 57600 + emea 9000
    ("company", "2025-01", 23400),  # na (10000 + 8400) + emea (uk 5000)
    ("company", "2025-03", 20800),  # na (10000 + 10800) only
    ("company", "2025", 159000),  # na (30000 + 120000) + emea 9000
]


def test_revenue_target_resolution(targets, grid):
    scopes = list(dict.fromkeys(scope for scope, _, _ in EXPECTED_TARGETS))
    periods = list(dict.fromkeys(period for _, period, _ in EXPECTED_TARGETS))
    table = grid(scopes, periods)
    got = [(scope, period, table[scope, period]["revenue"]["target"]) for scope, period, _ in EXPECTED_TARGETS]
    assert got == EXPECTED_TARGETS


def test_revenue_attainment_and_quota_attainment(targets, grid):
    table = grid(["territory:na-east", "company", "territory:uk"], ["2025-Q1", "2025-03"])
    row = table["territory:na-east", "2025-Q1"]["revenue"]
    assert row["value"] == 15000 and row["attainment"] == 0.5  # 15000 / 30000
    assert table["territory:na-east", "2025-Q1"]["quota_attainment"]["value"] == 0.5
    # company: 15000 / 66600
    assert table["company", "2025-Q1"]["quota_attainment"]["value"] == approx(Fraction(15000, 66600))
    # March: no revenue in na-east, target 10000 → 0, not null
    assert table["territory:na-east", "2025-03"]["quota_attainment"]["value"] == 0
    # no target → no attainment
    row = table["territory:uk", "2025-03"]["revenue"]
    assert row["target"] is None and row["attainment"] is None
    assert table["territory:uk", "2025-03"]["quota_attainment"]["value"] is None


def test_lower_is_better_attainment_is_target_over_value(tree, kpis):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    rep_in(east, "rl", left_on=D(2025, 3, 20))
    # sales cycle: 30 and 50 days → median 40; two new customers in March
    won(a, east, D(2025, 3, 31), created_on=D(2025, 3, 1), customer=CustomerFactory(territory=east, owner=a))
    won(a, east, D(2025, 3, 31), created_on=D(2025, 2, 9), customer=CustomerFactory(territory=east, owner=a))
    # churn: 4 customers active on 28 Feb (won in January), one churns on 10 March → 1/4
    for churned_on in (None, None, None, D(2025, 3, 10)):
        customer = CustomerFactory(territory=east, owner=a, churned_on=churned_on)
        won(a, east, D(2025, 1, 15), customer=customer)
    ExpenseFactory(territory=east, month=D(2025, 3, 1), amount=Decimal("3000.00"))  # cac 3000 / 2 = 1500
    for key, value in (
        ("sales_cycle_days", "30"),
        ("churn_rate", "0.1"),
        ("cac", "1000"),
        ("rep_turnover_rate", "0.2"),
        ("win_rate", "0.8"),
    ):
        target_put("territory:na-east", key, "2025-03", value)

    rows = kpis("territory:na-east", "2025-03")
    assert rows["sales_cycle_days"]["value"] == 40  # (30 + 50) / 2
    assert rows["sales_cycle_days"]["attainment"] == 0.75  # 30 / 40
    assert rows["churn_rate"]["value"] == 0.25
    assert rows["churn_rate"]["attainment"] == approx(0.4)  # 0.1 / 0.25
    assert rows["cac"]["value"] == 1500
    assert rows["cac"]["attainment"] == approx(Fraction(2, 3))  # 1000 / 1500
    # turnover: l leaves; headcount 2 on 1 March, 1 on 31 March → 1 / 1.5 = 2/3
    assert rows["rep_turnover_rate"]["value"] == approx(Fraction(2, 3))
    assert rows["rep_turnover_rate"]["attainment"] == approx(0.3)  # 0.2 / (2/3)
    # higher is better: win rate 2 of 2 = 1.0 against 0.8 → 1.25
    assert rows["win_rate"]["value"] == 1 and rows["win_rate"]["attainment"] == approx(1.25)
    for key in ("sales_cycle_days", "churn_rate", "cac", "rep_turnover_rate", "win_rate"):
        assert rows[key]["target"] is not None, key


def test_reps_at_quota_ignores_assignments_after_the_as_of_date(tree, grid):
    from tests.factories import AssignmentFactory

    east, uk = tree["na-east"], tree["uk"]
    m = rep_in(east, "rm", start=D(2020, 1, 1), end=D(2025, 3, 20))
    AssignmentFactory(rep=m, territory=uk, start_date=D(2025, 3, 21))  # a move entered in advance
    DealFactory(owner=m, territory=east, stage="won", amount=Decimal("2000.00"),
                created_on=D(2025, 3, 1), closed_on=D(2025, 3, 5))  # fmt: skip
    target_put("rep:rm", "revenue", "2025-03", "1000")
    table = grid(["territory:na-east", "territory:uk"], ["2025-03"], as_of=D(2025, 3, 15))
    # As of 15 March m is still in na-east and at quota (2000 ≥ 1000): 1 of 1.
    east_row = table["territory:na-east", "2025-03"]["reps_at_quota"]
    assert (east_row["value"], east_row["n"]) == (1, 1)
    uk_row = table["territory:uk", "2025-03"]["reps_at_quota"]
    assert (uk_row["value"], uk_row["n"]) == (None, None)  # no rep with a target there: no sample at all
