"""Team KPIs: headcount, rep turnover and the share of reps at quota."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import pandas as pd

from metrics.periods import Period
from metrics.scopes import COMPANY, ScopeIndex


def _employed(reps: pd.DataFrame, day: datetime.date) -> set[int]:
    hired_ok = reps["hired_on"].map(lambda d: d is None or pd.isna(d) or d <= day)
    not_left = reps["left_on"].map(lambda d: d is None or pd.isna(d) or d >= day)
    return set(reps.loc[hired_ok & not_left, "rep_id"])


def _territory_on(assignments: pd.DataFrame, day: datetime.date) -> dict[int, int]:
    """rep_id → territory_id of the assignment covering ``day``."""
    starts_ok = assignments["start_date"].map(lambda d: d is None or pd.isna(d) or d <= day)
    ends_ok = assignments["end_date"].map(lambda d: d is None or pd.isna(d) or d >= day)
    covering = assignments[starts_ok & ends_ok]
    return dict(zip(covering["rep_id"], covering["territory_id"], strict=True))


def _scopes_of(territory_id: int | None, index: ScopeIndex) -> list[str]:
    if territory_id is None or territory_id not in index.territories:
        return [COMPANY]
    return [COMPANY, *(index.territory_key(pk) for pk in index.ancestors(territory_id))]


def turnover(
    reps: pd.DataFrame, assignments: pd.DataFrame, periods: Sequence[Period], as_of: datetime.date, index: ScopeIndex
) -> pd.DataFrame:
    """Per (scope, period): leavers, headcount on the first and last day, turnover rate.

    A rep counts for a territory scope when assigned to its subtree on that day
    (a leaver: on their last day); the company counts every employed rep.
    """
    rows = []
    for period in periods:
        last_day = min(period.end, as_of)
        counts: dict[str, list[int]] = {}
        for slot, day in ((0, period.start), (1, last_day)):
            employed, placed = _employed(reps, day), _territory_on(assignments, day)
            for rep_id in employed:
                scopes = {COMPANY, *_scopes_of(placed.get(rep_id), index)}
                for scope in scopes:
                    counts.setdefault(scope, [0, 0, 0])[slot] += 1
        for rep_id, left_on in zip(reps["rep_id"], reps["left_on"], strict=True):
            if left_on is None or pd.isna(left_on) or not (period.start <= left_on <= last_day):
                continue
            placed = _territory_on(assignments, left_on)
            for scope in {COMPANY, *_scopes_of(placed.get(rep_id), index)}:
                counts.setdefault(scope, [0, 0, 0])[2] += 1
        for scope, (start_count, end_count, leavers) in counts.items():
            rows.append((scope, period.label, start_count, end_count, leavers))
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
    left_on = dict(zip(reps["rep_id"], reps["left_on"], strict=True))
    by_label = {p.label: p for p in periods}
    placed_cache: dict[datetime.date, dict[int, int]] = {}
    counts: dict[tuple[str, str], list[int]] = {}
    for rep_id, label, attained in rep_attainment.itertuples(index=False):
        period = by_label[label]
        last_day = min(period.end, as_of)
        left = left_on.get(rep_id)
        day = left if left is not None and not pd.isna(left) and period.start <= left <= last_day else last_day
        if day not in placed_cache:
            placed_cache[day] = _territory_on(assignments, day)
        for scope in _scopes_of(placed_cache[day].get(rep_id), index):
            entry = counts.setdefault((scope, label), [0, 0])
            entry[0] += 1
            entry[1] += int(bool(attained))
    rows = [(scope, label, n, at) for (scope, label), (n, at) in counts.items()]
    return pd.DataFrame(rows, columns=["scope", "period", "reps_with_target", "reps_at_quota"])
