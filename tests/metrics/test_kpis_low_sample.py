"""Low sample is for estimates only (spec/kpis.md, "Honest numbers"), worked out by hand."""

from __future__ import annotations

import numpy as np

from metrics.kpi_table import low_sample_flags
from metrics.registry import KPIS
from tests.helpers.deals import D, lost, open_deal, won
from tests.helpers.kpis import rep_in, target_put

EXACT = (
    "revenue", "deals_won", "deals_created", "new_customers", "customers_active", "pipeline_value",
    "calls", "meetings", "emails", "quota_attainment",
)  # fmt: skip
ESTIMATES = (
    "avg_deal_size", "win_rate", "lead_conversion_rate", "sales_cycle_days", "churn_rate", "retention_rate",
    "arpu", "clv", "cac", "csat", "nps", "follow_up_rate", "reps_at_quota",
)  # fmt: skip
WITHOUT_N = ("clv_cac_ratio", "revenue_growth", "revenue_yoy", "pipeline_coverage", "rep_turnover_rate")


def test_the_registry_classifies_every_kpi():
    by_key = {k.key: k for k in KPIS}
    assert set(by_key) == set(EXACT) | set(ESTIMATES) | set(WITHOUT_N)
    assert {k for k, d in by_key.items() if d.estimate} == set(ESTIMATES)
    assert by_key["clv_cac_ratio"].derived_from == ("clv", "cac")


def test_exact_kpis_are_never_low_sample_estimates_are(tree, grid, settings):
    settings.KPI_MIN_SAMPLE = 3
    east = tree["na-east"]
    a = rep_in(east, "ra")
    won(a, east, D(2025, 3, 3), "1000.00")
    won(a, east, D(2025, 3, 4), "500.00")
    lost(a, east, D(2025, 3, 5))
    open_deal(a, east, D(2025, 3, 6), "4000.00")
    target_put("rep:ra", "revenue", "2025-03", "3000")

    rows = grid(["rep:ra"], ["2025-03"])["rep:ra", "2025-03"]
    # revenue 1000 + 500 = 1500 over n = 2 won deals < 3: exact, not low sample
    assert rows["revenue"]["value"] == 1500 and rows["revenue"]["n"] == 2
    assert not rows["revenue"]["low_sample"]
    # quota attainment 1500 / 3000 = 0.5: exact
    assert rows["quota_attainment"]["value"] == 0.5 and not rows["quota_attainment"]["low_sample"]
    # pipeline: one open deal of 4000 on 31 March, n = 1 < 3: a stock, exact
    assert rows["pipeline_value"]["value"] == 4000 and rows["pipeline_value"]["n"] == 1
    assert not rows["pipeline_value"]["low_sample"]
    for key in EXACT:
        assert not rows[key]["low_sample"], key
    # average deal size 1500 / 2 = 750 over n = 2 < 3: an estimate, low sample
    assert rows["avg_deal_size"]["value"] == 750 and rows["avg_deal_size"]["low_sample"]
    # win rate 2 / (2 + 1) over n = 3, not below 3
    assert rows["win_rate"]["n"] == 3 and not rows["win_rate"]["low_sample"]
    # lead conversion: the closed deals were created 10 days before closing (21-23 February), so only the
    # open deal was created in March: 0 won of n = 1 < 3, low sample
    assert rows["lead_conversion_rate"]["value"] == 0 and rows["lead_conversion_rate"]["n"] == 1
    assert rows["lead_conversion_rate"]["low_sample"]
    # sales cycle: median of 10 and 10 days over n = 2 won deals: low sample
    assert rows["sales_cycle_days"]["value"] == 10 and rows["sales_cycle_days"]["low_sample"]


def _row(value, n=np.nan):
    return {"value": np.array([value], dtype="float64"), "n": np.array([n], dtype="float64")}


def _flags(**given):
    out = {k.key: _row(1.0) for k in KPIS}
    out.update(given)
    return {key: bool(flag[0]) for key, flag in low_sample_flags(out, 30).items()}


def test_a_kpi_without_n_is_low_sample_when_an_estimate_it_comes_from_is():
    # clv n = 10 < 30 → clv and clv / cac low sample; cac n = 40 is not
    flags = _flags(clv=_row(900.0, 10), cac=_row(300.0, 40), clv_cac_ratio=_row(3.0))
    assert flags["clv"] and not flags["cac"] and flags["clv_cac_ratio"]
    # cac n = 5 < 30 → cac and clv / cac low sample
    flags = _flags(clv=_row(900.0, 40), cac=_row(300.0, 5), clv_cac_ratio=_row(3.0))
    assert flags["cac"] and flags["clv_cac_ratio"]
    # both n ≥ 30 → neither
    flags = _flags(clv=_row(900.0, 30), cac=_row(300.0, 40), clv_cac_ratio=_row(3.0))
    assert not flags["clv"] and not flags["cac"] and not flags["clv_cac_ratio"]
    # a null ratio is "no data", not low sample, even beside a low-sample clv
    flags = _flags(clv=_row(900.0, 10), cac=_row(np.nan, 0), clv_cac_ratio=_row(np.nan))
    assert not flags["clv_cac_ratio"]
    # growth, year-on-year and coverage come from exact inputs; revenue's n = 1 does not matter
    flags = _flags(revenue=_row(100.0, 1), pipeline_value=_row(50.0, 1))
    for key in ("revenue", "revenue_growth", "revenue_yoy", "pipeline_coverage", "rep_turnover_rate"):
        assert not flags[key], key
