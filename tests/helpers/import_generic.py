"""What importing the generic CSV set once writes, and sorted rows of a table to compare with it."""

from __future__ import annotations

import datetime

D = datetime.date

FIRST_IMPORT = {
    "territories.csv": {"territories": (4, 0, 0)},
    "reps.csv": {"reps": (2, 0, 0)},
    "assignments.csv": {"assignments": (3, 0, 0)},
    "customers.csv": {"customers": (2, 0, 0)},
    "deals.csv": {"deals": (4, 0, 0)},
    "activities.csv": {"activities": (2, 0, 0)},
    "surveys.csv": {"survey responses": (2, 0, 0)},
    "targets.csv": {"targets": (2, 0, 0)},
    "expenses.csv": {"expenses": (2, 0, 0)},
}


def table(model_or_queryset, *fields):
    """Rows of ``fields``, sorted (None first)."""
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    return sorted(queryset.values_list(*fields), key=lambda row: ["" if v is None else str(v) for v in row])
