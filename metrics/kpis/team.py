"""Team KPIs: headcount, rep turnover and the share of reps at quota."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from metrics.periods import Period
from metrics.scopes import COMPANY, ScopeIndex

_NEVER = np.iinfo("int64").max
_ALWAYS = np.iinfo("int64").min


def _ordinals(values: pd.Series, missing: int) -> np.ndarray:
    return np.array([missing if v is None or pd.isna(v) else v.toordinal() for v in values], dtype="int64")


class _Staff:
    """Reps' employment and assignments as arrays, for answers per day."""

    def __init__(self, reps: pd.DataFrame, assignments: pd.DataFrame):
        self.rep_ids = reps["rep_id"].to_numpy(dtype="int64")
        self.hired = _ordinals(reps["hired_on"], _ALWAYS)
        self.left = _ordinals(reps["left_on"], _NEVER)
        self.a_rep = assignments["rep_id"].to_numpy(dtype="int64")
        self.a_territory = assignments["territory_id"].to_numpy(dtype="int64")
        self.a_start = _ordinals(assignments["start_date"], _ALWAYS)
        self.a_end = _ordinals(assignments["end_date"], _NEVER)
        self._placed: dict[int, dict[int, int]] = {}

    def employed(self, day: datetime.date) -> np.ndarray:
        d = day.toordinal()
        return self.rep_ids[(self.hired <= d) & (self.left >= d)]

    def placed(self, day: datetime.date) -> dict[int, int]:
        """rep_id → territory_id of the assignment covering ``day``."""
        d = day.toordinal()
        if d not in self._placed:
            covering = (self.a_start <= d) & (self.a_end >= d)
            self._placed[d] = dict(zip(self.a_rep[covering].tolist(), self.a_territory[covering].tolist(), strict=True))
        return self._placed[d]


def _scopes_of(territory_id: int | None, index: ScopeIndex) -> list[str]:
    if territory_id is None or territory_id not in index.territories:
        return [COMPANY]
    return [COMPANY, *(index.territory_key(pk) for pk in index.ancestors(territory_id))]


def _count_by_scope(rep_ids, placed: dict[int, int], index: ScopeIndex) -> Counter:
    """How many of ``rep_ids`` each scope holds: the company all, a territory those placed in its subtree."""
    by_territory = Counter(placed.get(rep_id) for rep_id in rep_ids)
    counts: Counter = Counter({COMPANY: len(rep_ids)})
    for territory_id, n in by_territory.items():
        if territory_id is not None and territory_id in index.territories:
            for ancestor in index.ancestors(territory_id):
                counts[index.territory_key(ancestor)] += n
    return counts


def turnover(
    reps: pd.DataFrame, assignments: pd.DataFrame, periods: Sequence[Period], as_of: datetime.date, index: ScopeIndex
) -> pd.DataFrame:
    """Per (scope, period): leavers, headcount on the first and last day, turnover rate.

    A rep counts for a territory scope when assigned to its subtree on that day
    (a leaver: on their last day); the company counts every employed rep.
    """
    staff = _Staff(reps, assignments)
    rows = []
    for period in periods:
        last_day = min(period.end, as_of)
        at_start = _count_by_scope(staff.employed(period.start), staff.placed(period.start), index)
        at_end = _count_by_scope(staff.employed(last_day), staff.placed(last_day), index)
        leaving = (staff.left >= period.start.toordinal()) & (staff.left <= last_day.toordinal())
        leavers: Counter = Counter()
        for rep_id, left in zip(staff.rep_ids[leaving].tolist(), staff.left[leaving].tolist(), strict=True):
            for scope in _scopes_of(staff.placed(datetime.date.fromordinal(left)).get(rep_id), index):
                leavers[scope] += 1
        for scope in set(at_start) | set(at_end) | set(leavers):
            rows.append((scope, period.label, at_start[scope], at_end[scope], leavers[scope]))
    return pd.DataFrame(rows, columns=["scope", "period", "headcount_start", "headcount_end", "leavers"])


def reps_at_quota(
    reps: pd.DataFrame,
    assignments: pd.DataFrame,
    periods: Sequence[Period],
    rep_attainment: pd.DataFrame,
    index: ScopeIndex,
    as_of: datetime.date,
) -> pd.DataFrame:
    """Per (scope, period): reps with a revenue target and how many reached it.

    ``rep_attainment`` has (rep_id, period, attained) for every rep with a
    revenue target in the period. A rep belongs to the territory they were
    assigned to on the period's last day (the as-of date for a period in
    progress: later assignments are future facts), or on their own last day if
    they left during the period; the company counts every rep with a target.
    """
    staff = _Staff(reps, assignments)
    left_on = dict(zip(reps["rep_id"], reps["left_on"], strict=True))
    by_label = {p.label: p for p in periods}
    counts: dict[tuple[str, str], list[int]] = {}
    for rep_id, label, attained in rep_attainment.itertuples(index=False):
        period = by_label[label]
        last_day = min(period.end, as_of)
        left = left_on.get(rep_id)
        day = left if left is not None and not pd.isna(left) and period.start <= left <= last_day else last_day
        for scope in _scopes_of(staff.placed(day).get(rep_id), index):
            entry = counts.setdefault((scope, label), [0, 0])
            entry[0] += 1
            entry[1] += int(bool(attained))
    rows = [(scope, label, n, at) for (scope, label), (n, at) in counts.items()]
    return pd.DataFrame(rows, columns=["scope", "period", "reps_with_target", "reps_at_quota"])
