"""Logging: plain lines on the console."""

from __future__ import annotations

from kpi_dashboard.settings.env import env

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task is noise when tasks run eagerly inside web requests and commands.
        "celery.app.trace": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # one INFO line per login is noise
    },
}
