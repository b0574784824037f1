"""Concurrency guards: locks for jobs that must never overlap, and consistent reads for long ones.

Locks are PostgreSQL session advisory locks: the server releases them when the
holder's connection ends, so a killed worker or web process never leaves one
behind. SQLite (the demo database) serializes writers itself and runs tasks
in-process, so both guards are no-ops there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection, transaction


class LockBusy(RuntimeError):
    """Another process holds the lock and the caller chose not to wait."""


@contextlib.contextmanager
def advisory_lock(key: int, *, wait: bool, busy: type[LockBusy] = LockBusy, message: str = "") -> Iterator[None]:
    """Hold advisory lock ``key`` for the block; raise ``busy(message)`` when it is taken and not waiting."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise busy(message)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextlib.contextmanager
def consistent_reads() -> Iterator[None]:
    """Run the block's queries against one snapshot of the database (REPEATABLE READ, READ ONLY).

    A computation made of many queries then sees all of a concurrent import or
    none of it, never the deals of one and the customers of the other. Inside a
    transaction that has already begun, the block keeps that transaction's view.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
