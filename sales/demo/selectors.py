"""Reading the demo data set back: is it there, and how many rows of each kind."""

from __future__ import annotations

import enum

from django.contrib.auth import get_user_model

from metrics.models import Distribution, Target, TargetChange
from reps.models import SalesRep
from sales.demo import plan
from sales.demo.generate import REP_PREFIX, reps_plan
from sales.models import Activity, Customer, Deal, Expense, Product, SurveyResponse
from territories.models import Territory, TerritoryAssignment


class DemoSeedError(Exception):
    """The demo data cannot be written; the message says why and what to do."""


class DemoState(enum.StrEnum):
    EMPTY = "empty"
    PRESENT = "present"


def demo_models() -> list[tuple[str, type]]:
    """The models the demo data set fills, in the order counts are reported."""
    return [
        ("territories", Territory),
        ("territory assignments", TerritoryAssignment),
        ("sales reps", SalesRep),
        ("users", get_user_model()),
        ("products", Product),
        ("customers", Customer),
        ("deals", Deal),
        ("activities", Activity),
        ("survey responses", SurveyResponse),
        ("expenses", Expense),
        ("distributions", Distribution),
        ("targets", Target),
        ("target changes", TargetChange),
    ]


def demo_row_counts() -> dict[str, int]:
    """Count the rows of every model the demo fills."""
    return {label: model.objects.count() for label, model in demo_models()}


def demo_data_check(*, scale: int, seed: int) -> DemoState:
    """Say whether the database is empty or already holds this very data set.

    Raise ``DemoSeedError`` when it holds anything else (other data, or demo data
    of another scale or seed): seed_demo never mixes data sets.
    """
    stored = SalesRep.objects.filter(external_id__startswith=REP_PREFIX).count()
    if stored == 0:
        # Logins alone do not count: `createsuperuser` before the demo is fine.
        found = {
            label: model.objects.count()
            for label, model in demo_models()
            if model is not get_user_model() and model is not TargetChange
        }
        found = {label: n for label, n in found.items() if n}
        if found:
            listing = ", ".join(f"{n} {label}" for label, n in found.items())
            raise DemoSeedError(
                f"The database already holds data ({listing}) and no demo data; seed_demo only fills an empty "
                "database. Nothing was written. Point DATABASE_URL at a fresh database, migrate it and run "
                "seed_demo again."
            )
        return DemoState.EMPTY
    stored_scale, odd = divmod(stored, plan.REPS_PER_BLOCK)
    if odd:
        raise DemoSeedError(
            f"The database holds {stored} demo reps, which is no demo scale (a multiple of "
            f"{plan.REPS_PER_BLOCK}): the demo data was changed by hand. Nothing was written; use a fresh database."
        )
    if stored_scale != scale:
        raise DemoSeedError(
            f"The database already holds demo data made with --scale {stored_scale} ({stored} demo reps), "
            f"not --scale {scale}. Nothing was written: seed_demo never mixes data sets. "
            f"Use a fresh database for --scale {scale}."
        )
    expected = [(r.external_id, r.name, r.hired_on, r.left_on) for r in reps_plan(seed=seed, block=0)]
    found_reps = list(
        SalesRep.objects.filter(external_id__in=[e[0] for e in expected])
        .order_by("external_id")
        .values_list("external_id", "name", "hired_on", "left_on")
    )
    if found_reps != expected:
        raise DemoSeedError(
            f"The database already holds demo data that was not made with --seed {seed}. Nothing was written: "
            "seed_demo never mixes data sets. Run it with the seed the data was made with, or use a fresh database."
        )
    return DemoState.PRESENT
