"""Resolving targets for scopes and periods, and attainment.

target(P) is read from the month targets of P that are set (null when none is),
by the KPI's ``target_rule``: their sum for a flow (revenue, counts of events),
the target of the last of those months for a stock (active customers, pipeline
value: a level on a day, not a sum), their mean for anything else (rates,
medians, averages). Flow and stock targets roll up: a territory with no target
of its own for P takes the sum of its children's effective targets (when any
child has one); the company takes the sum of the top-level territories'. Mean
targets do not roll up: adding two win-rate targets gives no win-rate target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.fetch import TARGET_UNITS
from metrics.registry import KPI_BY_KEY, TargetRule
from metrics.scopes import COMPANY, ScopeIndex


def targets_resolve(targets: pd.DataFrame, period_months: pd.DataFrame, index: ScopeIndex) -> pd.DataFrame:
    """Return (scope, period, kpi, target) for every scope that has an effective target.

    ``targets`` has (territory_id, rep_id, kpi, month, units); ``period_months``
    maps (window, bucket) with bucket the first day of each month in the period.
    """
    columns = ["scope", "period", "kpi", "target"]
    if targets.empty:
        return pd.DataFrame(columns=columns)
    data = targets.merge(period_months, left_on="month", right_on="bucket")
    data = data.rename(columns={"window": "period"})
    data["rule"] = data["kpi"].map(lambda k: KPI_BY_KEY[k].target_rule.value)
    data["owner"] = np.where(
        data["territory_id"].notna(),
        "t" + data["territory_id"].fillna(0).astype("int64").astype(str),
        "r" + data["rep_id"].fillna(0).astype("int64").astype(str),
    )
    data = data.sort_values("month", kind="stable")
    grouped = data.groupby(["owner", "kpi", "period", "rule"], sort=False)["units"].agg(["sum", "count", "last"])
    grouped = grouped.reset_index()
    grouped["target"] = np.select(
        [grouped["rule"] == TargetRule.FLOW.value, grouped["rule"] == TargetRule.STOCK.value],
        [grouped["sum"], grouped["last"]],
        grouped["sum"] / grouped["count"],
    )
    grouped["target"] = grouped["target"] / TARGET_UNITS

    out = []
    reps = grouped[grouped["owner"].str.startswith("r")]
    for owner, kpi, period, target in reps[["owner", "kpi", "period", "target"]].itertuples(index=False):
        out.append((index.rep_key(int(owner[1:])), period, kpi, float(target)))

    own = grouped[grouped["owner"].str.startswith("t")]
    own_map = {
        (int(owner[1:]), kpi, period): float(target)
        for owner, kpi, period, target in own[["owner", "kpi", "period", "target"]].itertuples(index=False)
    }
    keys = {(kpi, period) for _, kpi, period in own_map}
    by_depth = sorted(index.territories.values(), key=lambda node: -node.depth)
    for kpi, period in keys:
        rolls_up = KPI_BY_KEY[kpi].rolls_up
        effective: dict[int, float] = {}
        for node in by_depth:
            mine = own_map.get((node.pk, kpi, period))
            if mine is not None:
                effective[node.pk] = mine
            elif rolls_up:
                children = [effective[c] for c in index.children(node.pk) if c in effective]
                if children:
                    effective[node.pk] = float(sum(children))
        for pk, target in effective.items():
            out.append((index.territory_key(pk), period, kpi, target))
        if rolls_up:
            top = [effective[pk] for pk in index.children(None) if pk in effective]
            if top:
                out.append((COMPANY, period, kpi, float(sum(top))))
    return pd.DataFrame(out, columns=columns)


def attainment(value: np.ndarray, target: np.ndarray, higher_is_better: np.ndarray) -> np.ndarray:
    """value / target, or target / value where lower is better; null when undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        straight = np.where(target > 0, value / target, np.nan)
        inverted = np.where(value > 0, target / value, np.nan)
    out = np.where(higher_is_better, straight, inverted)
    out[~(np.isfinite(value) & np.isfinite(target))] = np.nan
    return out
