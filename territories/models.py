"""The territory tree and who works where, when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from treebeard.mp_tree import MP_Node


class Territory(MP_Node):
    """A node of the sales territory tree (company > region > territory > ...).

    The tree is stored as a materialized path (django-treebeard): a node's path is
    its ancestors' paths plus one step, so a cycle cannot be written at all, and a
    subtree is one indexed ``path LIKE 'prefix%'`` query, which the KPI engine
    uses for every roll-up.
    """

    code = models.SlugField(max_length=64, unique=True, help_text="Stable key used in imports, URLs and the API.")
    name = models.CharField(max_length=200)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_territories",
        help_text="Users who manage this territory and everything below it.",
    )

    node_order_by = ["code"]

    class Meta:
        verbose_name_plural = "territories"
        constraints = [
            # Keep the materialized path self-consistent at the database level:
            # every step of the path is 4 characters, one per level.
            models.CheckConstraint(
                condition=Q(Exact(Length("path"), F("depth") * 4), depth__gte=1),
                name="territory_path_matches_depth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def scope_key(self) -> str:
        return f"territory:{self.code}"


class TerritoryAssignment(models.Model):
    """A rep works in a territory from ``start_date`` to ``end_date`` (both inclusive).

    An empty start means "since always", an empty end "until further notice". One
    rep never has two assignments on the same day: PostgreSQL enforces it with an
    exclusion constraint and SQLite with a trigger (see migration 0002).
    """

    rep = models.ForeignKey("reps.SalesRep", on_delete=models.CASCADE, related_name="assignments")
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="assignments")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["rep", "start_date"]
        indexes = [models.Index(fields=["territory", "start_date", "end_date"], name="assignment_territory_dates")]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_end_after_start",
                violation_error_message="The assignment ends before it starts.",
            ),
        ]

    def __str__(self) -> str:
        start = self.start_date.isoformat() if self.start_date else "…"
        end = self.end_date.isoformat() if self.end_date else "…"
        return f"{self.rep} in {self.territory.code} {start}–{end}"
