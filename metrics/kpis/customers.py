"""Customer activity: who is active on which day, churn, and distinct customers in windows."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import pandas as pd


def _day_numbers(days: pd.Series) -> np.ndarray:
    """Dates as proleptic ordinals (date.toordinal()), vectorised."""
    epoch = datetime.date(1970, 1, 1).toordinal()
    return pd.to_datetime(days).to_numpy().astype("datetime64[D]").astype("int64") + epoch


def active_matrix(customers: pd.DataFrame, customer_deals: pd.DataFrame, dates: Sequence[datetime.date]) -> np.ndarray:
    """Boolean matrix customers × dates: is the customer active on that day?

    A won deal keeps its customer active from ``closed_on`` to ``keep_until``
    (inclusive; the contract end or the inactivity rule, decided at fetch), and
    an explicit ``churned_on`` ends activity from that day on. Rows follow
    ``customers``' order, columns ``dates`` (sorted ascending).
    """
    day_index = np.array([d.toordinal() for d in dates], dtype="int64")
    active = np.zeros((len(customers), len(dates) + 1), dtype="int32")
    if len(customers) and len(customer_deals):
        row_of = pd.Series(np.arange(len(customers)), index=customers["customer_id"].to_numpy())
        rows = row_of.reindex(customer_deals["customer_id"].to_numpy()).to_numpy()
        known = ~np.isnan(rows)
        rows = rows[known].astype("int64")
        start = _day_numbers(customer_deals["closed_on"])[known]
        end = _day_numbers(customer_deals["keep_until"])[known]
        first_col = np.searchsorted(day_index, start, side="left")
        after_col = np.searchsorted(day_index, end, side="right")
        np.add.at(active, (rows, first_col), 1)
        np.add.at(active, (rows, after_col), -1)
    covered = np.cumsum(active, axis=1)[:, : len(dates)] > 0
    churned = customers["churned_on"].to_numpy()
    for row in np.flatnonzero(pd.notna(churned)):
        covered[row, np.searchsorted(day_index, churned[row].toordinal(), side="left") :] = False
    return covered


def distinct_in_windows(frame: pd.DataFrame, window_months: int, ends: Sequence[int]) -> pd.DataFrame:
    """Distinct customers per scope in the ``window_months`` months ending at each month index in ``ends``.

    ``frame`` has unique rows (scope, customer_id, month_index). Each row covers
    the windows ending in [m, m + window − 1]; overlapping cover of one customer
    is counted once by starting each row's cover after the previous row's.
    """
    if frame.empty:
        return pd.DataFrame(columns=["scope", "end", "customers"])
    data = frame.sort_values(["scope", "customer_id", "month_index"], kind="mergesort").reset_index(drop=True)
    same = (data["scope"].eq(data["scope"].shift())) & (data["customer_id"].eq(data["customer_id"].shift()))
    previous = data["month_index"].shift().where(same)
    start = np.where(previous.notna(), np.maximum(data["month_index"], previous + window_months), data["month_index"])
    stop = data["month_index"] + window_months  # exclusive
    keep = start < stop
    events = pd.concat(
        [
            pd.DataFrame({"scope": data["scope"][keep], "at": start[keep].astype("int64"), "delta": 1}),
            pd.DataFrame({"scope": data["scope"][keep], "at": stop[keep].astype("int64"), "delta": -1}),
        ]
    )
    scope_codes, scopes = pd.factorize(events["scope"])
    at = events["at"].to_numpy(dtype="int64")
    first, last = int(at.min()), int(at.max())
    running = np.zeros((len(scopes), last - first + 1), dtype="int64")
    np.add.at(running, (scope_codes, at - first), events["delta"].to_numpy(dtype="int64"))
    running = running.cumsum(axis=1)
    wanted = np.array(sorted(set(ends)), dtype="int64")
    column = np.clip(wanted - first, 0, last - first)
    counts = np.where(wanted >= first, running[:, column], 0)
    return pd.DataFrame(
        {
            "scope": np.repeat(np.asarray(scopes, dtype=object), len(wanted)),
            "end": np.tile(wanted, len(scopes)),
            "customers": counts.reshape(-1),
        }
    )
