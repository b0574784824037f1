"""/recompute: an admin queues a run and gets its id at once; the task carries out that very run."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from kombu import pools

from kpi_dashboard.celery import app
from metrics.models import KpiRun
from metrics.services.api_runs import kpi_run_queue
from metrics.services.recompute import kpi_recompute

pytestmark = pytest.mark.django_db


def test_post_queues_a_run_and_returns_its_id(world, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = api("admin").post("/api/v1/recompute", {"since": "2025-11", "reason": "new CRM export"})
    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == f"/api/v1/recompute/{body['id']}"
    assert body | {"started_at": None} == {
        "id": body["id"], "status": "queued", "kind": "since", "since": "2025-11-01", "as_of": "2025-12-31",
        "reason": "new CRM export", "started_at": None, "finished_at": None, "periods": 0, "rows": 0, "error": "",
        "requested_by": "boss",
    }  # fmt: skip
    # The task is sent once the request's transaction commits; with no broker it runs at once.
    assert len(queued) == 1
    queued[0]()
    run = api("admin").get(f"/api/v1/recompute/{body['id']}").json()
    # From November 2025 on: 2025-11, 2025-12, 2025-Q4 and the year 2025.
    assert (run["status"], run["periods"], run["error"]) == ("succeeded", 4, "")
    assert run["rows"] > 0
    assert KpiRun.objects.get(pk=body["id"]).snapshots.filter(period="2025-Q4").exists()


def test_without_a_broker_the_run_is_done_when_the_request_commits(world, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = api("admin").post("/api/v1/recompute", {}).json()
    assert (body["kind"], body["since"], body["reason"]) == ("full", None, "requested through the API by boss")
    run = api("admin").get(f"/api/v1/recompute/{body['id']}").json()
    assert (run["status"], run["kind"], run["periods"]) == ("succeeded", "full", 17)  # 12 months, 4 quarters, 2025


def test_a_queued_run_is_not_taken_for_an_interrupted_one(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        waiting = kpi_run_queue(since=datetime.date(2025, 12, 1), user=world.users["admin"])
    kpi_recompute(since=datetime.date(2025, 12, 1), as_of=datetime.date(2025, 12, 31))  # another run goes first
    waiting.refresh_from_db()
    assert waiting.status == KpiRun.Status.QUEUED
    queued[0]()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.periods) == (KpiRun.Status.SUCCEEDED, 3)  # 2025-12, 2025-Q4, 2025


def _broker_connections_reset():
    """Drop pooled broker connections so the next send uses the current broker_url."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def test_a_run_the_broker_refuses_is_marked_failed(world, api, django_capture_on_commit_callbacks):
    previous = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "broker_connection_retry")}
    # Nothing listens on port 9 of this machine: sending the task fails.
    app.conf.update(broker_url="redis://127.0.0.1:9/0", task_always_eager=False, task_publish_retry=False)
    _broker_connections_reset()
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False), django_capture_on_commit_callbacks(execute=True):
            body = api("admin").post("/api/v1/recompute", {"since": "2025-12"}).json()
    finally:
        app.conf.update(**previous, task_publish_retry=True)
        _broker_connections_reset()
    run = api("admin").get(f"/api/v1/recompute/{body['id']}").json()
    assert run["status"] == "failed"
    assert run["error"].startswith("not started: ")
    assert run["finished_at"] is not None


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"since": "2025-Q4"}, {"since": ["'2025-Q4' is not a month YYYY-MM"]}),
        ({"since": "2025-13"}, {"since": ["month 13 does not exist in period '2025-13'"]}),
        ({"reason": "x" * 201}, {"reason": ["Ensure this field has no more than 200 characters."]}),
    ],
)
def test_bad_requests_are_400_and_queue_nothing(world, api, data, fields):
    runs = KpiRun.objects.count()
    response = api("admin").post("/api/v1/recompute", data)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert KpiRun.objects.count() == runs


def test_a_run_is_read_back(world, api):
    body = api("admin").get(f"/api/v1/recompute/{world.run.pk}").json()
    assert (body["status"], body["kind"], body["reason"], body["as_of"]) == (
        "succeeded",
        "full",
        "api tests",
        "2025-12-31",
    )
    assert api("admin").get("/api/v1/recompute/999999").json()["error"] == {
        "code": "not_found",
        "message": "No recompute run '999999' among those you may see.",
        "fields": {},
    }
