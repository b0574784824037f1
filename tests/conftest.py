import datetime
import os
import subprocess
import sys
import uuid

import pytest

from tests.factories import SalesRepFactory, UserFactory, territory_create
from tests.helpers.celery import REDIS_URL, ROOT, reset_broker_connections
from tests.helpers.worlds import AS_OF as WORLD_AS_OF


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the local-memory one lives as long as the test process)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def as_of(settings):
    """The as-of date of the company of ``tests.helpers.worlds`` (2025-12-31)."""
    settings.KPI_AS_OF = WORLD_AS_OF


@pytest.fixture
def tree(db):
    """company > na (na-east, na-west), emea (uk): a small territory tree."""
    na = territory_create("na", name="North America")
    emea = territory_create("emea", name="EMEA")
    return {
        "na": na,
        "emea": emea,
        "na-east": territory_create("na-east", parent=na, name="NA East"),
        "na-west": territory_create("na-west", parent=na, name="NA West"),
        "uk": territory_create("uk", parent=emea, name="United Kingdom"),
    }


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def manager_user(tree):
    user = UserFactory(username="na-manager")
    tree["na"].managers.add(user)
    return user


@pytest.fixture
def rep_user(tree):
    user = UserFactory(username="rep-user")
    rep = SalesRepFactory(external_id="r-linked", name="Linked Rep", user=user)
    return user, rep


@pytest.fixture
def worker(settings):
    """Start a worker process on a private queue of the real broker; stop it afterwards."""
    import redis
    from django.db import connection

    from kpi_dashboard.celery import app

    redis.Redis.from_url(REDIS_URL).ping()  # fail loudly when Redis is not there
    queue = f"kpi-test-{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict
    env = os.environ | {
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "DJANGO_SETTINGS_MODULE": "kpi_dashboard.settings",
        "KPI_AS_OF": "2025-12-31",
        "KPI_RECOMPUTE_DEBOUNCE_SECONDS": "2",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kpi_dashboard", "worker", "--pool", "solo", "-Q", queue,
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    previous = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    reset_broker_connections()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.KPI_RECOMPUTE_DEBOUNCE_SECONDS = 2
    settings.KPI_AS_OF = datetime.date(2025, 12, 31)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": queue}}
    try:
        yield process
    finally:
        app.conf.update(**previous)
        reset_broker_connections()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
