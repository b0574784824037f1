"""Snapshot reads remembered in the cache until the next recompute commits.

Every page reads the same few things from the stored snapshots (cards, series,
the funnel, a leaderboard); at scale a territory's leaderboard alone ranks
thousands of reps. Those answers change only when a recompute commits, so they
are cached under the *version* of the snapshot set: the last successful run
and the moment it finished, both written in the transaction that replaces the
snapshots. A commit changes the version, so nothing read before it is served
after it, and a set is never cached half-written (a run commits whole).

The readers' answers depend on their arguments only: who may see a scope was
decided before the call (accounts.access), so one entry serves every
viewer of that scope. Names shown beside numbers (a rep renamed since) follow
at the next recompute, like the numbers. Without the cache (Redis down), pages
read the snapshots directly.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from dashboards.readers import SNAPSHOTS, SnapshotReader
from metrics.cache_optional import cache_or
from metrics.periods import Period
from metrics.selectors.freshness import Freshness
from metrics.selectors.leaderboards import LeaderboardRow

T = TypeVar("T")


def snapshot_version(freshness: Freshness) -> str | None:
    """The version of the snapshot set pages read now (None: nothing computed yet, nothing to cache)."""
    if freshness.computed_at is None or freshness.run_id is None:
        return None
    return f"{freshness.run_id}-{freshness.computed_at.timestamp():.6f}"


def _token(value) -> str:
    """A stable text for one argument (periods by label, dates by ISO day, leaderboard rows by rep)."""
    if isinstance(value, Period):
        return f"{value.kind}:{value.label}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, LeaderboardRow):
        return value.member.scope
    if isinstance(value, list | tuple):
        return "[" + ",".join(_token(v) for v in value) + "]"
    if value is None or isinstance(value, str | int | float | bool):
        return repr(value)
    raise TypeError(f"no cache key for {type(value).__name__}")


def _remembered(name: str):
    """``SnapshotReader.<name>``, answered from the cache when this version already answered it."""
    read = getattr(SnapshotReader, name)

    def method(self: CachedSnapshotReader, **kwargs):
        return self.remembered(name, lambda: read(self, **kwargs), **kwargs)

    method.__name__ = name
    method.__doc__ = read.__doc__
    return method


class CachedSnapshotReader(SnapshotReader):
    """``SnapshotReader`` whose answers are kept in the cache under one snapshot-set version."""

    def __init__(self, version: str) -> None:
        self.version = version

    def remembered(self, method: str, compute: Callable[[], T], **kwargs) -> T:
        arguments = ";".join(f"{k}={_token(v)}" for k, v in sorted(kwargs.items()))
        digest = hashlib.sha256(arguments.encode()).hexdigest()[:32]
        key = f"kpi:snapshots:{self.version}:{method}:{digest}"
        found = cache_or(lambda: cache.get(key), fallback=None, what="reading snapshots")
        if found is None:
            found = (compute(),)  # in a tuple: a stored None (no funnel, no rank) is not a miss
            timeout = settings.KPI_SNAPSHOT_CACHE_SECONDS
            cache_or(lambda: cache.set(key, found, timeout=timeout), fallback=None, what="keeping snapshots")
        return found[0]

    cards = _remembered("cards")
    series = _remembered("series")
    funnel = _remembered("funnel")
    for_scopes = _remembered("for_scopes")
    win_rates = _remembered("win_rates")
    territory_leaderboard = _remembered("territory_leaderboard")
    leaderboard_top = _remembered("leaderboard_top")
    rank = _remembered("rank")


def snapshots_for(freshness: Freshness) -> SnapshotReader:
    """The reader of the stored snapshots for a page that showed ``freshness``: cached when there is a set."""
    version = snapshot_version(freshness)
    if version is None or settings.KPI_SNAPSHOT_CACHE_SECONDS <= 0:
        return SNAPSHOTS
    return CachedSnapshotReader(version)
