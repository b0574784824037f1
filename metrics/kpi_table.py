"""The long KPI table: one row per (scope, period, kpi), with targets, attainment and flags."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from django.conf import settings

from metrics.kpis.targets import attainment
from metrics.registry import KPIS
from metrics.scopes import COMPANY

REP_EXCLUDED = frozenset(k.key for k in KPIS if not k.for_reps)
COLUMNS = ["scope", "period", "kpi", "value", "n", "ci_low", "ci_high", "target", "attainment", "low_sample",
           "provisional", "extra"]  # fmt: skip


def kpi_table_assemble(
    out: dict[str, dict], grid: pd.MultiIndex, is_rep: np.ndarray, target_take: Callable[[str], np.ndarray]
) -> pd.DataFrame:
    """The table of every KPI in ``out`` (arrays aligned with ``grid``); rep rows left out where a KPI has none."""
    low_sample = low_sample_flags(out, settings.KPI_MIN_SAMPLE)
    parts = []
    scopes, periods = grid.get_level_values(0), grid.get_level_values(1)
    for definition in KPIS:
        data = out[definition.key]
        target = target_take(definition.key) if definition.targetable else np.full(len(grid), np.nan)
        value = data["value"]
        frame = pd.DataFrame(
            {
                "scope": scopes,
                "period": periods,
                "kpi": definition.key,
                "value": value,
                "n": data["n"],
                "ci_low": data["ci_low"],
                "ci_high": data["ci_high"],
                "target": target,
                "attainment": attainment(value, target, np.full(len(grid), definition.higher_is_better)),
                "low_sample": low_sample[definition.key],
                "provisional": data["provisional"],
                "extra": data["extra"] if data["extra"] is not None else None,
            }
        )
        if definition.key in REP_EXCLUDED:
            frame = frame[~is_rep]
        parts.append(frame)
    table = pd.concat(parts, ignore_index=True)
    for column in ("value", "n", "ci_low", "ci_high", "target", "attainment"):
        table[column] = table[column].astype("float64").where(np.isfinite(table[column].astype("float64")))
    return table[COLUMNS]


def low_sample_flags(out: dict[str, dict], min_sample: float) -> dict[str, np.ndarray]:
    """The low-sample flag of every KPI in ``out``: estimates with n < ``min_sample``, and KPIs derived from them.

    Totals, counts and stocks are exact whatever their n. "No data" is not a low
    sample: the flag marks values shown with too small an n.
    """
    flags: dict[str, np.ndarray] = {}
    for definition in KPIS:
        data = out[definition.key]
        shown = np.isfinite(data["value"])
        if definition.estimate:
            flags[definition.key] = shown & np.isfinite(data["n"]) & (data["n"] < min_sample)
        else:
            flags[definition.key] = np.zeros(len(shown), dtype=bool)
    for definition in KPIS:
        if definition.derived_from:
            sources = np.logical_or.reduce([flags[key] for key in definition.derived_from])
            flags[definition.key] = np.isfinite(out[definition.key]["value"]) & sources
    return flags


def kpi_definitions_for(scope: str) -> list[str]:
    """KPI keys defined for a scope (some are territory/company only)."""
    return [k.key for k in KPIS if scope == COMPANY or not scope.startswith("rep:") or k.key not in REP_EXCLUDED]
