"""Fixtures of the metrics tests: compute one scope × period and read rows as dicts; the plan distribution."""

from __future__ import annotations

import pytest

from tests.factories import DistributionFactory
from tests.helpers.kpis import kpi_grid, kpi_rows, kpi_value


@pytest.fixture
def kpi(db):
    """``kpi(scope, period, key, as_of=2025-12-31)`` → the KPI row as a dict (None for null)."""
    return kpi_value


@pytest.fixture
def grid(db):
    """``grid(scopes, periods, as_of=2025-12-31)`` → {(scope, period): {kpi key: row}}, one computation."""
    return kpi_grid


@pytest.fixture
def kpis(db):
    """``kpis(scope, period, as_of=2025-12-31)`` → {kpi key: row} for one scope and period."""
    return kpi_rows


@pytest.fixture
def plan(db):
    """The "Plan" distribution, for targets spread by it."""
    return DistributionFactory(name="Plan")
