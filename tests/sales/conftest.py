"""Fixtures of the sales tests: the demo data set seeded once per module."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from tests.helpers.seed_demo import MD5_HASHER, SEED, _content_digests


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed --scale 1 once for the module, inside a transaction rolled back at its end.

    Each test runs in a savepoint inside it, so a test may change or wipe the
    data and the next one still finds it whole.
    """
    # Hash like the function-scoped tests do (tests/conftest.py uses MD5), so the
    # logins seeded here and the ones re-seeded inside a test are the same rows.
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[MD5_HASHER]):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = io.StringIO()
            call_command("seed_demo", "--scale", "1", "--seed", str(SEED), stdout=out)
            yield {"output": out.getvalue(), "digests": _content_digests()}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
