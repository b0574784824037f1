"""Sales cycle: the median days from creation to win (p75, p90 in extra), from additive histograms."""

from __future__ import annotations

import pandas as pd

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.kpis.stats import histogram_quantiles
from metrics.scopes import rollup


def sales_cycle(ctx: KpiContext, inputs: Inputs) -> dict:
    cycle = rollup(ctx.facts.cycle, ["bucket", "days"], ["n"], ctx.index).merge(ctx.period_map, on="bucket")
    quantiles = histogram_quantiles(cycle, ["scope", "window"], "days", "n", (0.5, 0.75, 0.9))
    quantiles = quantiles.set_index(["scope", "window"]).reindex(ctx.grid)
    extra = [None if pd.isna(a) else {"p75": float(a), "p90": float(b)}
             for a, b in zip(quantiles["q0.75"], quantiles["q0.9"], strict=True)]  # fmt: skip
    return {"sales_cycle_days": kpi_values(ctx, quantiles["q0.5"], n=quantiles["n"].fillna(0), extra=extra)}


CYCLE = Collector(name="cycle", produces=("sales_cycle_days",), reads=("cycle",), compute=sales_cycle)
