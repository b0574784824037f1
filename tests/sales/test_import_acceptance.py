"""The acceptance set (generic format, ../shared/datasets/acceptance) imports cleanly."""

from __future__ import annotations

import pytest

from metrics.models import Target, TargetChange
from reps.models import SalesRep
from sales.models import Activity, Customer, Deal, Expense, SurveyResponse
from territories.models import Territory, TerritoryAssignment
from tests.sales.fixtures.importing import DATASETS, counts, errors, run, warnings

pytestmark = pytest.mark.django_db

ACCEPTANCE = DATASETS / "acceptance"


def test_acceptance_set_imports_with_no_error():
    assert ACCEPTANCE.is_dir(), f"the acceptance set is missing at {ACCEPTANCE}"
    result = run(ACCEPTANCE)

    assert errors(result) == []
    ignored = "not a file of this format (ignored); its files are territories.csv, reps.csv, assignments.csv, "
    ignored += "customers.csv, deals.csv, activities.csv, surveys.csv, targets.csv, expenses.csv"
    assert warnings(result) == [f"README.md: {ignored}", f"expected.json: {ignored}"]
    assert counts(result) == {
        "territories.csv": {"territories": (6, 0, 0)},
        "reps.csv": {"reps": (12, 0, 0)},
        "assignments.csv": {"assignments": (13, 0, 0)},
        "customers.csv": {"customers": (60, 0, 0)},
        "deals.csv": {"deals": (1552, 0, 0)},
        "activities.csv": {"activities": (886, 0, 0)},
        "surveys.csv": {"survey responses": (700, 0, 0)},
        "targets.csv": {"targets": (53, 0, 0)},
        "expenses.csv": {"expenses": (96, 0, 0)},
    }
    assert {
        "territories": Territory.objects.count(),
        "reps": SalesRep.objects.count(),
        "assignments": TerritoryAssignment.objects.count(),
        "customers": Customer.objects.count(),
        "deals": Deal.objects.count(),
        "activities": Activity.objects.count(),
        "survey responses": SurveyResponse.objects.count(),
        "expenses": Expense.objects.count(),
        # 48 rep quarters x 3 months, na-east's year (12), na-west's and emea's quarters (3 + 3),
        # uk's month (1) and de's deals_won quarter (3).
        "target months": Target.objects.count(),
        "target changes": TargetChange.objects.filter(source="import").count(),
    } == {
        "territories": 6,
        "reps": 12,
        "assignments": 13,
        "customers": 60,
        "deals": 1552,
        "activities": 886,
        "survey responses": 700,
        "expenses": 96,
        "target months": 166,
        "target changes": 166,
    }
    # r05 moves from na-east to na-west on 2025-05-16; his 120 deals without a territory_code
    # follow the assignment of their close date (open ones: created_on): 38 east, 82 west (counted with awk).
    r05 = Deal.objects.filter(owner__external_id="r05", territory__code__in=["na-east", "na-west"])
    assert {code: r05.filter(territory__code=code).count() for code in ("na-east", "na-west")} == {
        "na-east": 38,
        "na-west": 82,
    }
