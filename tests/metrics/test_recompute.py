"""Recompute runs: logged, atomic, locked, redone after a failure; queries do not grow with the data."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from metrics import engine
from metrics.models import KpiRecomputeRequest, KpiRun, KpiSnapshot
from metrics.services import recompute
from metrics.services.recompute import RecomputeBusy, kpi_recompute, kpi_recompute_pending, recompute_lock
from tests.factories import AssignmentFactory, DealFactory, SalesRepFactory, territory_create

AS_OF = datetime.date(2025, 3, 31)
pytestmark = pytest.mark.django_db


@pytest.fixture
def one_deal(tree):
    rep = SalesRepFactory(external_id="q1")
    AssignmentFactory(rep=rep, territory=tree["uk"])
    return DealFactory(owner=rep, territory=tree["uk"], amount=Decimal("500.00"),
                       created_on=datetime.date(2025, 1, 3), closed_on=datetime.date(2025, 2, 14))  # fmt: skip


def revenue(scope, period):
    return KpiSnapshot.objects.get(scope=scope, period=period, kpi="revenue").value


def test_full_run_is_logged_and_covers_every_period(one_deal):
    run = kpi_recompute(as_of=AS_OF, reason="test")
    # 2025-01, 02, 03, 2025-Q1, 2025: 5 periods
    assert (run.status, run.kind, run.periods) == ("succeeded", "full", 5)
    assert set(KpiSnapshot.objects.values_list("period", flat=True)) == {"2025", "2025-Q1", "2025-01", "2025-02",
                                                                         "2025-03"}  # fmt: skip
    assert run.rows == KpiSnapshot.objects.count()
    assert revenue("territory:emea", "2025-02") == 500.0
    assert revenue("company", "2025-Q1") == 500.0


def test_rerun_gives_exactly_the_same_snapshots(one_deal):
    fields = ["scope", "period", "kpi", "value", "n", "ci_low", "ci_high", "target", "attainment", "low_sample"]
    kpi_recompute(as_of=AS_OF)
    first = sorted(KpiSnapshot.objects.values_list(*fields))
    kpi_recompute(as_of=AS_OF)
    assert sorted(KpiSnapshot.objects.values_list(*fields)) == first
    assert KpiSnapshot.objects.values("run").distinct().count() == 1  # all rows from the second run


def test_incremental_run_replaces_only_later_periods(one_deal):
    kpi_recompute(as_of=AS_OF)
    january = KpiSnapshot.objects.get(scope="company", period="2025-01", kpi="revenue")
    one_deal.amount = Decimal("800.00")
    one_deal.save()
    run = kpi_recompute(as_of=AS_OF, since=datetime.date(2025, 2, 1))
    assert (run.kind, run.periods) == ("since", 4)  # 2025-02, 2025-03, 2025-Q1, 2025
    assert revenue("company", "2025-02") == 800.0
    assert KpiSnapshot.objects.get(pk=january.pk).run_id != run.pk  # untouched


def test_a_failed_run_keeps_the_previous_snapshots(one_deal, monkeypatch):
    good = kpi_recompute(as_of=AS_OF)
    before = KpiSnapshot.objects.count()

    def broken(**kwargs):
        raise ValueError("engine exploded")

    monkeypatch.setattr(recompute, "kpis_compute", broken)
    with pytest.raises(ValueError):
        kpi_recompute(as_of=AS_OF)
    failed = KpiRun.objects.latest("id")
    assert (failed.status, failed.error) == ("failed", "ValueError: engine exploded")
    assert KpiSnapshot.objects.count() == before
    assert set(KpiSnapshot.objects.values_list("run", flat=True)) == {good.pk}


def test_a_run_killed_half_way_is_marked_failed_and_redone(one_deal):
    KpiRun.objects.create(kind="full", as_of=AS_OF, reason="worker killed")  # left 'running'
    run = kpi_recompute(as_of=AS_OF)
    assert list(KpiRun.objects.order_by("id").values_list("status", "error")) == [
        ("failed", "interrupted: the run did not finish"),
        ("succeeded", ""),
    ]
    assert run.rows == KpiSnapshot.objects.count()


@pytest.mark.django_db(transaction=True)
def test_two_runs_never_overlap(one_deal):
    """While one connection holds the lock, a second run refuses (or waits)."""
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock exists on PostgreSQL; SQLite serializes writers itself")
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with recompute_lock(wait=True):
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    try:
        with pytest.raises(RecomputeBusy):
            kpi_recompute(as_of=AS_OF, wait=False)
        assert not KpiRun.objects.exists()
    finally:
        release.set()
        thread.join()
    assert kpi_recompute(as_of=AS_OF, wait=False).status == "succeeded"


def test_pending_requests_are_absorbed_by_one_run(one_deal, django_capture_on_commit_callbacks):
    for month in (datetime.date(2025, 3, 1), datetime.date(2025, 2, 1), datetime.date(2025, 3, 1)):
        recompute.kpi_recompute_request(months=[month], reason="edit")
    run = kpi_recompute_pending(as_of=AS_OF)
    assert (run.kind, run.since, run.reason) == ("since", datetime.date(2025, 2, 1), "3 change(s) since 2025-02")
    assert KpiRecomputeRequest.objects.count() == 0
    assert kpi_recompute_pending(as_of=AS_OF) is None


def _company(n_territories: int, n_reps: int, prefix: str):
    root = territory_create(f"{prefix}root")
    leaves = [territory_create(f"{prefix}t{i}", parent=root) for i in range(n_territories)]
    for i in range(n_reps):
        rep = SalesRepFactory(external_id=f"{prefix}s{i}")
        AssignmentFactory(rep=rep, territory=leaves[i % n_territories])
        DealFactory(owner=rep, territory=leaves[i % n_territories], created_on=datetime.date(2025, 1, 2),
                    closed_on=datetime.date(2025, 1, 20))  # fmt: skip


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def test_query_counts_do_not_grow_with_reps_or_territories():
    """The engine and a whole recompute run the same fixed queries for 2 or 14 territories, 3 or 43 reps."""

    def compute():
        engine.kpis_compute(periods=recompute.periods_to_compute(as_of=AS_OF), as_of=AS_OF)

    _company(2, 3, "a")
    small_engine, small_run = _queries(compute), _queries(lambda: kpi_recompute(as_of=AS_OF))
    _company(12, 40, "b")
    assert _queries(compute) == small_engine
    if connection.vendor == "postgresql":
        # PostgreSQL writes snapshots with COPY; SQLite (the demo database) needs an INSERT per few
        # dozen rows because of its bound-parameter limit, so only the engine is compared there.
        assert _queries(lambda: kpi_recompute(as_of=AS_OF)) == small_run
    assert small_engine <= 25  # 21 today: one per fact family plus the tree, reps and targets
