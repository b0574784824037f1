"""Fixtures of the API tests: the company of ``tests.helpers.api``, built once per module, and clients."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from tests.helpers.api import AS_OF, World, client_for, world_build


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    with django_db_blocker.unblock(), override_settings(KPI_AS_OF=AS_OF):
        built = world_build()
    yield built
    with django_db_blocker.unblock():
        call_command("flush", "--noinput", verbosity=0)  # leave the database empty for other modules


@pytest.fixture(autouse=True)
def _api_settings(settings):
    """The demo's as-of date, and fresh throttle counters for every test."""
    settings.KPI_AS_OF = AS_OF
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(world):
    """``api(role)`` → an APIClient for that role (see ``tests.helpers.api.ROLES``)."""
    return lambda role: client_for(world, role)
