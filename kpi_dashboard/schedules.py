"""Every periodic task of the product, in one place.

Schedules are crontab-based and stored in django-celery-beat's tables so an admin
can see and change them in the Django admin; ``schedules_sync`` writes this list
there (run by ``manage.py sync_schedules`` and after every migrate). A schedule an
admin disabled stays disabled: syncing only creates missing entries and updates
the task and crontab of the ones it owns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    minute: str
    hour: str
    # Seconds after which a queued run is dropped rather than run late.
    expires: int


def schedules_defined() -> list[Schedule]:
    """Return the periodic tasks the product needs."""
    return [
        Schedule(
            name="Recompute KPIs nightly",
            task="metrics.recompute_kpis",
            minute="0",
            hour=str(settings.KPI_RECOMPUTE_HOUR_UTC),
            expires=12 * 3600,
        ),
        # A safety net for changes whose recompute could not be queued (broker down).
        Schedule(
            name="Recompute KPIs after pending changes",
            task="metrics.recompute_pending_kpis",
            minute="*/10",
            hour="*",
            expires=600,
        ),
        Schedule(
            name="Clear expired sessions",
            task="kpi_dashboard.clear_expired_sessions",
            minute="30",
            hour="3",
            expires=6 * 3600,
        ),
    ]


@transaction.atomic
def schedules_sync() -> int:
    """Create or update the django-celery-beat entries; return how many were written."""
    written = 0
    for schedule in schedules_defined():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=schedule.minute,
            hour=schedule.hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        task, created = PeriodicTask.objects.get_or_create(
            name=schedule.name,
            defaults={"task": schedule.task, "crontab": crontab},
        )
        if created or task.task != schedule.task or task.crontab_id != crontab.pk:
            task.task = schedule.task
            task.crontab = crontab
            task.expire_seconds = schedule.expires
            task.save()
            written += 1
    return written
