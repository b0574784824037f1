"""What the demo data set of --scale 1 --seed 42 holds, digests of its tables, and emptying them."""

from __future__ import annotations

import datetime
import hashlib

from django.contrib.auth import get_user_model

from metrics.models import Distribution, Target, TargetChange
from reps.models import SalesRep
from sales.models import Activity, Customer, Deal, Expense, Product, SurveyResponse
from territories.models import Territory, TerritoryAssignment

D = datetime.date
SEED = 42
LOGINS = ("admin", "manager", "manager-emea", "manager-apac", "rep")
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

# Worked out from the plan: 12 territories; 40 reps, one with two assignments;
# 8 leaves x 24 months x 2 expense categories; quotas for 38 reps x 8 quarters
# (the rep who moves keeps his quota), plus 5 for the rep hired 2024-09-02 (2024-Q4..2025-Q4) and 6 for the rep who
# left 2025-06-13 (2024-Q1..2025-Q2), 3 months each; 8 leaves x 2 years x 12
# months of territory revenue targets; 3 regions x 12 months of deals won. Two
# of Japan's months are revised afterwards: two more changes, no more targets.
QUOTA_QUARTERS = 38 * 8 + 5 + 6
TARGETS = QUOTA_QUARTERS * 3 + 8 * 2 * 12 + 3 * 12
EXPECTED_COUNTS = {
    "territories": 12,
    "territory assignments": 41,
    "sales reps": 40,
    "users": 5,
    "products": 7,
    "customers": 3474,
    "deals": 10121,
    "activities": 31275,
    "survey responses": 2033,
    "expenses": 8 * 24 * 2,
    "distributions": 2,
    "targets": TARGETS,
    "target changes": TARGETS + 2,
}
# sha256 of the sorted deal rows of --seed 42 (see DEAL_FIELDS); the same on
# PostgreSQL and SQLite, in any process, on any day.
DEALS_SHA256 = "0d5003608e0a63d1fc8de94b9ef13840d8858cdffc4c658cd290f67d52ee518c"


def _sha(rows) -> str:
    digest = hashlib.sha256()
    for row in sorted(rows):
        digest.update(repr(row).encode())
    return digest.hexdigest()


DEAL_FIELDS = (
    "external_id",
    "owner__external_id",
    "customer__external_id",
    "territory__code",
    "stage",
    "lost_from_stage",
    "amount",
    "refunded_amount",
    "created_on",
    "closed_on",
    "ends_on",
    "product",
    "name",
)


def _rows(queryset, *fields) -> list[tuple[str, ...]]:
    return [tuple(str(value) for value in row) for row in queryset.values_list(*fields)]


def _content_digests() -> dict[str, str]:
    """A digest of every demo table's content, by natural keys (ids and audit times left out)."""

    rows = _rows
    return {
        "deals": _sha(rows(Deal.objects, *DEAL_FIELDS)),
        "territories": _sha(rows(Territory.objects, "code", "name", "path", "depth")),
        "assignments": _sha(
            rows(TerritoryAssignment.objects, "rep__external_id", "territory__code", "start_date", "end_date")
        ),
        "reps": _sha(rows(SalesRep.objects, "external_id", "name", "email", "hired_on", "left_on", "user__username")),
        "users": _sha(
            rows(get_user_model().objects, "username", "password", "is_staff", "is_superuser", "date_joined")
        ),
        "managers": _sha(rows(Territory.managers.through.objects, "territory__code", "user__username")),
        "products": _sha(rows(Product.objects, "name", "series", "list_price")),
        "customers": _sha(
            rows(
                Customer.objects, "external_id", "name", "sector", "territory__code", "owner__external_id", "churned_on"
            )
        ),
        "activities": _sha(
            rows(
                Activity.objects,
                "external_id",
                "rep__external_id",
                "territory__code",
                "kind",
                "occurred_on",
                "deal__external_id",
                "customer__external_id",
            )
        ),
        "surveys": _sha(
            rows(
                SurveyResponse.objects,
                "external_id",
                "customer__external_id",
                "rep__external_id",
                "territory__code",
                "kind",
                "score",
                "responded_on",
            )
        ),
        "expenses": _sha(rows(Expense.objects, "territory__code", "month", "category", "amount")),
        "distributions": _sha(rows(Distribution.objects, "name", "description", "jan", "jun", "dec")),
        "targets": _sha(
            rows(
                Target.objects,
                "territory__code",
                "rep__external_id",
                "kpi",
                "month",
                "value",
                "entered_as",
                "distribution__name",
            )
        ),
        "target changes": _sha(
            rows(TargetChange.objects, "scope", "kpi", "month", "old_value", "new_value", "source", "note")
        ),
    }


def _demo_delete() -> None:
    """Empty every table the demo fills (children first: most foreign keys protect)."""
    for model in (
        TargetChange,
        Target,
        SurveyResponse,
        Activity,
        Deal,
        Customer,
        Expense,
        TerritoryAssignment,
        SalesRep,
        Distribution,
        Product,
        Territory,
    ):
        model.objects.all().delete()
    get_user_model().objects.filter(username__in=LOGINS).delete()
