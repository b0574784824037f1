"""Settings for the territory sales KPI dashboard, read from the environment, one module per topic.

One set serves every environment: each value has a working default for a laptop
(SQLite, tasks run eagerly, local-memory cache) and production refuses to start
without what it cannot guess (a real ``SECRET_KEY``). Every variable is listed
in the README. The test suite runs ``kpi_dashboard.settings.test``.
"""

from kpi_dashboard.settings.api import *  # noqa: F403
from kpi_dashboard.settings.base import *  # noqa: F403
from kpi_dashboard.settings.cache_celery import *  # noqa: F403
from kpi_dashboard.settings.kpis import *  # noqa: F403
from kpi_dashboard.settings.logging import *  # noqa: F403
from kpi_dashboard.settings.security import *  # noqa: F403
