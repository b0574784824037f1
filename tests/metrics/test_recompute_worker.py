"""A real Celery worker on the real Redis broker runs the recompute end to end."""

import datetime
import time
from decimal import Decimal

import pytest

from kpi_dashboard.celery import app
from metrics.models import KpiRecomputeRequest, KpiRun, KpiSnapshot
from metrics.services.targets import TargetScope, target_input_clean, targets_set
from tests.factories import AssignmentFactory, DealFactory, SalesRepFactory
from tests.waiting import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery]


@pytest.fixture
def company(tree):
    rep = SalesRepFactory(external_id="w1")
    AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=datetime.date(2024, 1, 1))
    DealFactory(owner=rep, territory=tree["na-east"], amount=Decimal("1200.00"),
                created_on=datetime.date(2025, 1, 5), closed_on=datetime.date(2025, 2, 10))  # fmt: skip
    return rep


def test_worker_runs_the_recompute_task(worker, company):
    app.send_task("metrics.recompute_kpis", kwargs={"reason": "worker test"})
    assert wait_for(lambda: KpiRun.objects.filter(status="succeeded").exists()), worker.stdout.read1(10_000)
    run = KpiRun.objects.get()
    assert (run.kind, run.as_of, run.reason) == ("full", datetime.date(2025, 12, 31), "worker test")
    revenue = KpiSnapshot.objects.get(scope="territory:na", period="2025-02", kpi="revenue")
    assert revenue.value == 1200.0
    assert revenue.run_id == run.pk


def test_a_burst_of_target_changes_causes_one_run(worker, company):
    scope = TargetScope(rep=company)
    for month in range(1, 13):
        for value in (1000, 2000, 3000):  # 36 committed changes, each asking for a recompute
            targets_set(entry=target_input_clean(scope=scope, kpi="revenue", period=f"2025-{month:02d}", value=value))
    assert KpiRecomputeRequest.objects.count() == 36
    assert wait_for(lambda: KpiRun.objects.filter(status="succeeded").exists())
    time.sleep(3)  # longer than the debounce window: a second run would have started by now
    assert KpiRun.objects.count() == 1
    run = KpiRun.objects.get()
    assert (run.kind, run.since) == ("since", datetime.date(2025, 1, 1))
    assert KpiRecomputeRequest.objects.count() == 0
    target = KpiSnapshot.objects.get(scope="rep:w1", period="2025", kpi="revenue")
    assert target.target == 36_000.0
