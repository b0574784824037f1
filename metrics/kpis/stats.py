"""Ratios, intervals and quantiles over arrays (one element per scope × period)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# The spec writes the 95 % intervals with z = 1.96; using the same constant keeps numbers reproducible by hand.
Z95 = 1.96


def ratio(numerator, denominator) -> np.ndarray:
    """numerator / denominator, NaN (null, "no data") where the denominator is 0 or missing."""
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0) & np.isfinite(num)
    np.divide(num, den, out=out, where=ok)
    return out


def wilson(successes, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of a proportion; NaN where n is 0."""
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low, high = centre - half, centre + half
    empty = ~(n > 0)
    low[empty], high[empty] = np.nan, np.nan
    return np.clip(low, 0, 1), np.clip(high, 0, 1)


def nps_interval(promoters, detractors, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """NPS ± z·100·√((p + d − (p − d)²) / n), with p and d the promoter and detractor shares."""
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.asarray(promoters, dtype="float64") / n
        d = np.asarray(detractors, dtype="float64") / n
        nps = 100 * (p - d)
        half = z * 100 * np.sqrt((p + d - (p - d) ** 2) / n)
    low, high = nps - half, nps + half
    empty = ~(n > 0)
    low[empty], high[empty] = np.nan, np.nan
    return low, high


def histogram_quantiles(
    frame: pd.DataFrame, keys: list[str], value: str, count: str, quantiles: tuple[float, ...]
) -> pd.DataFrame:
    """Quantiles of a value given as a histogram (value, count) per group of ``keys``.

    Linear interpolation between order statistics (position (n − 1)·q), so the
    median of an even count is the mean of the two middle values. Histograms are
    additive, which is what lets a median be computed per tree node exactly.
    """
    columns = [*keys, "n", *(f"q{q}" for q in quantiles)]
    data = frame[frame[count] > 0]
    if data.empty:
        return pd.DataFrame(columns=columns)
    data = data.groupby([*keys, value], sort=False)[count].sum().reset_index()
    data = data.sort_values([*keys, value], kind="mergesort").reset_index(drop=True)
    cumulative = data[count].to_numpy().cumsum()
    values = data[value].to_numpy(dtype="float64")
    groups = data.groupby(keys, sort=False)
    first_row = groups.cumcount().to_numpy() == 0
    starts = np.flatnonzero(first_row)
    sizes = groups[count].sum().to_numpy()
    offset = np.concatenate([[0], cumulative[starts[1:] - 1]]) if len(starts) > 1 else np.array([0])
    out = data.loc[starts, keys].reset_index(drop=True)
    out["n"] = sizes
    for q in quantiles:
        position = (sizes - 1) * q
        low_rank, high_rank = np.floor(position), np.ceil(position)
        # value at 0-based rank r within a group: first row whose cumulative count exceeds offset + r
        low_value = values[np.searchsorted(cumulative, offset + low_rank, side="right")]
        high_value = values[np.searchsorted(cumulative, offset + high_rank, side="right")]
        out[f"q{q}"] = low_value + (position - low_rank) * (high_value - low_value)
    return out[columns]
