"""Targets and their change log as ``user`` may read them (the rule is accounts.access's)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.access import owned_rows_visible_to, scoped_rows_visible_to
from metrics.models import Target, TargetChange


def targets_visible_to(*, user) -> QuerySet[Target]:
    """Targets ``user`` may read: those of the territories and reps they may see."""
    return owned_rows_visible_to(Target.objects.all(), user=user)


def target_changes_visible_to(*, user) -> QuerySet[TargetChange]:
    """Target change log rows ``user`` may read: those of the scopes they may see."""
    return scoped_rows_visible_to(TargetChange.objects.all(), user=user)
