"""Surveys: CSAT (share of good answers) and NPS."""

from __future__ import annotations

from metrics.collectors.base import Collector, Inputs, KpiContext, kpi_values
from metrics.kpis.stats import nps_interval, ratio, wilson


def survey_scores(ctx: KpiContext, inputs: Inputs) -> dict:
    surveys = ctx.facts.surveys
    csat = ctx.by_window(surveys[surveys["kind"] == "csat"], ["n", "good"], only_periods=True)
    nps = ctx.by_window(surveys[surveys["kind"] == "nps"], ["n", "promoters", "detractors"], only_periods=True)
    csat_n, good = csat.take("n"), csat.take("good")
    csat_low, csat_high = wilson(good, csat_n)
    nps_n, promoters, detractors = nps.take("n"), nps.take("promoters"), nps.take("detractors")
    nps_low, nps_high = nps_interval(promoters, detractors, nps_n)
    return {
        "csat": kpi_values(ctx, ratio(good, csat_n), n=csat_n, low=csat_low, high=csat_high),
        "nps": kpi_values(ctx, 100 * ratio(promoters - detractors, nps_n), n=nps_n, low=nps_low, high=nps_high),
    }


SURVEYS = Collector(name="surveys", produces=("csat", "nps"), reads=("surveys",), compute=survey_scores)
