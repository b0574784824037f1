import io

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from kpi_dashboard.celery import app
from kpi_dashboard.schedules import schedules_defined, schedules_sync

pytestmark = pytest.mark.django_db


def test_sync_writes_every_schedule_once_and_keeps_admin_choices():
    assert schedules_sync() == len(schedules_defined())
    assert schedules_sync() == 0  # idempotent
    task = PeriodicTask.objects.get(name="Clear expired sessions")
    assert (task.task, task.crontab.hour, task.crontab.minute, task.expire_seconds) == (
        "kpi_dashboard.clear_expired_sessions",
        "3",
        "30",
        21600,
    )
    task.enabled = False
    task.save()
    call_command("sync_schedules", stdout=io.StringIO())
    assert PeriodicTask.objects.get(name="Clear expired sessions").enabled is False


def test_every_scheduled_task_is_registered_with_celery():
    app.loader.import_default_modules()
    for schedule in schedules_defined():
        assert schedule.task in app.tasks, schedule.task


def test_clear_expired_sessions_runs(db):
    app.tasks["kpi_dashboard.clear_expired_sessions"].apply().get()
