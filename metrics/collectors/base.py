"""What a collector is, and the grid every collector computes over.

A collector computes one KPI family for the whole scope × period grid at once
(Zulip's ``CountStat`` idea). It declares the KPI keys it produces, the facts it
reads, and the values of earlier collectors it needs; ``compute`` is pure numpy
and pandas over the fetched ``Facts`` and the shared window sums of the
``KpiContext``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from metrics.fetch import Facts, Grain
from metrics.kpis.targets import targets_resolve
from metrics.periods import Period, month_add, month_end, period_last_year, period_previous
from metrics.rollups import WindowSums, to_date_comparisons, window_buckets
from metrics.scopes import ScopeIndex, rollup

KpiColumns = dict[str, Any]  # value, n, ci_low, ci_high, provisional: arrays aligned with the grid; extra: list | None


@dataclass(frozen=True)
class KpiContext:
    """The scope × period grid, its windows and the facts, shared by every collector of one computation.

    Windows: each period (its label), the one before it (``prev|``), the same one
    last year (``ly|``) and its 12-month CLV window (``W|``).
    """

    facts: Facts
    index: ScopeIndex
    periods: tuple[Period, ...]
    as_of: datetime.date
    grain: Grain
    fiscal: int
    scope_list: list[str]
    grid: pd.MultiIndex
    window_map: pd.DataFrame  # window, bucket
    period_map: pd.DataFrame  # window (period label), bucket
    labels: list[str] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "labels", [p.label for p in self.periods])

    @property
    def size(self) -> int:
        return len(self.grid)

    @cached_property
    def is_rep(self) -> np.ndarray:
        return np.array([s.startswith("rep:") for s in self.grid.get_level_values(0)])

    def by_window(self, frame: pd.DataFrame, values: list[str], *, only_periods: bool = False, **kw) -> WindowSums:
        """Sums of ``values`` per (scope, window) of ``frame``'s buckets; only the periods themselves if asked."""
        rolled = rollup(frame, ["bucket"], values, self.index, **kw)
        rolled = rolled.merge(self.period_map if only_periods else self.window_map, on="bucket")
        return WindowSums(rolled.groupby(["scope", "window"], sort=False)[values].sum().reset_index(), self.grid)

    @cached_property
    def month_map(self) -> pd.DataFrame:
        """(window, bucket): every month of each period from its start, also those after the as-of date."""
        return pd.DataFrame(
            [(p.label, m) for p in self.periods for m in p.months if m >= p.start], columns=["window", "bucket"]
        )

    @cached_property
    def target_arrays(self) -> dict[str, np.ndarray]:
        """Target of each KPI aligned with the grid; a target covers the whole period, also while it is in progress."""
        targets = targets_resolve(self.facts.targets, self.month_map, self.index)
        scope_order = list(dict.fromkeys(self.grid.get_level_values(0)))
        arrays: dict[str, np.ndarray] = {}
        if not targets.empty:
            scope_code = pd.Index(scope_order).get_indexer(targets["scope"])
            label_code = pd.Index(self.labels).get_indexer(targets["period"])
            for kpi, rows in targets.assign(s=scope_code, p=label_code).groupby("kpi"):
                rows = rows[(rows["s"] >= 0) & (rows["p"] >= 0)]
                array = np.full((len(scope_order), len(self.labels)), np.nan)
                array[rows["s"].to_numpy(), rows["p"].to_numpy()] = rows["target"].to_numpy(dtype="float64")
                arrays[kpi] = array.reshape(-1)
        return arrays

    def target(self, kpi: str) -> np.ndarray:
        """The target of ``kpi`` aligned with the grid, NaN where there is none."""
        return self.target_arrays[kpi] if kpi in self.target_arrays else np.full(self.size, np.nan)

    @cached_property
    def to_date(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Like for like: {kpi: (previous_to_date, last_year_to_date)} for the periods in progress."""
        return to_date_comparisons(self.periods, self.as_of, self.index, self.grid, self.fiscal)


def kpi_context_build(
    *,
    facts: Facts,
    index: ScopeIndex,
    periods: tuple[Period, ...],
    as_of: datetime.date,
    grain: Grain,
    fiscal: int,
    scope_list: list[str],
) -> KpiContext:
    """The grid of ``scope_list`` × ``periods`` and the bucket → window maps of its windows."""
    labels = [p.label for p in periods]
    grid = pd.MultiIndex.from_product([scope_list, labels], names=["scope", "period"])
    windows: dict[str, tuple[datetime.date, datetime.date]] = {}
    for p in periods:
        windows[p.label] = (p.start, p.end)
        prev, last_year = period_previous(p, fiscal_start_month=fiscal), period_last_year(p, fiscal_start_month=fiscal)
        windows["prev|" + p.label] = (prev.start, prev.end)
        windows["ly|" + p.label] = (last_year.start, last_year.end)
        end_month = p.end.replace(day=1)
        windows["W|" + p.label] = (month_add(end_month, -11), month_end(end_month))
    window_map = pd.DataFrame(
        [(key, b) for key, (s, e) in windows.items() for b in window_buckets(s, min(e, as_of), grain)],
        columns=["window", "bucket"],
    )
    period_map = window_map[window_map["window"].isin(labels)]
    return KpiContext(
        facts=facts,
        index=index,
        periods=periods,
        as_of=as_of,
        grain=grain,
        fiscal=fiscal,
        scope_list=scope_list,
        grid=grid,
        window_map=window_map,
        period_map=period_map,
    )


def kpi_values(ctx: KpiContext, value, n=None, low=None, high=None, provisional=None, extra=None) -> KpiColumns:
    """The columns of one KPI over the grid; n, interval and provisional default to none."""
    size = ctx.size
    return {
        "value": np.asarray(value, dtype="float64"),
        "n": np.full(size, np.nan) if n is None else np.asarray(n, dtype="float64"),
        "ci_low": np.full(size, np.nan) if low is None else np.asarray(low, dtype="float64"),
        "ci_high": np.full(size, np.nan) if high is None else np.asarray(high, dtype="float64"),
        "provisional": np.zeros(size, dtype=bool) if provisional is None else np.asarray(provisional, dtype=bool),
        "extra": extra,
    }


Inputs = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Collector:
    """One KPI family.

    ``compute(ctx, inputs)`` returns an entry for every key of ``produces`` (KPI
    columns, built with ``kpi_values``) and of ``provides`` (plain arrays aligned
    with the grid for later collectors). ``inputs`` holds what ``needs`` names:
    the value array of a KPI, or an array another collector provides; those
    collectors come earlier in ``metrics.collectors.COLLECTORS``. ``reads`` names
    the ``Facts`` fields the family is computed from.
    """

    name: str
    produces: tuple[str, ...]
    reads: tuple[str, ...]
    compute: Callable[[KpiContext, Inputs], dict[str, Any]]
    needs: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()


def collectors_run(collectors: Sequence[Collector], ctx: KpiContext) -> dict[str, KpiColumns]:
    """Run ``collectors`` in order; return the columns of every KPI they produce."""
    out: dict[str, KpiColumns] = {}
    provided: dict[str, np.ndarray] = {}
    for collector in collectors:
        inputs = {key: provided[key] if key in provided else out[key]["value"] for key in collector.needs}
        result = collector.compute(ctx, inputs)
        if set(result) != set(collector.produces) | set(collector.provides):
            raise ValueError(
                f"collector {collector.name!r} returned {sorted(result)}, "
                f"declared {sorted(collector.produces + collector.provides)}"
            )
        out.update({key: result[key] for key in collector.produces})
        provided.update({key: result[key] for key in collector.provides})
    return out
