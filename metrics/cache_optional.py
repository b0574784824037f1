"""The cache speeds things up; it is never needed for an answer.

In production the cache lives on Redis, next to the Celery broker. When Redis is
down, pages must still be served from PostgreSQL and edits still saved (their
recompute waits as a pending request), so every use of the cache goes through
``cache_or`` and carries on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")


def cache_or(operation: Callable[[], T], *, fallback: T, what: str) -> T:
    """``operation()``, or ``fallback`` when the cache cannot be reached (logged, not raised)."""
    try:
        return operation()
    except Exception:  # each cache backend raises its own errors (redis.ConnectionError, OSError, ...)
        logger.warning("cache unavailable while %s; going on without it", what, exc_info=True)
        return fallback
