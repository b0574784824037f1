"""Plain helpers the tests import: worlds to build, clients, KPI arithmetic, Celery workers."""
