"""The product's own settings (spec/kpis.md and the README list them)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ImproperlyConfigured

from kpi_dashboard.settings.env import env

_kpi_as_of = env.str("KPI_AS_OF", default="")
try:
    KPI_AS_OF = datetime.date.fromisoformat(_kpi_as_of) if _kpi_as_of else None  # None means "today"
except ValueError:
    raise ImproperlyConfigured(f"KPI_AS_OF must be a date YYYY-MM-DD, got {_kpi_as_of!r}.") from None
FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=1)
if not 1 <= FISCAL_YEAR_START_MONTH <= 12:
    raise ImproperlyConfigured(f"FISCAL_YEAR_START_MONTH must be a month number 1..12, got {FISCAL_YEAR_START_MONTH}.")
KPI_CURRENCY = env.str("KPI_CURRENCY", default="USD")
KPI_MIN_SAMPLE = env.int("KPI_MIN_SAMPLE", default=30)
CHURN_INACTIVITY_DAYS = env.int("CHURN_INACTIVITY_DAYS", default=365)
FOLLOW_UP_DAYS = env.int("FOLLOW_UP_DAYS", default=7)
KPI_RECOMPUTE_HOUR_UTC = env.int("KPI_RECOMPUTE_HOUR_UTC", default=2)
# Changes within this many seconds share one recompute run.
KPI_RECOMPUTE_DEBOUNCE_SECONDS = env.int("KPI_RECOMPUTE_DEBOUNCE_SECONDS", default=60)
# Pages keep snapshot reads in the cache until the next recompute commits (dashboards/snapshot_cache.py);
# this bounds how long an entry of a replaced set lingers. 0 turns the cache off.
KPI_SNAPSHOT_CACHE_SECONDS = env.int("KPI_SNAPSHOT_CACHE_SECONDS", default=3600)
