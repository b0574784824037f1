"""Against the revenue target: quota attainment, and the pipeline at the start that covers it."""

from __future__ import annotations

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.kpis.stats import ratio


def against_quota(ctx: KpiContext, inputs: Inputs) -> dict:
    revenue_target = ctx.target("revenue")
    return {
        "quota_attainment": kpi_values(ctx, ratio(inputs["revenue"], revenue_target)),
        "pipeline_coverage": kpi_values(ctx, ratio(inputs["pipeline_before"], revenue_target)),
    }


QUOTA = Collector(
    name="quota",
    produces=("quota_attainment", "pipeline_coverage"),
    needs=("revenue", "pipeline_before"),
    reads=("targets",),
    compute=against_quota,
)
