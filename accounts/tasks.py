"""Housekeeping tasks of the project itself (app tasks live in their apps)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="kpi_dashboard.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Delete expired sessions so the session table does not grow forever."""
    call_command("clearsessions")
