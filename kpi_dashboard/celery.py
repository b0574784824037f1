"""The Celery application.

Without ``REDIS_URL`` the settings make every task run eagerly in-process, so the
same code paths work in the demo (no broker) and in production (Redis broker).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_dashboard.settings")

app = Celery("kpi_dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
