"""Revenue, deals won, average deal size and win rate worked out by hand from spec/kpis.md."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from tests.factories import AssignmentFactory
from tests.helpers.deals import D, lost, open_deal, won
from tests.helpers.kpis import approx, rep_in, wilson


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
