"""Deals closed: revenue, deals won, average deal size, win rate."""

from __future__ import annotations

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.fetch import CENTS
from metrics.kpis.stats import ratio, wilson


def deals_closed(ctx: KpiContext, inputs: Inputs) -> dict:
    closed = ctx.by_window(ctx.facts.closed, ["won_n", "won_cents", "lost_n"])
    won, cents, lost = closed.take("won_n"), closed.take("won_cents"), closed.take("lost_n")
    revenue = cents / CENTS
    low, high = wilson(won, won + lost)
    return {
        "revenue": kpi_values(ctx, revenue, n=won),
        "deals_won": kpi_values(ctx, won),
        "avg_deal_size": kpi_values(ctx, ratio(revenue, won), n=won),
        "win_rate": kpi_values(ctx, ratio(won, won + lost), n=won + lost, low=low, high=high),
        # Revenue of the period before, of the same period last year, and of the 12 months to the period's end.
        "revenue_previous": closed.take("won_cents", "prev|") / CENTS,
        "revenue_last_year": closed.take("won_cents", "ly|") / CENTS,
        "revenue_12_months": closed.take("won_cents", "W|") / CENTS,
    }


DEALS = Collector(
    name="deals",
    produces=("revenue", "deals_won", "avg_deal_size", "win_rate"),
    provides=("revenue_previous", "revenue_last_year", "revenue_12_months"),
    reads=("closed",),
    compute=deals_closed,
)
