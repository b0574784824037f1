"""Sales reps: the people who own deals, customers and activities."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class SalesRepQuerySet(models.QuerySet):
    def employed_on(self, day: datetime.date) -> SalesRepQuerySet:
        """Reps hired on or before ``day`` who had not left before it."""
        return self.filter(Q(hired_on__isnull=True) | Q(hired_on__lte=day)).filter(
            Q(left_on__isnull=True) | Q(left_on__gte=day)
        )


class SalesRep(models.Model):
    external_id = models.CharField(max_length=100, unique=True, help_text="The rep's id in the CRM.")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_rep",
        help_text="The login that sees this rep's scorecard.",
    )
    hired_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True, help_text="Last day of employment.")

    objects = SalesRepQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "sales rep"
        constraints = [
            models.CheckConstraint(
                condition=Q(hired_on__isnull=True) | Q(left_on__isnull=True) | Q(left_on__gte=F("hired_on")),
                name="rep_leaves_after_hire",
                violation_error_message="A rep cannot leave before being hired.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    @property
    def scope_key(self) -> str:
        return f"rep:{self.external_id}"
