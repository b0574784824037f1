"""The peer approach for benchmarks/dashboard_load.py: the same pages, KPIs computed live per request.

A WSGI application serving the product's URLs plus two more:

- ``/live/territories/<code>/``: the territory dashboard,
- ``/live/reps/<pk>/``: the rep scorecard,

rendered by the very same view code and templates, but reading KPIs through
``LiveReader``, which fetches the facts once per request and runs the KPI engine
(``metrics.engine.kpis_compute``, the one behind the snapshots) for what the page
shows, instead of reading stored snapshots. Benchmark-only: the product never
computes KPIs on the request path.

    gunicorn --pythonpath benchmarks 'dashboard_live:wsgi()'
"""

from __future__ import annotations

import datetime
import os
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_dashboard.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.access import rep_visible_or_404, territory_visible_or_404  # noqa: E402
from dashboards.page import territory_scope  # noqa: E402
from dashboards.readers import SnapshotReader  # noqa: E402
from dashboards.views.scorecards import scorecard_render  # noqa: E402
from dashboards.views.territory import dashboard_render  # noqa: E402
from kpi_dashboard.urls import urlpatterns as product_urlpatterns  # noqa: E402
from metrics.engine import kpis_compute  # noqa: E402
from metrics.fetch import facts_fetch  # noqa: E402
from metrics.models import KpiSnapshot  # noqa: E402
from metrics.periods import Period, month_add, period_last_year, period_month, period_previous  # noqa: E402
from metrics.scopes import scope_index_build  # noqa: E402
from metrics.selectors.cards import KpiCard, kpi_cards_from  # noqa: E402
from metrics.selectors.leaderboards import LEADERBOARD_KPIS, LeaderboardTop, RepRank, kpi_leaderboard, reps_in_territory  # noqa: E402
from metrics.services.recompute import facts_first_month  # noqa: E402
from reps.models import SalesRep  # noqa: E402
from territories.models import Territory  # noqa: E402


