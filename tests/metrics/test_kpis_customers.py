"""Customer KPIs worked out by hand from spec/kpis.md: new customers (first deal, tie-break),
active customers, churn and retention (contract end, the inactivity rule, explicit churn),
ARPU, CLV, CAC and CLV/CAC."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.factories import CustomerFactory, DealFactory, ExpenseFactory
from tests.helpers.kpis import approx, rep_in, wilson, won_deal

D = datetime.date


def won(customer, rep, territory, closed_on, amount="1000.00", **fields):
    return won_deal(rep, territory, closed_on, amount, days_open=5, customer=customer, **fields)


# --- new customers ------------------------------------------------------------------------------


def test_new_customer_is_acquired_by_the_first_won_deal_ties_by_smallest_external_id(tree, grid):
    east, west, uk = tree["na-east"], tree["na-west"], tree["uk"]
    a, b, c = rep_in(east, "ra"), rep_in(west, "rb"), rep_in(uk, "rc")
    k = CustomerFactory(territory=uk, owner=c)  # the customer's own territory plays no part here
    # Same close date: "A-9" < "B-2", so A-9 (na-east, rep a) is the first deal, although B-2 was stored first.
    won(k, b, west, D(2025, 3, 10), external_id="B-2")
    won(k, a, east, D(2025, 3, 10), external_id="A-9")
    DealFactory(customer=k, owner=b, territory=west, stage="lost", external_id="A-1", closed_on=D(2025, 2, 1))
    won(k, b, west, D(2025, 5, 1), external_id="A-0")  # later: not the first
    j = CustomerFactory(territory=east, owner=a)
    won(j, a, east, D(2024, 11, 5))  # J was acquired in November 2024
    won(j, a, east, D(2025, 3, 15))  # a repeat deal, not a new customer
    lone = CustomerFactory(territory=east, owner=a)
    won(lone, b, west, D(2025, 3, 31))  # first and only deal: na-west, rep b

    scopes = ["territory:na-east", "territory:na-west", "territory:na", "company", "territory:uk"]
    table = grid([*scopes, "rep:ra", "rep:rb", "rep:rc"], ["2024-11", "2025-03", "2025-05"])

    def new(scope, period="2025-03"):
        return table[scope, period]["new_customers"]["value"]

    assert new("territory:na-east") == 1  # K
    assert new("territory:na-west") == 1  # the lone customer
    assert new("territory:na") == 2 and new("company") == 2
    assert new("territory:uk") == 0 and new("rep:rc") == 0
    assert new("rep:ra") == 1 and new("rep:rb") == 1
    assert new("territory:na-east", "2024-11") == 1  # J
    assert new("company", "2025-05") == 0


# --- active customers, churn, retention -------------------------------------------------------------


@pytest.fixture
def customers(tree):
    """Customers of na-east (owner a) whose deals are stored in uk (owner b): customer KPIs follow the customer."""
    east, uk = tree["na-east"], tree["uk"]
    a, b = rep_in(east, "ra"), rep_in(uk, "rb")

    def customer(*deals, churned_on=None):
        cust = CustomerFactory(territory=east, owner=a, churned_on=churned_on)
        for closed_on, ends_on in deals:
            won(cust, b, uk, closed_on, ends_on=ends_on)
        return cust

    # P = 2025-03: active the day before (28 Feb) → active on 31 March?
    customer((D(2024, 3, 1), None))  # C1: 365 days → active to 28 Feb 2025: yes → no (churned)
    customer((D(2024, 3, 31), None))  # C2: active to 30 Mar 2025 (31 Mar is day 365): yes → no (churned)
    customer((D(2024, 4, 1), None))  # C3: active to 31 Mar 2025 (day 364): yes → yes
    customer((D(2023, 6, 1), D(2025, 3, 31)))  # C4: contract to 31 Mar 2025, beyond 365 days: yes → yes
    customer((D(2025, 1, 10), D(2025, 3, 15)))  # C5: contract ends 15 Mar, within 365 days: yes → no (churned)
    customer((D(2024, 10, 1), None), churned_on=D(2025, 3, 31))  # C6: churned_on ≤ 31 Mar: yes → no (churned)
    customer((D(2025, 3, 5), None))  # C7: new in March: not active before → yes
    customer((D(2024, 12, 1), None), churned_on=D(2025, 2, 15))  # C8: churned before P: no → no
    return tree


def test_churn_uses_contract_ends_the_365_day_rule_and_explicit_churn(customers, grid):
    table = grid(["territory:na-east", "territory:na", "rep:ra", "territory:uk", "rep:rb"], ["2025-03"])
    rows = table["territory:na-east", "2025-03"]
    # active on 28 Feb: C1, C2, C3, C4, C5, C6 = 6; on 31 Mar: C3, C4, C7 = 3
    assert rows["customers_active"]["value"] == 3
    churn = rows["churn_rate"]
    # churned of the 6: C1, C2, C5, C6 = 4 → 4/6
    assert churn["value"] == approx(Fraction(2, 3)) and churn["n"] == 6
    low, high = wilson(4, 6)
    assert churn["ci_low"] == approx(low) and churn["ci_high"] == approx(high)
    retention = rows["retention_rate"]
    assert retention["value"] == approx(Fraction(1, 3)) and retention["n"] == 6  # 1 − 2/3
    low, high = wilson(2, 6)  # retained: C3, C4 of 6
    assert retention["ci_low"] == approx(low) and retention["ci_high"] == approx(high)
    # the customer's territory and owner count, not the deals' (uk, rep b)
    assert table["territory:na", "2025-03"]["churn_rate"]["value"] == approx(Fraction(2, 3))
    assert table["rep:ra", "2025-03"]["customers_active"]["value"] == 3
    uk = table["territory:uk", "2025-03"]
    assert uk["customers_active"]["value"] == 0 and uk["churn_rate"]["value"] is None
    assert table["rep:rb", "2025-03"]["customers_active"]["value"] == 0


def test_customers_active_on_exact_days_around_the_365_day_boundary(customers, kpi):
    # C2 (won 31 Mar 2024) is active on 30 Mar 2025 and not on 31 Mar 2025 (closed_on + 365).
    # Active on 30 March: C2, C3, C4, C6 (churned_on 31 Mar is later), C7 = 5 (C1 ended 28 Feb, C5 15 Mar)
    row = kpi("territory:na-east", "2025-03-01..2025-03-30", "customers_active")
    assert row["value"] == 5
    # On 31 March C2 and C6 drop out: C3, C4, C7 = 3
    assert kpi("territory:na-east", "2025-03-01..2025-03-31", "customers_active")["value"] == 3


def test_inactivity_days_come_from_the_setting(customers, kpis, settings):
    settings.CHURN_INACTIVITY_DAYS = 400
    rows = kpis("territory:na-east", "2025-03")
    # 400 days: C1 active to 4 Apr 2025, C2 to 4 May 2025 → both stay; C5 (contract) and C6 (churned_on) leave
    assert rows["customers_active"]["value"] == 5  # C1, C2, C3, C4, C7
    assert rows["churn_rate"]["value"] == approx(Fraction(2, 6))


def test_customer_without_territory_or_owner_counts_for_the_company_only(tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    stray = CustomerFactory(territory=None, owner=None)
    won(stray, a, east, D(2025, 3, 3))  # the deal is na-east's and a's; the customer is nobody's
    table = grid(["company", "territory:na-east", "rep:ra"], ["2025-03"])
    company, east_rows = table["company", "2025-03"], table["territory:na-east", "2025-03"]
    assert company["customers_active"]["value"] == 1 and east_rows["customers_active"]["value"] == 0
    assert table["rep:ra", "2025-03"]["customers_active"]["value"] == 0
    # new customers follow the first deal: na-east and rep a
    assert company["new_customers"]["value"] == 1 and east_rows["new_customers"]["value"] == 1


def test_arpu_is_revenue_per_active_customer(tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    p1, p2 = CustomerFactory(territory=east, owner=a), CustomerFactory(territory=east, owner=a)
    won(p1, a, east, D(2025, 3, 5), "600.00")
    won(p1, a, east, D(2025, 3, 20), "500.00", refunded_amount=Decimal("200.00"))  # net 300
    won(p2, a, east, D(2025, 1, 10), "400.00")  # January: active in March, no March revenue
    table = grid(["territory:na-east", "territory:emea"], ["2025-03"])
    rows = table["territory:na-east", "2025-03"]
    # revenue 600 + 300 = 900 over 2 active customers
    assert rows["arpu"]["value"] == 450 and rows["arpu"]["n"] == 2
    assert table["territory:emea", "2025-03"]["arpu"]["value"] is None


# --- CLV, CAC, CLV/CAC ---------------------------------------------------------------------------------


def test_clv_is_value_per_customer_over_the_window_churn(tree, grid):
    east = tree["na-east"]
    a = rep_in(east, "ra")

    def customer():
        return CustomerFactory(territory=east, owner=a)

    k1, k2, k3, k4 = customer(), customer(), customer(), customer()
    # P = 2025-06 → W = 2024-07-01..2025-06-30; churn: active on 2024-06-30 → not active on 2025-06-30
    won(k1, a, east, D(2024, 3, 1), "1000.00")  # K1 before W: active to 28 Feb 2025 → churned
    won(k2, a, east, D(2024, 5, 1), "500.00")  # K2 before W …
    won(k2, a, east, D(2024, 8, 1), "1000.00")  # … twice in W (one customer, counted once) …
    won(k2, a, east, D(2025, 1, 15), "3000.00")  # … active to 14 Jan 2026 → stays
    won(k3, a, east, D(2025, 6, 10), "1000.00")  # K3 first deal in W (a new customer in June)
    won(k4, a, east, D(2024, 6, 15), "2000.00", ends_on=D(2025, 6, 30))  # K4 before W, contract to 30 Jun: stays
    ExpenseFactory(territory=east, month=D(2025, 6, 1), amount=Decimal("1500.00"))

    table = grid(["territory:na-east", "company", "rep:ra"], ["2025-06", "2025-Q2"])
    rows = table["territory:na-east", "2025-06"]
    # revenue in W: 1000 + 3000 + 1000 = 5000; distinct customers of those deals: K2, K3 → 2500 each.
    # churn over W: of K1, K2, K4 (active 30 Jun 2024) only K1 is gone → 1/3.  CLV = 2500 ÷ 1/3 = 7500
    assert rows["clv"]["value"] == approx(7500) and rows["clv"]["n"] == 2
    # CAC: 1500 spent / 1 new customer (K3) = 1500;  CLV/CAC = 7500 / 1500 = 5
    assert rows["cac"]["value"] == 1500 and rows["cac"]["n"] == 1
    assert rows["clv_cac_ratio"]["value"] == approx(5)
    assert table["company", "2025-06"]["clv_cac_ratio"]["value"] == approx(5)
    # The rep scope has CLV (deals by owner, churn by the customer's owner) but no CAC.
    rep_rows = table["rep:ra", "2025-06"]
    assert rep_rows["clv"]["value"] == approx(7500)
    assert "cac" not in rep_rows and "clv_cac_ratio" not in rep_rows
    # A quarter ending in June has the same window: 2025-Q2 → W = 2024-07..2025-06
    assert table["territory:na-east", "2025-Q2"]["clv"]["value"] == approx(7500)


def test_clv_is_null_when_nobody_churned_over_the_window(tree, kpi):
    east = tree["na-east"]
    a = rep_in(east, "ra")
    k = CustomerFactory(territory=east, owner=a)
    won(k, a, east, D(2024, 5, 1), "500.00")
    won(k, a, east, D(2025, 2, 1), "700.00")  # active on 30 Jun 2024 and on 30 Jun 2025: churn 0/1
    row = kpi("territory:na-east", "2025-06", "clv")
    assert row["value"] is None and row["n"] == 1


def test_cac_is_spend_over_new_customers_of_the_territory(tree, grid):
    east, west, uk = tree["na-east"], tree["na-west"], tree["uk"]
    a = rep_in(east, "ra")
    for _ in range(3):  # three customers first won in March 2025 in na-east
        won(CustomerFactory(territory=east, owner=a), a, east, D(2025, 3, 12))
    old = CustomerFactory(territory=east, owner=a)
    won(old, a, east, D(2025, 1, 12))
    won(old, a, east, D(2025, 3, 12))  # a repeat customer, not new
    ExpenseFactory(territory=east, month=D(2025, 3, 1), amount=Decimal("5000.00"), category="sales")
    ExpenseFactory(territory=east, month=D(2025, 3, 1), amount=Decimal("1000.00"), category="marketing")
    ExpenseFactory(territory=west, month=D(2025, 3, 1), amount=Decimal("3000.00"))
    ExpenseFactory(territory=uk, month=D(2025, 4, 1), amount=Decimal("1000.00"))  # April: not in P

    table = grid(["territory:na-east", "territory:na", "company", "territory:na-west", "territory:emea"], ["2025-03"])

    def cac(scope):
        return table[scope, "2025-03"]["cac"]

    assert cac("territory:na-east")["value"] == 2000  # (5000 + 1000) / 3
    assert cac("territory:na-east")["n"] == 3
    assert cac("territory:na")["value"] == 3000  # (6000 + 3000) / 3
    assert cac("company")["value"] == 3000
    assert cac("territory:na-west")["value"] is None  # 3000 spent, no new customer
    assert cac("territory:emea")["value"] is None  # nothing spent, no new customer


CUSTOMER_RATES = ("churn_rate", "retention_rate", "arpu", "clv", "cac", "clv_cac_ratio")


def test_customer_rates_with_no_data_are_null(customers, kpis):
    # na-west has no customer, no deal and no spend (the fixture's deals are stored in uk)
    rows = kpis("territory:na-west", "2025-03")
    for key in CUSTOMER_RATES:
        assert rows[key]["value"] is None, key
    assert rows["customers_active"]["value"] == 0 and rows["new_customers"]["value"] == 0
    assert rows["churn_rate"]["n"] == 0 and rows["churn_rate"]["ci_low"] is None
