"""Resolving targets for scopes and periods, and attainment.

target(P) = Σ of the month targets of P (null when no month has one). A
territory with no target of its own for P takes the sum of its children's
effective targets (when any child has one); the company takes the sum of the
top-level territories'. KPIs that are not sums over months (rates, medians,
averages, stocks) take the mean of the month targets set in P and do not roll
up: adding two win-rate targets gives no win-rate target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.fetch import TARGET_UNITS
from metrics.registry import KPI_BY_KEY
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
    data["additive"] = data["kpi"].map(lambda k: KPI_BY_KEY[k].additive)
    data["owner"] = np.where(
        data["territory_id"].notna(),
        "t" + data["territory_id"].fillna(0).astype("int64").astype(str),
        "r" + data["rep_id"].fillna(0).astype("int64").astype(str),
    )
    grouped = data.groupby(["owner", "kpi", "period", "additive"], sort=False)["units"].agg(["sum", "count"])
    grouped = grouped.reset_index()
    grouped["target"] = np.where(grouped["additive"], grouped["sum"], grouped["sum"] / grouped["count"])
    grouped["target"] = grouped["target"] / TARGET_UNITS

    out = []
    reps = grouped[grouped["owner"].str.startswith("r")]
    for owner, kpi, period, target in reps[["owner", "kpi", "period", "target"]].itertuples(index=False):
        out.append((index.rep_key(int(owner[1:])), period, kpi, float(target)))

    own = grouped[grouped["owner"].str.startswith("t")]
    own_map = {
        (int(owner[1:]), kpi, period): (float(target), bool(additive))
        for owner, kpi, period, additive, target in own[["owner", "kpi", "period", "additive", "target"]].itertuples(
            index=False
        )
    }
    keys = {(kpi, period) for _, kpi, period in own_map}
    by_depth = sorted(index.territories.values(), key=lambda node: -node.depth)
    for kpi, period in keys:
        additive = KPI_BY_KEY[kpi].additive
        effective: dict[int, float] = {}
        for node in by_depth:
            mine = own_map.get((node.pk, kpi, period))
            if mine is not None:
                effective[node.pk] = mine[0]
            elif additive:
                children = [effective[c] for c in index.children(node.pk) if c in effective]
                if children:
                    effective[node.pk] = float(sum(children))
        for pk, target in effective.items():
            out.append((index.territory_key(pk), period, kpi, target))
        if additive:
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
