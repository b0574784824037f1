"""A recompute queued through the API is carried out by a real Celery worker on the real Redis broker."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from tests.helpers.api import AS_OF, world_build

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery,
    # The worker is another process: it needs a database server to share (SQLite's test database is in memory).
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL shared with the worker"),
]


def test_the_worker_carries_out_the_queued_run(worker):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        world = world_build()  # its own recomputes run in-process
    cache.clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens['admin_token']}")
    queued = client.post("/api/v1/recompute", {"since": "2025-12"}, format="json")
    assert queued.status_code == 202
    assert queued.json()["status"] == "queued"
    url = queued["Location"]
    deadline = time.monotonic() + 60
    while client.get(url).json()["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
    run = client.get(url).json()
    assert (run["status"], run["kind"], run["since"], run["as_of"]) == ("succeeded", "since", "2025-12-01", str(AS_OF))
    assert run["periods"] == 3  # 2025-12, 2025-Q4, 2025
    assert run["requested_by"] == "boss"
