"""A real Celery worker process on the real Redis broker, for the tests that need one."""

from __future__ import annotations

import os
from pathlib import Path

from kombu import pools

from kpi_dashboard.celery import app

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def reset_broker_connections():
    """Drop pooled broker connections so the next send uses the current broker_url."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
