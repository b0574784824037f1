"""Revenue growth against the previous period and against last year."""

from __future__ import annotations

import numpy as np

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.kpis.stats import ratio


def revenue_growth(ctx: KpiContext, inputs: Inputs) -> dict:
    revenue, previous, last_year = inputs["revenue"], inputs["revenue_previous"], inputs["revenue_last_year"]
    growth = ratio(revenue - previous, previous)
    yoy = ratio(revenue - last_year, last_year)
    if "revenue" in ctx.to_date:
        # Growth of the period in progress compares like with like, never a part-period with a whole one.
        previous_td, last_year_td = ctx.to_date["revenue"]
        in_progress = ~np.isnan(previous_td)
        growth[in_progress] = ratio(revenue - previous_td, previous_td)[in_progress]
        yoy[in_progress] = ratio(revenue - last_year_td, last_year_td)[in_progress]
    return {"revenue_growth": kpi_values(ctx, growth), "revenue_yoy": kpi_values(ctx, yoy)}


GROWTH = Collector(
    name="growth",
    produces=("revenue_growth", "revenue_yoy"),
    needs=("revenue", "revenue_previous", "revenue_last_year"),
    reads=(),
    compute=revenue_growth,
)
