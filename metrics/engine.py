"""The KPI engine: fetch → pure KPI functions → roll-ups, for every scope × period at once.

``kpis_compute`` is the one computation behind snapshots (``recompute_kpis``)
and live reports (``kpi_report --live``), so the two agree exactly. It builds
the scope × period grid and runs the collectors of ``metrics.collectors`` over
it, one per KPI family, in order; the roll-ups they read are in
``metrics.rollups`` and the table it returns is laid out by ``metrics.kpi_table``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings

from metrics.collectors import COLLECTORS
from metrics.collectors.base import KpiColumns, collectors_run, kpi_context_build
from metrics.fetch import Facts, Grain, facts_fetch
from metrics.kpi_table import COLUMNS, kpi_table_assemble
from metrics.periods import Period
from metrics.rollups import funnel_reached
from metrics.scopes import ScopeIndex, scope_index_build


@dataclass(frozen=True)
class KpiResult:
    """Long table of KPI values: one row per (scope, period, kpi), plus the funnel per (scope, period)."""

    as_of: datetime.date
    periods: tuple[Period, ...]
    table: pd.DataFrame  # COLUMNS
    funnel: pd.DataFrame  # scope, period, <stage>_n …


def as_of_date() -> datetime.date:
    """The as-of date: the ``KPI_AS_OF`` setting, else today."""
    return settings.KPI_AS_OF or datetime.date.today()


def kpis_compute(
    *,
    periods: Sequence[Period],
    as_of: datetime.date | None = None,
    grain: Grain = "month",
    scopes: Sequence[str] | None = None,
    facts: Facts | None = None,
    index: ScopeIndex | None = None,
) -> KpiResult:
    """Compute every KPI for every scope (or ``scopes``) × ``periods`` from the facts.

    Periods that start after the as-of date are skipped. Month, quarter and year
    periods use month buckets; ``start..end`` ranges need ``grain="day"``.
    """
    as_of = as_of or as_of_date()
    fiscal = settings.FISCAL_YEAR_START_MONTH
    periods = tuple(p for p in periods if p.start <= as_of)
    index = index or scope_index_build()
    facts = facts or facts_fetch(as_of=as_of, grain=grain)
    scope_list = list(scopes) if scopes is not None else index.all_keys()
    if not periods:
        return KpiResult(as_of, periods, pd.DataFrame(columns=COLUMNS), pd.DataFrame())
    ctx = kpi_context_build(
        facts=facts, index=index, periods=periods, as_of=as_of, grain=grain, fiscal=fiscal, scope_list=scope_list
    )
    out = collectors_run(COLLECTORS, ctx)
    like_for_like_extras(out, ctx.to_date, ctx.size)
    funnel = funnel_reached(facts, index, ctx.period_map, ctx.grid)
    table = kpi_table_assemble(out, ctx.grid, ctx.is_rep, ctx.target)
    return KpiResult(as_of, periods, table, funnel)


def like_for_like_extras(
    out: dict[str, KpiColumns], to_date: dict[str, tuple[np.ndarray, np.ndarray]], size: int
) -> None:
    """Add the period in progress's like-for-like values (same elapsed days before) to the extras of ``out``."""
    for key, (previous_td, last_year_td) in to_date.items():
        extras = out[key]["extra"] or [None] * size
        out[key]["extra"] = [
            ({**(e or {}), "previous_to_date": p, "last_year_to_date": y} if not (np.isnan(p) and np.isnan(y)) else e)
            for e, p, y in zip(extras, previous_td, last_year_td, strict=True)
        ]


__all__ = ["KpiResult", "kpis_compute", "as_of_date"]
