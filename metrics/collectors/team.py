"""Team: the share of reps at quota, and rep turnover."""

from __future__ import annotations

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.kpis.stats import ratio
from metrics.kpis.team import reps_at_quota, turnover
from metrics.rollups import rep_attainment


def team(ctx: KpiContext, inputs: Inputs) -> dict:
    facts, grid = ctx.facts, ctx.grid
    attained = rep_attainment(facts, ctx.period_map, ctx.month_map)
    at_quota = reps_at_quota(facts.reps, facts.assignments, ctx.periods, attained, ctx.index, ctx.as_of)
    at_quota = at_quota.set_index(["scope", "period"]).reindex(grid)
    with_target = at_quota["reps_with_target"].to_numpy(dtype="float64")
    leaving = turnover(facts.reps, facts.assignments, ctx.periods, ctx.as_of, ctx.index)
    leaving = leaving.set_index(["scope", "period"]).reindex(grid)
    headcount = (leaving["headcount_start"].fillna(0) + leaving["headcount_end"].fillna(0)).to_numpy() / 2
    return {
        "reps_at_quota": kpi_values(
            ctx, ratio(at_quota["reps_at_quota"].to_numpy(dtype="float64"), with_target), n=with_target
        ),
        "rep_turnover_rate": kpi_values(ctx, ratio(leaving["leavers"].fillna(0).to_numpy(), headcount)),
    }


TEAM = Collector(
    name="team",
    produces=("reps_at_quota", "rep_turnover_rate"),
    reads=("reps", "assignments", "targets", "closed"),
    compute=team,
)
