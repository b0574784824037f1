"""Where pages read KPIs from: the stored snapshots, through the selectors."""

from __future__ import annotations

import datetime

from metrics.periods import Period
from metrics.selectors.cards import KpiCard, kpi_cards, kpi_funnel, kpi_series_many, kpi_snapshots_for_scopes
from metrics.selectors.leaderboards import (
    kpi_leaderboard,
    kpi_leaderboard_top,
    kpi_leaderboard_win_rates,
    kpi_rep_rank,
    kpi_territory_leaderboard,
)


class SnapshotReader:
    """Pages read stored snapshots through these selectors (benchmarks/dashboard_live.py swaps in a live one)."""

    def cards(self, *, scope: str, period: Period, as_of: datetime.date) -> list[KpiCard]:
        return kpi_cards(scope=scope, period=period, as_of=as_of)

    def series(self, *, scope: str, kpis: list[str], start: datetime.date, end: datetime.date) -> dict[str, list]:
        return kpi_series_many(scope=scope, kpis=kpis, kind="month", start=start, end=end)

    def funnel(self, *, scope: str, period: Period) -> dict[str, int] | None:
        return kpi_funnel(scope=scope, period=period.label)

    def for_scopes(self, *, scopes: list[str], period: Period, kpis: list[str]) -> dict[str, dict]:
        return kpi_snapshots_for_scopes(scopes=scopes, period=period.label, kpis=kpis)

    def leaderboard(self, *, members: list, period: Period, win_rates: bool = True):
        return kpi_leaderboard(members=members, period=period.label, win_rates=win_rates)

    def win_rates(self, *, rows: list, period: Period) -> list:
        return kpi_leaderboard_win_rates(rows=rows, period=period.label)

    def territory_leaderboard(self, *, territory_path: str | None, period: Period, as_of: datetime.date):
        return kpi_territory_leaderboard(territory_path=territory_path, period=period, as_of=as_of)

    def leaderboard_top(self, *, territory_path: str | None, period: Period, as_of: datetime.date, limit: int):
        return kpi_leaderboard_top(territory_path=territory_path, period=period, as_of=as_of, limit=limit)

    def rank(self, *, rep_id: int, period: Period, as_of: datetime.date):
        return kpi_rep_rank(rep_id=rep_id, period=period, as_of=as_of)


SNAPSHOTS = SnapshotReader()
