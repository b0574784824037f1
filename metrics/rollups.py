"""Roll-ups the KPI engine builds on: sums per window, open pipeline, funnel, like-for-like, rep attainment.

Each function rolls facts up to every scope of the index at once and returns
arrays or frames aligned with the engine's (scope, period) grid.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from metrics.fetch import CENTS, FUNNEL_STAGES, TARGET_UNITS, Facts, Grain, facts_to_date
from metrics.periods import months_between, period_last_year, period_previous
from metrics.scopes import ScopeIndex, rollup


def window_buckets(start: datetime.date, end: datetime.date, grain: Grain) -> list[datetime.date]:
    """The buckets (days, or first days of months) from ``start`` to ``end``."""
    if grain == "day":
        return [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]
    return months_between(start, end)


_PREFIXES = ("", "prev|", "ly|", "W|")


class WindowSums:
    """Sums per (scope, window) laid out as arrays [prefix, scope, period] matching the grid.

    A window is a period label with an optional prefix (previous period, last
    year, CLV window); ``take`` returns one column for the whole grid at once.
    """

    def __init__(self, sums: pd.DataFrame, grid: pd.MultiIndex):
        self.shape = (len(_PREFIXES), len(grid.unique(level=0)), len(grid.unique(level=1)))
        self.scope_order = list(dict.fromkeys(grid.get_level_values(0)))
        self.label_order = list(dict.fromkeys(grid.get_level_values(1)))
        self.arrays: dict[str, np.ndarray] = {}
        if sums.empty:
            return
        scope_code = pd.Index(self.scope_order).get_indexer(sums["scope"])
        prefix, _, label = sums["window"].str.rpartition("|").T.values
        prefix_code = pd.Series(prefix).map({p.rstrip("|"): i for i, p in enumerate(_PREFIXES)}).to_numpy()
        label_code = pd.Index(self.label_order).get_indexer(label)
        keep = (scope_code >= 0) & (label_code >= 0) & ~pd.isna(prefix_code)
        where = (prefix_code[keep].astype("int64"), scope_code[keep], label_code[keep])
        for column in sums.columns.difference(["scope", "window"]):
            array = np.zeros(self.shape)
            array[where] = sums[column].to_numpy(dtype="float64")[keep]
            self.arrays[column] = array

    def take(self, column: str, prefix: str = "") -> np.ndarray:
        if column not in self.arrays:
            return np.zeros(self.shape[1] * self.shape[2])
        return self.arrays[column][_PREFIXES.index(prefix)].reshape(-1)


def rep_attainment(facts: Facts, period_map: pd.DataFrame, month_map: pd.DataFrame) -> pd.DataFrame:
    """(rep_id, period, attained) for every rep with a revenue target in the period, whatever scopes are asked."""
    targets = facts.targets[(facts.targets["kpi"] == "revenue") & facts.targets["rep_id"].notna()]
    targets = targets.merge(month_map, left_on="month", right_on="bucket")
    targets = targets.groupby(["rep_id", "window"], sort=False)["units"].sum().reset_index()
    closed = facts.closed.merge(period_map, on="bucket")
    revenue = closed.groupby(["rep_id", "window"], sort=False)["won_cents"].sum().reset_index()
    merged = targets.merge(revenue, on=["rep_id", "window"], how="left").fillna({"won_cents": 0})
    # revenue / target ≥ 1 in exact integers: cents / 100 ≥ units / 10,000.
    attained = (merged["units"] > 0) & (merged["won_cents"] * (TARGET_UNITS // CENTS) >= merged["units"])
    return pd.DataFrame(
        {"rep_id": merged["rep_id"].astype("int64"), "period": merged["window"], "attained": attained.astype(bool)}
    )


LIKE_FOR_LIKE = ("revenue", "deals_won", "deals_created", "calls", "meetings", "emails", "new_customers")


def to_date_comparisons(periods, as_of, index, grid, fiscal) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For periods in progress: additive KPIs over the same elapsed days of the previous period and last year.

    Returns {kpi: (previous_to_date, last_year_to_date)} aligned with ``grid``; NaN for finished periods.
    """
    windows: dict[str, tuple[datetime.date, datetime.date]] = {}
    for p in periods:
        if not p.start <= as_of < p.end:
            continue
        elapsed = datetime.timedelta(days=(as_of - p.start).days)
        for prefix, earlier in (("prevtd|", period_previous(p, fiscal_start_month=fiscal)),
                                ("lytd|", period_last_year(p, fiscal_start_month=fiscal))):  # fmt: skip
            windows[prefix + p.label] = (earlier.start, min(earlier.start + elapsed, earlier.end))
    if not windows:
        return {}
    start = min(s for s, _ in windows.values())
    end = max(e for _, e in windows.values())
    rows = facts_to_date(as_of=as_of, start=start, end=end)
    window_map = pd.DataFrame(
        [(key, s + datetime.timedelta(days=i)) for key, (s, e) in windows.items() for i in range((e - s).days + 1)],
        columns=["window", "day"],
    )
    rolled = rollup(rows, ["day", "kpi"], ["amount"], index).merge(window_map, on="day")
    sums = rolled.groupby(["scope", "window", "kpi"], sort=False)["amount"].sum()
    in_progress = {p.label for p in periods if p.start <= as_of < p.end}
    result = {}
    for kpi in LIKE_FOR_LIKE:
        pair = []
        for prefix in ("prevtd|", "lytd|"):
            keys = pd.MultiIndex.from_arrays(
                [grid.get_level_values(0), [prefix + p for p in grid.get_level_values(1)], [kpi] * len(grid)]
            )
            values = sums.reindex(keys).fillna(0).to_numpy(dtype="float64").copy()
            values[~np.isin(grid.get_level_values(1), list(in_progress))] = np.nan
            pair.append(values / CENTS if kpi == "revenue" else values)
        result[kpi] = (pair[0], pair[1])
    return result


