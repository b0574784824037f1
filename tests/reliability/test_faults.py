"""Faults with the real servers: a Celery worker SIGKILLed mid-recompute, the broker (a private
redis-server) stopped under an edit, two writers racing, a recompute run twice. Each restores what
it broke."""

from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from kpi_dashboard.celery import app
from metrics.models import KpiRecomputeRequest, KpiRun, KpiSnapshot, Target, TargetChange
from metrics.services.recompute import kpi_recompute
from tests.factories import AssignmentFactory, DealFactory, SalesRepFactory
from tests.helpers.celery import reset_broker_connections
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime.date(2025, 12, 31)
pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def snapshot_rows() -> list[tuple]:
    """Every snapshot's identity and numbers (not its run or time): what a page can read."""
    return sorted(KpiSnapshot.objects.values_list("scope", "period", "kpi", "value", "n", "target", "attainment"))


def _dsn() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_start(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert wait_for(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout
                     == b"PONG\n", timeout=10)  # fmt: skip
    return process


def _worker(broker: str, queue: str) -> subprocess.Popen:
    env = os.environ | {
        "REDIS_URL": broker, "DATABASE_URL": _dsn(), "DJANGO_SETTINGS_MODULE": "kpi_dashboard.settings",
        "KPI_AS_OF": AS_OF.isoformat(), "KPI_RECOMPUTE_DEBOUNCE_SECONDS": "1",
    }  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kpi_dashboard", "worker", "--pool", "solo", "-Q", queue,
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def broker(settings):
    """A private redis-server on a free port (other tests keep theirs), the app pointed at it."""
    port = _free_port()
    server = _redis_start(port)
    url = f"redis://127.0.0.1:{port}/0"
    queue = f"kpi-fault-{uuid.uuid4().hex[:8]}"
    previous = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=url, task_always_eager=False, task_default_queue=queue)
    reset_broker_connections()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.KPI_RECOMPUTE_DEBOUNCE_SECONDS = 1
    settings.KPI_AS_OF = AS_OF
    # As in production, the cache lives on the same Redis as the broker: stopping it takes both away.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    state = {"port": port, "url": url, "queue": queue, "server": server, "processes": []}
    try:
        yield state
    finally:
        app.conf.update(**previous)
        reset_broker_connections()
        for process in [*state["processes"], state["server"]]:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def company(tree):
    rep = SalesRepFactory(external_id="f1")
    AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=datetime.date(2024, 1, 1))
    for day, amount in [(5, "1200.00"), (9, "800.00")]:
        DealFactory(owner=rep, territory=tree["na-east"], amount=Decimal(amount),
                    created_on=datetime.date(2025, 1, day), closed_on=datetime.date(2025, 2, day))  # fmt: skip
    return rep


def test_worker_killed_mid_recompute_leaves_the_previous_set_and_the_next_run_completes(broker, company):
    first = kpi_recompute(reason="clean", as_of=AS_OF)
    before = snapshot_rows()
    assert len(before) == first.rows > 0
    # Change a fact so a finished second run would change the numbers.
    DealFactory(owner=company, territory=company.assignments.get().territory, amount=Decimal("500.00"),
                created_on=datetime.date(2025, 3, 1), closed_on=datetime.date(2025, 3, 2))  # fmt: skip
    worker = _worker(broker["url"], broker["queue"])
    broker["processes"].append(worker)
    # Hold the snapshot table from another session: the worker's run blocks while writing it.
    blocker = psycopg2.connect(_dsn())
    try:
        with blocker.cursor() as cursor:
            cursor.execute("BEGIN; LOCK TABLE metrics_kpisnapshot IN ACCESS EXCLUSIVE MODE")
            app.send_task("metrics.recompute_kpis", kwargs={"reason": "to be killed"})
            assert wait_for(lambda: KpiRun.objects.filter(status="running").exists(), timeout=30)
            time.sleep(0.5)  # let it reach the snapshot write
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            cursor.execute("ROLLBACK")
    finally:
        blocker.close()
    killed = KpiRun.objects.get(status="running")
    assert snapshot_rows() == before  # pages still read the previous complete set
    assert set(KpiSnapshot.objects.values_list("run_id", flat=True)) == {first.pk}
    # The killed worker's backend dies with it; its advisory lock is released by PostgreSQL.
    assert wait_for(lambda: not KpiRun.objects.filter(status="running").exclude(pk=killed.pk).exists())
    after = kpi_recompute(reason="next", as_of=AS_OF)
    killed.refresh_from_db()
    assert killed.status == "failed"
    assert after.status == "succeeded"
    rows = snapshot_rows()
    assert len(rows) == len({(r[0], r[1], r[2]) for r in rows}) == after.rows  # no duplicate, none missing
    revenue = KpiSnapshot.objects.get(scope="territory:na", period="2025", kpi="revenue")
    assert revenue.value == 2500.0  # 1,200 + 800 + the new 500


def test_broker_down_an_edit_is_saved_pending_and_run_when_the_broker_is_back(broker, client, admin_user, company):
    kpi_recompute(reason="clean", as_of=AS_OF)
    subprocess.run(["redis-cli", "-p", str(broker["port"]), "shutdown", "nosave"], capture_output=True, timeout=10)
    broker["server"].wait(timeout=10)
    client.force_login(admin_user)
    started = time.monotonic()
    response = client.post(
        "/api/v1/targets",
        {"scope": "territory:na", "kpi": "revenue", "period": "2025-03", "value": "4000"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert time.monotonic() - started < 30
    assert Target.objects.get(territory__code="na", month=datetime.date(2025, 3, 1)).value == Decimal("4000.00")
    assert TargetChange.objects.count() == 1
    assert KpiRecomputeRequest.objects.count() == 1  # recorded as pending, not lost
    for _ in range(2):  # pages read snapshots through the cache: without it, straight from PostgreSQL
        page = client.get("/company/?period=2025")
        assert page.status_code == 200
        assert "1 change waiting for the next recompute" in page.content.decode()
    assert client.get("/api/v1/kpis?scope=territory:na&period=2025").status_code == 200  # served from PostgreSQL
    # Scripts with a token are throttled through the cache: without it they are let through.
    token = Token.objects.create(user=admin_user)
    scripted = Client().get("/api/v1/kpis?scope=territory:na&period=2025", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert scripted.status_code == 200

    broker["server"] = _redis_start(broker["port"])
    reset_broker_connections()
    worker = _worker(broker["url"], broker["queue"])
    broker["processes"].append(worker)
    app.send_task("metrics.recompute_pending_kpis")  # what the 10-minute beat sweep sends
    assert wait_for(lambda: KpiRecomputeRequest.objects.count() == 0, timeout=60)
    run = KpiRun.objects.latest("pk")
    assert (run.status, run.kind, run.since) == ("succeeded", "since", datetime.date(2025, 3, 1))
    target = KpiSnapshot.objects.get(scope="territory:na", period="2025-03", kpi="revenue")
    assert target.target == 4000.0
    assert "waiting for the next recompute" not in client.get("/company/?period=2025").content.decode()


def test_recompute_twice_gives_exactly_the_snapshots_of_one_clean_run(company, settings):
    settings.KPI_AS_OF = AS_OF
    kpi_recompute(reason="one", as_of=AS_OF)
    once = snapshot_rows()
    second = kpi_recompute(reason="two", as_of=AS_OF)
    assert snapshot_rows() == once
    assert set(KpiSnapshot.objects.values_list("run_id", flat=True)) == {second.pk}
