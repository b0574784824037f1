"""Activities: calls, meetings and emails logged in the period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values

KINDS = (("call", "calls"), ("meeting", "meetings"), ("email", "emails"))


def activity_counts(ctx: KpiContext, inputs: Inputs) -> dict:
    facts = ctx.facts
    # An installation that holds no activity up to the as-of date does not record activities: its
    # activity KPIs are "no data", not 0.
    no_activities = np.full(ctx.size, facts.activities.empty)
    activities = pd.DataFrame(columns=["territory_id", "rep_id", "bucket"])
    if not facts.activities.empty:
        activities = facts.activities.pivot_table(
            index=["territory_id", "rep_id", "bucket"], columns="kind", values="n", aggfunc="sum", fill_value=0
        ).reset_index()
    kinds = [k for k, _ in KINDS if k in activities.columns]
    acts = ctx.by_window(activities, kinds, only_periods=True) if kinds else None
    result = {}
    for kind, key in KINDS:
        counts = acts.take(kind) if acts is not None and kind in kinds else np.zeros(ctx.size)
        result[key] = kpi_values(ctx, np.where(no_activities, np.nan, counts))
    return result


ACTIVITIES = Collector(
    name="activities", produces=tuple(key for _, key in KINDS), reads=("activities",), compute=activity_counts
)
