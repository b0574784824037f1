"""Targets by rule: the sum for a flow, the last month for a stock, the mean otherwise (spec/kpis.md)."""

from __future__ import annotations

from decimal import Decimal

from metrics.registry import KPI_BY_KEY, TargetRule
from metrics.services.targets import TargetScope, target_input_clean, target_months
from tests.helpers.deals import D
from tests.helpers.kpis import target_put


def test_the_registry_gives_every_kpi_its_rule():
    flows = {k for k, d in KPI_BY_KEY.items() if d.target_rule is TargetRule.FLOW}
    stocks = {k for k, d in KPI_BY_KEY.items() if d.target_rule is TargetRule.STOCK}
    assert flows == {"revenue", "deals_won", "deals_created", "new_customers", "calls", "meetings", "emails"}
    assert stocks == {"customers_active", "pipeline_value"}
    assert all(KPI_BY_KEY[k].additive for k in flows) and not any(KPI_BY_KEY[k].additive for k in stocks)


def test_flow_stock_and_mean_targets_of_a_quarter_and_their_roll_up(tree, grid):
    # na-east, month by month
    target_put("territory:na-east", "customers_active", "2025-04", "100")
    target_put("territory:na-east", "customers_active", "2025-05", "110")
    target_put("territory:na-east", "customers_active", "2025-06", "130")
    target_put("territory:na-east", "pipeline_value", "2025-04", "50000")
    target_put("territory:na-east", "pipeline_value", "2025-05", "80000")  # June has none
    target_put("territory:na-east", "deals_won", "2025-04", "4")
    target_put("territory:na-east", "deals_won", "2025-05", "6")
    target_put("territory:na-east", "win_rate", "2025-04", "0.4")
    target_put("territory:na-east", "win_rate", "2025-05", "0.5")
    # na-west: a stock typed for the quarter: every month carries 70
    target_put("territory:na-west", "customers_active", "2025-Q2", "70")
    target_put("territory:na-west", "win_rate", "2025-Q2", "0.3")
    target_put("territory:uk", "customers_active", "2025-06", "25")

    scopes = ["territory:na-east", "territory:na-west", "territory:na", "territory:uk", "territory:emea", "company"]
    table = grid(scopes, ["2025-Q2", "2025-05"])
    q2 = {scope: table[scope, "2025-Q2"] for scope in scopes}

    # stock: the target of the last month of Q2 that has one, not the mean (100 + 110 + 130) / 3
    assert q2["territory:na-east"]["customers_active"]["target"] == 130
    # pipeline: June has none, so May's 80000 (not the mean 65000, not the sum 130000)
    assert q2["territory:na-east"]["pipeline_value"]["target"] == 80000
    # flow: 4 + 6 = 10
    assert q2["territory:na-east"]["deals_won"]["target"] == 10
    # mean: (0.4 + 0.5) / 2 = 0.45
    assert q2["territory:na-east"]["win_rate"]["target"] == 0.45
    # na-west typed 70 for the quarter: 70 each month, the quarter's target 70 (not 210)
    assert q2["territory:na-west"]["customers_active"]["target"] == 70

    # stocks roll up: na has none of its own → na-east 130 + na-west 70 = 200
    assert q2["territory:na"]["customers_active"]["target"] == 200
    # emea → uk's 25; company → na 200 + emea 25 = 225
    assert q2["territory:emea"]["customers_active"]["target"] == 25
    assert q2["company"]["customers_active"]["target"] == 225
    # pipeline: na → na-east's 80000 only (na-west has none); company → 80000
    assert q2["territory:na"]["pipeline_value"]["target"] == 80000
    assert q2["company"]["pipeline_value"]["target"] == 80000
    # flows roll up as before: na 10, company 10
    assert q2["territory:na"]["deals_won"]["target"] == 10
    assert q2["company"]["deals_won"]["target"] == 10
    # a rate does not roll up
    assert q2["territory:na"]["win_rate"]["target"] is None
    assert q2["company"]["win_rate"]["target"] is None

    # May alone: stock na-east 110 + na-west 70 = 180 at na; pipeline 80000
    may = table["territory:na", "2025-05"]
    assert may["customers_active"]["target"] == 180
    assert may["pipeline_value"]["target"] == 80000


def test_a_stock_typed_for_a_year_carries_the_value_in_every_month(tree):
    # a stock is a level, not a sum: 1200 for 2025 is 1200 in each month, not 100
    entry = target_input_clean(
        scope=TargetScope(territory=tree["na"]), kpi="customers_active", period="2025", value="1200"
    )
    assert target_months(entry) == {D(2025, m, 1): Decimal("1200") for m in range(1, 13)}
    entry = target_input_clean(
        scope=TargetScope(territory=tree["na"]), kpi="pipeline_value", period="2025-Q3", value="90000.50"
    )
    assert target_months(entry) == {D(2025, m, 1): Decimal("90000.50") for m in (7, 8, 9)}
    # the flow beside it is spread: 1200 a year evenly is 100 a month
    entry = target_input_clean(scope=TargetScope(territory=tree["na"]), kpi="deals_won", period="2025", value="1200")
    assert target_months(entry) == {D(2025, m, 1): Decimal("100") for m in range(1, 13)}
