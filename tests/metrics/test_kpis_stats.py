"""The pure statistics behind the KPIs: null ratios, Wilson intervals (against published values and
closed forms), the NPS interval, and quantiles from histograms (even counts, repeated values)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics.kpis.stats import histogram_quantiles, nps_interval, ratio, wilson

Z = 1.96  # the spec's z for 95 % intervals (the exact quantile is 1.959963984…)


def test_ratio_is_null_where_the_denominator_is_zero_or_missing():
    out = ratio([1, 0, 3, 5, np.nan], [4, 0, 0, np.nan, 2])
    assert out[0] == 0.25
    assert np.isnan(out[1]) and np.isnan(out[2]) and np.isnan(out[3]) and np.isnan(out[4])


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in
# Medicine 17:857–872, Table I, method 3 (Wilson score, no continuity correction), 4 decimals.
PUBLISHED_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (63, 100, 0.5322, 0.7182),
]


@pytest.mark.parametrize("k, n, low, high", PUBLISHED_WILSON)
def test_wilson_matches_published_values(k, n, low, high):
    got_low, got_high = wilson(np.array([k]), np.array([n]))
    assert got_low[0] == pytest.approx(low, abs=5e-5)
    assert got_high[0] == pytest.approx(high, abs=5e-5)


def test_wilson_closed_forms_at_zero_and_all_successes():
    # k = 0: [0, z²/(n + z²)];  k = n: [n/(n + z²), 1]
    low, high = wilson(np.array([0, 10]), np.array([10, 10]))
    assert low[0] == pytest.approx(0, abs=1e-15)
    assert high[0] == pytest.approx(Z * Z / (10 + Z * Z), rel=1e-12)  # 0.27753…
    assert low[1] == pytest.approx(10 / (10 + Z * Z), rel=1e-12)  # 0.72246…
    assert high[1] == pytest.approx(1, rel=1e-12)


def test_wilson_is_symmetric_around_one_half_and_null_without_data():
    low, high = wilson(np.array([1, 0]), np.array([2, 0]))
    # 1 of 2: centre exactly 1/2, half-width z·√(1/8 + z²/16) / (1 + z²/2)
    half = Z * math.sqrt(1 / 8 + Z * Z / 16) / (1 + Z * Z / 2)
    assert low[0] == pytest.approx(0.5 - half, rel=1e-12)
    assert high[0] == pytest.approx(0.5 + half, rel=1e-12)
    assert round(low[0], 4) == 0.0945 and round(high[0], 4) == 0.9055
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_nps_interval():
    low, high = nps_interval(np.array([50, 3, 4, 0]), np.array([20, 2, 0, 0]), np.array([100, 7, 4, 0]))
    # 50 promoters, 20 detractors of 100: NPS 30; p + d − (p − d)² = 0.7 − 0.09 = 0.61 → ±z·100·√(0.0061)
    half = Z * 100 * math.sqrt(0.0061)  # 15.3077…
    assert low[0] == pytest.approx(30 - half, rel=1e-12) and high[0] == pytest.approx(30 + half, rel=1e-12)
    assert round(low[0], 2) == 14.69 and round(high[0], 2) == 45.31
    # 3 and 2 of 7: NPS 100/7; (5/7 − 1/49) / 7 = 34/343
    half = Z * 100 * math.sqrt(34 / 343)
    assert low[1] == pytest.approx(100 / 7 - half, rel=1e-12)
    assert high[1] == pytest.approx(100 / 7 + half, rel=1e-12)
    # all promoters: p + d − (p − d)² = 1 − 1 = 0 → [100, 100]
    assert (low[2], high[2]) == (100, 100)
    assert np.isnan(low[3]) and np.isnan(high[3])


def quantiles(rows, qs=(0.5, 0.75, 0.9)):
    frame = pd.DataFrame(rows, columns=["g", "days", "n"])
    out = histogram_quantiles(frame, ["g"], "days", "n", qs)
    return out.set_index("g").to_dict("index")


def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    out = quantiles([("a", 45, 1), ("a", 10, 1), ("a", 30, 1), ("a", 20, 1)])  # unsorted input
    assert out["a"]["n"] == 4
    assert out["a"]["q0.5"] == 25  # (20 + 30) / 2
    # rank (n − 1)·q with linear interpolation: 2.25 → 33.75, 2.7 → 40.5
    assert out["a"]["q0.75"] == pytest.approx(33.75, rel=1e-12)
    assert out["a"]["q0.9"] == pytest.approx(40.5, rel=1e-12)


def test_quantiles_of_repeated_values_and_several_groups():
    out = quantiles(
        [
            ("a", 10, 2),  # a: 10, 10, 20, 20 → median (10 + 20) / 2 = 15
            ("a", 20, 2),
            ("b", 7, 3),  # b: 7, 7, 7 → 7
            ("c", 1, 1),  # c: 1, 100 → 50.5
            ("c", 100, 1),
            ("c", 50, 0),  # a zero count is no value
            ("d", 3, 1),  # d: 1, 2, 3 (odd) → 2
            ("d", 1, 1),
            ("d", 2, 1),
        ]
    )
    assert out["a"]["q0.5"] == 15 and out["a"]["n"] == 4
    assert out["b"]["q0.5"] == 7 and out["b"]["q0.9"] == 7
    assert out["c"]["q0.5"] == 50.5 and out["c"]["n"] == 2
    assert out["d"]["q0.5"] == 2
    # c's p90: rank 0.9 → 1 + 0.9 × 99 = 90.1
    assert out["c"]["q0.9"] == pytest.approx(90.1, rel=1e-12)


def test_p90_of_one_to_ten():
    out = quantiles([("a", v, 1) for v in range(1, 11)])
    # rank 9 × 0.9 = 8.1 → 9 + 0.1 × (10 − 9) = 9.1; median rank 4.5 → 5.5; p75 rank 6.75 → 7.75
    assert out["a"]["q0.9"] == pytest.approx(9.1, rel=1e-12)
    assert out["a"]["q0.5"] == 5.5
    assert out["a"]["q0.75"] == pytest.approx(7.75, rel=1e-12)


def test_no_values_no_quantiles():
    out = histogram_quantiles(pd.DataFrame({"g": ["a"], "days": [3], "n": [0]}), ["g"], "days", "n", (0.5,))
    assert out.empty
