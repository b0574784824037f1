"""Fixtures of the dashboard tests: the company of ``tests.helpers.worlds``, built per test or per module."""

from __future__ import annotations

import pytest

from tests.helpers.worlds import AS_OF, world_build, world_compute, world_held


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


@pytest.fixture(autouse=True)
def _as_of(settings):
    settings.KPI_AS_OF = AS_OF


@pytest.fixture
def world(db):
    """The company of ``tests.helpers.worlds``, without snapshots."""
    return world_build()


@pytest.fixture
def computed(world):
    """``world`` with its snapshots."""
    world_compute()
    return world


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """``computed`` built once for a whole module of read-only tests.

    It lives in a transaction held open for the module; each test runs in a
    savepoint inside it (pytest-django's own), and the whole is rolled back at
    the end, so nothing leaks into other modules.
    """
    with world_held(django_db_blocker) as built:
        yield built
