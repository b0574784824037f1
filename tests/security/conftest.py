"""Fixtures of the hostile-input tests: the dashboards' company, built once per module, and an admin's API session."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.helpers.worlds import world_held


@pytest.fixture(scope="module")
def company(django_db_setup, django_db_blocker):
    """The dashboards' company with its snapshots, built once; each test runs in a savepoint, all rolled back."""
    with world_held(django_db_blocker) as built:
        yield built


@pytest.fixture
def api(company) -> APIClient:
    """The admin's session (sessions are not throttled; tokens would be after 1,200 calls a minute)."""
    client = APIClient()
    client.force_login(company["admin"])
    return client
