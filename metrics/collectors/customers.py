"""Customer activity: active customers, churn, retention, revenue per active customer, lifetime value."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.kpis.customers import active_matrix, distinct_in_windows
from metrics.kpis.stats import ratio, wilson
from metrics.periods import month_add
from metrics.scopes import rollup


def customer_activity(ctx: KpiContext, inputs: Inputs) -> dict:
    facts, index, grid, periods, labels = ctx.facts, ctx.index, ctx.grid, ctx.periods, ctx.labels
    start_days = [p.start - datetime.timedelta(days=1) for p in periods]
    end_days = [min(p.end, ctx.as_of) for p in periods]
    clv_start_days = [month_add(p.end.replace(day=1), -11) - datetime.timedelta(days=1) for p in periods]
    dates = sorted(set(start_days) | set(end_days) | set(clv_start_days))
    column = {d: i for i, d in enumerate(dates)}
    customers = facts.customers.reset_index(drop=True)
    matrix = active_matrix(customers, facts.customer_deals, dates)
    starts = matrix[:, [column[d] for d in start_days]]
    ends = matrix[:, [column[d] for d in end_days]]
    clv_starts = matrix[:, [column[d] for d in clv_start_days]]
    per_customer = {}
    for j, label in enumerate(labels):
        per_customer[f"S|{label}"] = starts[:, j]
        per_customer[f"E|{label}"] = ends[:, j]
        per_customer[f"C|{label}"] = starts[:, j] & ~ends[:, j]
        per_customer[f"WS|{label}"] = clv_starts[:, j]
        per_customer[f"WC|{label}"] = clv_starts[:, j] & ~ends[:, j]
    customer_frame = pd.concat(
        [customers[["territory_id", "rep_id"]], pd.DataFrame(per_customer, dtype="int64")], axis=1
    )
    value_columns = list(per_customer)
    rolled = rollup(customer_frame.assign(bucket=0), ["bucket"], value_columns, index).set_index("scope")
    rolled = rolled.reindex(ctx.scope_list).fillna(0)

    def customer_take(prefix: str) -> np.ndarray:
        wide = rolled[[f"{prefix}|{label}" for label in labels]].to_numpy(dtype="float64")
        return wide.reshape(-1)  # grid order: scope-major, then period

    active_start, active_end, churned = customer_take("S"), customer_take("E"), customer_take("C")
    churn = ratio(churned, active_start)
    low, high = wilson(churned, active_start)

    won_customers = facts.won_customers
    month_index = won_customers["month"].map(lambda d: d.year * 12 + d.month - 1) if len(won_customers) else []
    by_scope = pd.concat(
        [
            won_customers.assign(
                month_index=month_index, territory_id=won_customers["territory_id"].astype("int64")
            ).merge(index.membership(), on="territory_id")[["scope", "customer_id", "month_index"]],
            won_customers.assign(month_index=month_index).merge(index.rep_scope_frame(), on="rep_id")[
                ["scope", "customer_id", "month_index"]
            ],
        ]
    ).drop_duplicates()
    end_months = {label: p.end.year * 12 + p.end.month - 1 for label, p in zip(labels, periods, strict=True)}
    distinct = distinct_in_windows(by_scope, 12, list(end_months.values())).set_index(["scope", "end"])["customers"]
    distinct_n = distinct.reindex(
        pd.MultiIndex.from_arrays([grid.get_level_values(0), [end_months[p] for p in grid.get_level_values(1)]])
    ).fillna(0).to_numpy(dtype="float64")  # fmt: skip
    window_churn = ratio(customer_take("WC"), customer_take("WS"))
    value_per_customer = ratio(inputs["revenue_12_months"], distinct_n)
    clv = ratio(value_per_customer, np.where(window_churn > 0, window_churn, np.nan))
    return {
        "customers_active": kpi_values(ctx, active_end),
        "churn_rate": kpi_values(ctx, churn, n=active_start, low=low, high=high),
        "retention_rate": kpi_values(ctx, 1 - churn, n=active_start, low=1 - high, high=1 - low),
        "arpu": kpi_values(ctx, ratio(inputs["revenue"], active_end), n=active_end),
        "clv": kpi_values(ctx, clv, n=distinct_n),
    }


CUSTOMERS = Collector(
    name="customers",
    produces=("customers_active", "churn_rate", "retention_rate", "arpu", "clv"),
    needs=("revenue", "revenue_12_months"),
    reads=("customers", "customer_deals", "won_customers"),
    compute=customer_activity,
)
