"""The shared acceptance data set, imported and recomputed once for a module of tests."""

from __future__ import annotations

import contextlib
import datetime
from pathlib import Path

from django.core.management import call_command

from metrics.services.recompute import kpi_recompute
from sales.importers.service import crm_import_path

DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "acceptance"
AS_OF = datetime.date(2025, 12, 31)


@contextlib.contextmanager
def acceptance_imported(django_db_blocker, *, reason: str):
    """Import the data set and recompute as of ``AS_OF``; yield the run, then empty the database."""
    with django_db_blocker.unblock():
        result = crm_import_path(path=DATASET, format="generic")
        assert [str(e) for e in result.errors] == []
        run = kpi_recompute(reason=reason, as_of=AS_OF)
    yield run
    with django_db_blocker.unblock():
        call_command("flush", "--noinput", verbosity=0)  # leave the database empty for other modules
