"""The dashboard selectors: who is in a territory for a period, ranking, stored periods, series."""

from __future__ import annotations

import datetime

from django.utils import timezone

from metrics.models import KpiRun, KpiSnapshot
from metrics.periods import period_parse
from metrics.selectors.cards import kpi_periods_available, kpi_series_many
from metrics.selectors.leaderboards import kpi_leaderboard, kpi_rep_rank, reps_in_territory
from reps.models import SalesRep
from tests.factories import AssignmentFactory, SalesRepFactory

Q2 = period_parse("2025-Q2")
AS_OF = datetime.date(2025, 12, 31)


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2025, month, day)


def names(members) -> list[str]:
    return [m.name for m in members]


def test_membership_follows_the_reps_at_quota_rule(tree):
    stays = SalesRepFactory(name="Stays")
    AssignmentFactory(rep=stays, territory=tree["na-east"], start_date=d(1, 1))
    mover = SalesRepFactory(name="Mover")  # leaves na-east for uk on 1 May: counted in uk on 30 June
    AssignmentFactory(rep=mover, territory=tree["na-east"], start_date=d(1, 1), end_date=d(4, 30))
    AssignmentFactory(rep=mover, territory=tree["uk"], start_date=d(5, 1))
    leaver = SalesRepFactory(name="Leaver", left_on=d(6, 13))  # counted where they were on their last day
    AssignmentFactory(rep=leaver, territory=tree["na-west"], start_date=d(1, 1), end_date=d(6, 13))
    gone = SalesRepFactory(name="Gone", left_on=d(3, 31))  # left before Q2
    AssignmentFactory(rep=gone, territory=tree["na-east"], start_date=d(1, 1))
    late = SalesRepFactory(name="Late", hired_on=d(7, 1))  # hired after Q2
    AssignmentFactory(rep=late, territory=tree["na-east"], start_date=d(7, 1))

    na = reps_in_territory(territory_path=tree["na"].path, period=Q2, as_of=AS_OF)
    assert [(m.name, m.territory_code) for m in na] == [("Leaver", "na-west"), ("Stays", "na-east")]
    assert names(reps_in_territory(territory_path=tree["uk"].path, period=Q2, as_of=AS_OF)) == ["Mover"]
    assert names(reps_in_territory(territory_path=None, period=Q2, as_of=AS_OF)) == ["Leaver", "Mover", "Stays"]
    # As of 15 April (Q2 in progress) the mover is still in na-east.
    early = reps_in_territory(territory_path=tree["na-east"].path, period=Q2, as_of=d(4, 15))
    assert names(early) == ["Mover", "Stays"]
    only = reps_in_territory(territory_path=None, period=Q2, as_of=AS_OF, reps=SalesRep.objects.filter(pk=mover.pk))
    assert names(only) == ["Mover"]


def _run():
    return KpiRun.objects.create(kind="full", as_of=AS_OF, status="succeeded", finished_at=timezone.now())


Q2_START, Q2_END = d(4, 1), d(6, 30)


def _put(run, scope, kpi, value, *, period="2025-Q2", kind="quarter", start=Q2_START, end=Q2_END, **fields):
    KpiSnapshot.objects.create(scope=scope, period=period, period_kind=kind, period_start=start, period_end=end,
                               kpi=kpi, value=value, computed_at=timezone.now(), run=run, **fields)  # fmt: skip


def test_leaderboard_ranks_by_attainment_then_revenue_then_id(tree):
    run = _run()
    reps = {}
    for ext, name in [("a", "Anna"), ("b", "Bo"), ("c", "Cy"), ("d", "Di"), ("e", "Ed"), ("f", "Flo")]:
        reps[ext] = SalesRepFactory(external_id=ext, name=name)
        AssignmentFactory(rep=reps[ext], territory=tree["uk"], start_date=d(1, 1))
    _put(run, "rep:a", "revenue", 900.0, n=40, target=1000.0, attainment=0.9)
    _put(run, "rep:b", "revenue", 1800.0, n=40, target=2000.0, attainment=0.9)  # same attainment, more revenue
    _put(run, "rep:c", "revenue", 1200.0, n=40, target=1000.0, attainment=1.2)
    # A rep with a target above 0 is ranked whatever their won deals (n = 3), even beside a stored low-sample flag.
    _put(run, "rep:d", "revenue", 5000.0, n=3, target=1000.0, attainment=5.0, low_sample=True)
    _put(run, "rep:e", "revenue", 700.0, n=35)  # no target
    _put(run, "rep:c", "win_rate", 0.5, n=80)
    _put(run, "rep:c", "deals_won", 40.0)
    _put(run, "rep:a", "win_rate", 0.5, n=4, low_sample=True)  # greyed beside Anna, still ranked
    members = reps_in_territory(territory_path=tree["uk"].path, period=Q2, as_of=AS_OF)
    board = kpi_leaderboard(members=members, period="2025-Q2")
    assert [(r.rank, r.member.name, r.unranked) for r in board.rows] == [
        (1, "Di", ""), (2, "Cy", ""), (3, "Bo", ""), (4, "Anna", ""),
        (None, "Ed", "no revenue target"), (None, "Flo", "no data"),
    ]  # fmt: skip
    assert board.ranked == 4
    assert [r.low_sample for r in board.rows] == [False, False, False, True, False, False]
    cy = board.rows[1]
    assert (cy.revenue, cy.target, cy.attainment, cy.deals_won, cy.win_rate, cy.win_rate_n) == (
        1200.0, 1000.0, 1.2, 40.0, 0.5, 80.0)  # fmt: skip

    rank = kpi_rep_rank(rep_id=reps["b"].pk, period=Q2, as_of=AS_OF)
    assert (rank.territory_name, rank.rank, rank.ranked, rank.members, rank.unranked) == ("United Kingdom", 3, 4, 6,
                                                                                         "")  # fmt: skip
    rank = kpi_rep_rank(rep_id=reps["d"].pk, period=Q2, as_of=AS_OF)
    assert (rank.rank, rank.unranked) == (1, "")
    nowhere = SalesRepFactory(name="Nowhere")
    assert kpi_rep_rank(rep_id=nowhere.pk, period=Q2, as_of=AS_OF).unranked == (
        "not assigned to a territory in this period"
    )


def test_periods_available_newest_first_and_series_by_kpi(db):
    run = _run()
    _put(run, "company", "revenue", 1.0, period="2025", kind="year", start=d(1, 1), end=d(12, 31))
    _put(run, "company", "revenue", 2.0)
    _put(run, "company", "revenue", 3.0, period="2025-04", kind="month", start=d(4, 1), end=d(4, 30))
    _put(run, "company", "revenue", 4.0, period="2025-05", kind="month", start=d(5, 1), end=d(5, 31))
    _put(run, "company", "calls", 9.0, period="2025-05", kind="month", start=d(5, 1), end=d(5, 31))
    _put(run, "territory:x", "revenue", 5.0, period="2025-06", kind="month", start=d(6, 1), end=d(6, 30))
    assert [o.label for o in kpi_periods_available(scope="company")] == ["2025-05", "2025-Q2", "2025-04", "2025"]
    series = kpi_series_many(scope="company", kpis=["revenue", "calls", "csat"], kind="month", start=d(4, 1),
                             end=d(6, 1))  # fmt: skip
    assert {k: [s.value for s in v] for k, v in series.items()} == {"revenue": [3.0, 4.0], "calls": [9.0],
                                                                     "csat": []}  # fmt: skip