def pipeline_open(facts: Facts, index: ScopeIndex, grid, periods, as_of, grain):
    """Open pipeline on each period's last day (or the as-of date) and on the day before it starts."""
    data = facts.pipeline
    scopes = list(dict.fromkeys(grid.get_level_values(0)))
    at_as_of = rollup(data[data["closed_bucket"].isna()].assign(bucket=0), ["bucket"], ["n", "cents"], index)
    at_as_of = at_as_of.set_index("scope").reindex(scopes).fillna(0)
    known = data[data["created_bucket"].notna()]
    opened = rollup(known.rename(columns={"created_bucket": "bucket"}), ["bucket"], ["n", "cents"], index)
    closed_rows = known[known["closed_bucket"].notna()].rename(columns={"closed_bucket": "bucket"})
    shut = rollup(closed_rows, ["bucket"], ["n", "cents"], index)
    buckets = sorted(set(opened["bucket"]) | set(shut["bucket"]))

    def cumulative(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        wide = frame.pivot_table(index="scope", columns="bucket", values=column, aggfunc="sum", fill_value=0)
        return wide.reindex(index=scopes, columns=buckets, fill_value=0).cumsum(axis=1)

    open_n = cumulative(opened, "n") - cumulative(shut, "n") if buckets else None
    open_cents = cumulative(opened, "cents") - cumulative(shut, "cents") if buckets else None
    bucket_keys = np.array([b.toordinal() for b in buckets], dtype="int64")

    def open_on(day: datetime.date) -> tuple[pd.Series, pd.Series]:
        if day >= as_of:
            return at_as_of["cents"], at_as_of["n"]
        bucket = day.replace(day=1) if grain == "month" else day
        position = np.searchsorted(bucket_keys, bucket.toordinal(), side="right") - 1
        if open_n is None or position < 0:
            zero = pd.Series(0.0, index=scopes)
            return zero, zero
        return open_cents.iloc[:, position], open_n.iloc[:, position]

    value = pd.DataFrame(index=scopes)
    count = pd.DataFrame(index=scopes)
    before = pd.DataFrame(index=scopes)
    for p in periods:
        cents, n = open_on(min(p.end, as_of))
        value[p.label], count[p.label] = cents / CENTS, n
        before[p.label] = open_on(p.start - datetime.timedelta(days=1))[0] / CENTS
    labels = [p.label for p in periods]
    return (
        value[labels].to_numpy(dtype="float64").reshape(-1),
        count[labels].to_numpy(dtype="float64").reshape(-1),
        before[labels].to_numpy(dtype="float64").reshape(-1),
    )


def funnel_reached(facts: Facts, index: ScopeIndex, period_map: pd.DataFrame, grid) -> pd.DataFrame:
    """Deals created in each period that reached each stage, lead → won."""
    data = facts.funnel
    if data.empty:
        return pd.DataFrame(index=grid, columns=[f"{s}_n" for s in FUNNEL_STAGES]).fillna(0).reset_index()
    rolled = rollup(data, ["bucket", "reached"], ["n"], index).merge(period_map, on="bucket")
    wide = rolled.pivot_table(index=["scope", "window"], columns="reached", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=range(len(FUNNEL_STAGES)), fill_value=0)
    # A deal reached every stage up to its own: counts accumulate from the top stage down.
    reached_counts = wide.iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1]
    reached_counts.columns = [f"{s}_n" for s in FUNNEL_STAGES]
    reached_counts.index = reached_counts.index.set_names(["scope", "period"])
    return reached_counts.reindex(grid, fill_value=0).reset_index()
