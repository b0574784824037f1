"""Acquisition: new customers, customer acquisition cost, and lifetime value per acquisition cost."""

from __future__ import annotations

import numpy as np

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.fetch import CENTS
from metrics.kpis.stats import ratio


def acquisition(ctx: KpiContext, inputs: Inputs) -> dict:
    facts = ctx.facts
    new = ctx.by_window(facts.first_won.assign(one=1), ["one"], only_periods=True)
    new_customers = new.take("one")
    expenses = facts.expenses.rename(columns={"month": "bucket"}).assign(rep_id=None, recorded=1)
    spent = ctx.by_window(expenses, ["cents", "recorded"], only_periods=True, rep_col=None)
    spend = spent.take("cents") / CENTS
    # No expense row for the scope in the period: expenses are not recorded there ("no data"); a row of 0.00 is 0.
    cac = np.where(spent.take("recorded") > 0, ratio(spend, new_customers), np.nan)
    return {
        "new_customers": kpi_values(ctx, new_customers),
        "cac": kpi_values(ctx, cac, n=new_customers),
        "clv_cac_ratio": kpi_values(ctx, ratio(inputs["clv"], cac)),
    }


ACQUISITION = Collector(
    name="acquisition",
    produces=("new_customers", "cac", "clv_cac_ratio"),
    needs=("clv",),
    reads=("first_won", "expenses"),
    compute=acquisition,
)
