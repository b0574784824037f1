"""The facts every KPI is computed from.

Each fact stores the territory it belonged to when it happened (point-in-time
attribution): moving a rep or a customer later never moves history.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

MONEY = {"max_digits": 14, "decimal_places": 2}


class Product(models.Model):
    name = models.CharField(max_length=100, unique=True)
    series = models.CharField(max_length=100, blank=True)
    list_price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_not_negative")]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    external_id = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=100, blank=True)
    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.PROTECT, null=True, blank=True, related_name="customers"
    )
    owner = models.ForeignKey(
        "reps.SalesRep", on_delete=models.PROTECT, null=True, blank=True, related_name="customers"
    )
    churned_on = models.DateField(null=True, blank=True, help_text="Explicit churn date, if the CRM knows it.")

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["territory"], name="customer_territory"),
            models.Index(fields=["owner"], name="customer_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    LEAD = "lead", "Lead"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


OPEN_STAGES = (Stage.LEAD, Stage.QUALIFIED, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.WON, Stage.LOST)


class Deal(models.Model):
    external_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey("reps.SalesRep", on_delete=models.PROTECT, related_name="deals")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="deals")
    # Fixed when the deal closes: the territory the deal counts for, forever.
    territory = models.ForeignKey("territories.Territory", on_delete=models.PROTECT, related_name="deals")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    lost_from_stage = models.CharField(
        max_length=20,
        choices=[(s.value, s.label) for s in OPEN_STAGES],
        blank=True,
        help_text="For a lost deal: the last stage it reached (lead when not given).",
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    refunded_amount = models.DecimalField(**MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    created_on = models.DateField(null=True, blank=True, help_text="Unknown on some imported deals.")
    closed_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True, help_text="Contract end, if any.")
    product = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-closed_on", "external_id"]
        indexes = [
            models.Index(fields=["territory", "closed_on"], name="deal_territory_closed"),
            models.Index(fields=["owner", "closed_on"], name="deal_owner_closed"),
            models.Index(fields=["territory", "created_on"], name="deal_territory_created"),
            models.Index(fields=["owner", "created_on"], name="deal_owner_created"),
            models.Index(fields=["customer", "closed_on"], name="deal_customer_closed"),
            # Drill-downs count a period's won deals of a territory or rep from the index alone.
            models.Index(fields=["stage", "closed_on"], include=["territory", "owner"], name="deal_stage_closed"),
            # Open deals (no close date, or closed after a day) for pipeline drill-downs.
            models.Index(fields=["closed_on"], name="deal_closed"),
            # A customer's first won deal (new-customers drill-down): one index-only probe per won deal.
            models.Index(
                fields=["customer", "closed_on", "external_id"],
                include=["id"],
                condition=Q(stage="won"),
                name="deal_first_won",
            ),
            # The API's keyset order by amount (ordering=-amount walks it backwards).
            models.Index(fields=["amount", "id"], name="deal_amount_keyset"),
            # The API's default keyset order (api.pagination): newest close first, open deals last.
            models.Index(
                Coalesce("closed_on", Value(datetime.date.min), output_field=models.DateField()),
                F("id"),
                name="deal_closed_keyset",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="deal_stage_valid"),
            models.CheckConstraint(
                condition=Q(stage__in=CLOSED_STAGES, closed_on__isnull=False)
                | Q(stage__in=OPEN_STAGES, closed_on__isnull=True),
                name="deal_closed_iff_closed_on",
                violation_error_message="A deal is closed (won or lost) exactly when it has a close date.",
            ),
            models.CheckConstraint(
                condition=Q(lost_from_stage="") | Q(stage=Stage.LOST, lost_from_stage__in=OPEN_STAGES),
                name="deal_lost_from_stage_only_when_lost",
                violation_error_message="Only a lost deal has a stage it was lost from, and it is an open stage.",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="deal_refund_within_amount",
                violation_error_message="The refunded amount must be between 0 and the deal amount.",
            ),
            models.CheckConstraint(
                condition=Q(created_on__isnull=True) | Q(closed_on__isnull=True) | Q(closed_on__gte=F("created_on")),
                name="deal_closes_after_created",
                violation_error_message="A deal cannot close before it was created.",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(closed_on__isnull=False, ends_on__gte=F("closed_on")),
                name="deal_contract_ends_after_close",
                violation_error_message="A contract end needs a close date on or before it.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}".strip()

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.refunded_amount

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"


class Activity(models.Model):
    external_id = models.CharField(max_length=100, unique=True)
    rep = models.ForeignKey("reps.SalesRep", on_delete=models.PROTECT, related_name="activities")
    territory = models.ForeignKey("territories.Territory", on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(max_length=10, choices=ActivityKind.choices)
    occurred_on = models.DateField()
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities")

    class Meta:
        ordering = ["-occurred_on", "external_id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["territory", "occurred_on"], name="activity_territory_day"),
            models.Index(fields=["rep", "occurred_on"], name="activity_rep_day"),
            models.Index(fields=["deal", "occurred_on"], name="activity_deal_day"),
        ]
        constraints = [models.CheckConstraint(condition=Q(kind__in=ActivityKind.values), name="activity_kind_valid")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on} ({self.external_id})"


class SurveyKind(models.TextChoices):
    CSAT = "csat", "CSAT (1–5)"
    NPS = "nps", "NPS (0–10)"


class SurveyResponse(models.Model):
    external_id = models.CharField(max_length=100, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="survey_responses")
    # The rep the response is credited to (else the customer's owner, resolved by the engine).
    rep = models.ForeignKey(
        "reps.SalesRep", on_delete=models.PROTECT, null=True, blank=True, related_name="survey_responses"
    )
    territory = models.ForeignKey("territories.Territory", on_delete=models.PROTECT, related_name="survey_responses")
    kind = models.CharField(max_length=10, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField()
    responded_on = models.DateField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-responded_on", "external_id"]
        indexes = [
            models.Index(fields=["territory", "responded_on"], name="survey_territory_day"),
            models.Index(fields=["rep", "responded_on"], name="survey_rep_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=SurveyKind.CSAT, score__gte=1, score__lte=5)
                | Q(kind=SurveyKind.NPS, score__gte=0, score__lte=10),
                name="survey_score_in_scale",
                violation_error_message="A CSAT score is 1–5 and an NPS score is 0–10.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} on {self.responded_on}"


class Expense(models.Model):
    """Monthly sales & marketing spend of a territory (CAC's numerator).

    ``category`` is a free label from the CRM or finance export (sales, marketing,
    events, ...); every row counts towards CAC.
    """

    territory = models.ForeignKey("territories.Territory", on_delete=models.PROTECT, related_name="expenses")
    month = models.DateField(help_text="First day of the month.")
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    category = models.CharField(max_length=50, default="sales")

    class Meta:
        ordering = ["-month", "territory"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "month", "category"], name="expense_one_per_category_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="expense_amount_not_negative"),
            models.CheckConstraint(condition=Q(month__day=1), name="expense_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.territory.code} {self.month:%Y-%m} {self.category} {self.amount}"


class ImportRun(models.Model):
    """One run of the CRM importer (command or admin upload): what was read and what came of it."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (nothing written)"

    class Format(models.TextChoices):
        GENERIC = "generic", "Generic CSV set"
        MAVEN = "maven", "Maven CRM export"

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="crm_import_runs"
    )
    source = models.CharField(max_length=20, help_text="command or upload")
    format = models.CharField(max_length=10, choices=Format.choices)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices)
    files = models.JSONField(default=list, help_text="Name, size and sha256 of every file read.")
    counts = models.JSONField(default=dict, help_text="file -> rows -> created / updated / unchanged.")
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, help_text="file:line: column: message (the first 10,000).")
    warnings = models.JSONField(default=list)
    affected_months = models.JSONField(default=list, help_text="First days of the months whose KPIs changed.")

    class Meta:
        ordering = ["-started_at", "-id"]
        permissions = [("run_import", "Can import CRM data")]

    def __str__(self) -> str:
        mode = " (dry run)" if self.dry_run else ""
        return f"{self.format} import {self.started_at:%Y-%m-%d %H:%M}{mode}: {self.get_status_display()}"
