"""Deals created: volume, the conversion of the period's cohort, follow-up."""

from __future__ import annotations

import numpy as np

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.kpis.stats import ratio, wilson


def deals_created(ctx: KpiContext, inputs: Inputs) -> dict:
    created = ctx.by_window(ctx.facts.created, ["created_n", "won_n", "open_n", "followed_n"], only_periods=True)
    created_n = created.take("created_n")
    won_cohort = created.take("won_n")
    low, high = wilson(won_cohort, created_n)
    conversion = kpi_values(ctx, ratio(won_cohort, created_n), n=created_n, low=low, high=high,
                            provisional=created.take("open_n") > 0)  # fmt: skip
    # An installation that holds no activity up to the as-of date does not record activities: its
    # follow-up rate is "no data", not 0.
    no_activities = np.full(ctx.size, ctx.facts.activities.empty)
    followed = created.take("followed_n")
    low, high = wilson(followed, created_n)
    follow_up = kpi_values(
        ctx,
        np.where(no_activities, np.nan, ratio(followed, created_n)),
        n=created_n,
        low=np.where(no_activities, np.nan, low),
        high=np.where(no_activities, np.nan, high),
    )
    return {
        "deals_created": kpi_values(ctx, created_n),
        "lead_conversion_rate": conversion,
        "follow_up_rate": follow_up,
    }


CREATED = Collector(
    name="created",
    produces=("deals_created", "lead_conversion_rate", "follow_up_rate"),
    reads=("created", "activities"),
    compute=deals_created,
)