class LiveReader(SnapshotReader):
    """Answers what pages ask the snapshots, by computing the KPIs now (facts fetched once per request)."""

    def __init__(self, as_of: datetime.date):
        self.as_of = as_of
        self.index = scope_index_build()
        self.facts = facts_fetch(as_of=as_of, grain="month")
        # The periods recompute stores start with the first month holding a fact: show the same ones.
        self.first_month = facts_first_month()

    def _compute(self, scopes: list[str], periods: list[Period]):
        first = self.first_month
        periods = [p for p in dict.fromkeys(periods) if p.start <= self.as_of and first and p.end >= first]
        if not periods or not scopes:
            return [], {}
        result = kpis_compute(periods=periods, as_of=self.as_of, scopes=scopes, facts=self.facts, index=self.index)
        by_label = {p.label: p for p in periods}
        rows = []
        for record in result.table.to_dict("records"):
            p = by_label[record["period"]]
            rows.append(KpiSnapshot(
                scope=record["scope"], period=p.label, period_kind=p.kind, period_start=p.start, period_end=p.end,
                kpi=record["kpi"], value=_clean(record["value"]), n=_clean(record["n"]),
                ci_low=_clean(record["ci_low"]), ci_high=_clean(record["ci_high"]),
                target=_clean(record["target"]), attainment=_clean(record["attainment"]),
                low_sample=bool(record["low_sample"]), provisional=bool(record["provisional"]),
                extra=record["extra"] if isinstance(record["extra"], dict) else None,
            ))  # fmt: skip
        funnel = {}
        for record in result.funnel.to_dict("records"):
            funnel[(record["scope"], record["period"])] = {
                c[:-2]: int(record[c]) for c in result.funnel.columns if c.endswith("_n")
            }
        return rows, funnel

    def cards(self, *, scope: str, period: Period, as_of: datetime.date) -> list[KpiCard]:
        fiscal = settings.FISCAL_YEAR_START_MONTH
        previous = period_previous(period, fiscal_start_month=fiscal)
        last_year = period_last_year(period, fiscal_start_month=fiscal)
        rows, _ = self._compute([scope], [period, previous, last_year])
        return kpi_cards_from(rows, period=period, as_of=as_of)

    def series(self, *, scope: str, kpis: list[str], start: datetime.date, end: datetime.date) -> dict[str, list]:
        months, month = [], start
        while month <= end:
            months.append(period_month(month.year, month.month))
            month = month_add(month, 1)
        rows, _ = self._compute([scope], months)
        found: dict[str, list] = {key: [] for key in kpis}
        for row in sorted(rows, key=lambda r: r.period_start):
            if row.kpi in found:
                found[row.kpi].append(row)
        return found

    def funnel(self, *, scope: str, period: Period):
        _, funnel = self._compute([scope], [period])
        return funnel.get((scope, period.label))

    def for_scopes(self, *, scopes: list[str], period: Period, kpis: list[str]) -> dict[str, dict]:
        rows, _ = self._compute(scopes, [period])
        found: dict[str, dict] = {}
        for row in rows:
            if row.kpi in kpis:
                found.setdefault(row.scope, {})[row.kpi] = row
        return found

    def leaderboard(self, *, members: list, period: Period, win_rates: bool = True):
        rows, _ = self._compute([m.scope for m in members], [period])
        tuples = [(r.scope, r.kpi, r.value, r.n, r.target, r.attainment, r.low_sample) for r in rows
                  if r.kpi in LEADERBOARD_KPIS]  # fmt: skip
        return kpi_leaderboard(members=members, period=period.label, rows=tuples, win_rates=win_rates)

    def win_rates(self, *, rows: list, period: Period) -> list:
        found, _ = self._compute([r.member.scope for r in rows], [period])
        rates = {s.scope: (s.value, s.n) for s in found if s.kpi == "win_rate"}
        return [replace(r, win_rate=rates.get(r.member.scope, (None, None))[0],
                        win_rate_n=rates.get(r.member.scope, (None, None))[1]) for r in rows]  # fmt: skip

    def territory_leaderboard(self, *, territory_path: str | None, period: Period, as_of: datetime.date):
        members = reps_in_territory(territory_path=territory_path, period=period, as_of=as_of)
        return self.leaderboard(members=members, period=period, win_rates=False)

    def leaderboard_top(self, *, territory_path: str | None, period: Period, as_of: datetime.date, limit: int):
        board = self.territory_leaderboard(territory_path=territory_path, period=period, as_of=as_of)
        return LeaderboardTop(rows=board.rows[:limit], ranked=board.ranked, members=len(board.rows))

    def rank(self, *, rep_id: int, period: Period, as_of: datetime.date) -> RepRank:
        own = reps_in_territory(territory_path=None, period=period, as_of=as_of,
                                reps=SalesRep.objects.filter(pk=rep_id))  # fmt: skip
        if not own:
            return RepRank(None, None, 0, 0, "not assigned to a territory in this period")
        territory = Territory.objects.only("path", "name").get(code=own[0].territory_code)
        members = reps_in_territory(territory_path=territory.path, period=period, as_of=as_of)
        board = self.leaderboard(members=members, period=period, win_rates=False)
        mine = next(row for row in board.rows if row.member.rep_id == rep_id)
        return RepRank(territory.name, mine.rank, board.ranked, len(members), mine.unranked)


def _clean(value):
    if value is None:
        return None
    value = float(value)
    return None if value != value else value  # NaN → None


def _as_of():
    from metrics.engine import as_of_date

    return as_of_date()


@login_required
def live_territory_dashboard(request, code: str):
    territory = territory_visible_or_404(user=request.user, code=code)
    return dashboard_render(request, territory_scope(territory), reader=LiveReader(_as_of()))


@login_required
def live_scorecard(request, pk: int):
    rep = rep_visible_or_404(user=request.user, rep_id=pk)
    return scorecard_render(request, rep, reader=LiveReader(_as_of()))


def wsgi():
    """The WSGI application serving this module's URLs (the product's and the live pages)."""
    from django.core.wsgi import get_wsgi_application

    settings.ROOT_URLCONF = "dashboard_live"
    return get_wsgi_application()


urlpatterns = [
    path("live/territories/<slug:code>/", live_territory_dashboard),
    path("live/reps/<int:pk>/", live_scorecard),
    *product_urlpatterns,
]
