"""End to end: the acceptance data set imported, recomputed, and read back as the spec expects.

../shared/datasets/acceptance holds a tricky company in the generic import
format and the KPI values worked out independently from spec/kpis.md.
"""

import datetime
import json
import math
from pathlib import Path

import pytest

from metrics.selectors.reports import kpi_report_live, kpi_report_query, kpi_report_snapshot
from tests.helpers.acceptance import acceptance_imported

DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "acceptance"
EXPECTED = json.loads((DATASET / "expected.json").read_text())
CASES = [(case["scope"], case["period"]) for case in EXPECTED]
AS_OF = datetime.date(2025, 12, 31)
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def acceptance_db(django_db_setup, django_db_blocker):
    """Import the data set and recompute once for the whole module."""
    with acceptance_imported(django_db_blocker, reason="acceptance") as run:
        yield run


def _same(expected, got) -> bool:
    if expected is None:
        return got is None
    return got is not None and math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9)


@pytest.mark.parametrize(("scope", "period"), CASES)
def test_snapshots_and_live_equal_the_expected_values(acceptance_db, scope, period, settings):
    settings.KPI_AS_OF = AS_OF
    expected = next(c["kpis"] for c in EXPECTED if (c["scope"], c["period"]) == (scope, period))
    query = kpi_report_query(scope=scope, period=period, kpis=",".join(expected))
    stored = kpi_report_snapshot(query)
    live = kpi_report_live(query)
    assert stored == live, "snapshot and --live must agree exactly"
    assert stored["as_of"] == "2025-12-31"
    wrong = {
        key: (value, stored["kpis"][key]["value"])
        for key, value in expected.items()
        if not _same(value, stored["kpis"][key]["value"])
    }
    assert wrong == {}
