"""Pipeline: the value of open deals on the period's last day (or the as-of date)."""

from __future__ import annotations

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.rollups import pipeline_open


def open_pipeline(ctx: KpiContext, inputs: Inputs) -> dict:
    value, n, before = pipeline_open(ctx.facts, ctx.index, ctx.grid, ctx.periods, ctx.as_of, ctx.grain)
    # pipeline_before: the open pipeline on the day before the period starts.
    return {"pipeline_value": kpi_values(ctx, value, n=n), "pipeline_before": before}


PIPELINE = Collector(
    name="pipeline",
    produces=("pipeline_value",),
    provides=("pipeline_before",),
    reads=("pipeline",),
    compute=open_pipeline,
)
