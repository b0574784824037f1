"""Targets (quotas), their seasonal distributions and their change log."""

from __future__ import annotations

import calendar
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan, LessThan

from metrics.registry import TARGETABLE_KPI_KEYS, targetable_kpi_choices

MONTH_FIELDS = tuple(calendar.month_abbr[m].lower() for m in range(1, 13))  # jan … dec


def _percent_field(month: int) -> models.DecimalField:
    return models.DecimalField(
        calendar.month_name[month],
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )


_MONTH_SUM = sum((F(m) for m in MONTH_FIELDS[1:]), F(MONTH_FIELDS[0]))


class Distribution(models.Model):
    """A named seasonal plan: the share of a year's target each calendar month gets."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    jan = _percent_field(1)
    feb = _percent_field(2)
    mar = _percent_field(3)
    apr = _percent_field(4)
    may = _percent_field(5)
    jun = _percent_field(6)
    jul = _percent_field(7)
    aug = _percent_field(8)
    sep = _percent_field(9)
    oct = _percent_field(10)
    nov = _percent_field(11)
    dec = _percent_field(12)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Percentages have two decimals; the window absorbs SQLite's float
            # arithmetic while still refusing anything that is not 100.00.
            models.CheckConstraint(
                condition=Q(**{f"{m}__gte": 0 for m in MONTH_FIELDS})
                & Q(GreaterThan(_MONTH_SUM, Decimal("99.995")))
                & Q(LessThan(_MONTH_SUM, Decimal("100.005"))),
                name="distribution_sums_to_100",
                violation_error_message="The monthly percentages of a distribution must add up to 100.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def percentages(self) -> list[Decimal]:
        """The 12 monthly percentages, January first."""
        return [getattr(self, m) for m in MONTH_FIELDS]

    def weight(self, month: int) -> Decimal:
        return getattr(self, MONTH_FIELDS[month - 1])


class Target(models.Model):
    """The target of one KPI for one month and one scope (a territory or a rep).

    Quarter and year targets are stored spread over their months; ``entered_as``
    and ``distribution`` remember how the admin typed them.
    """

    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.CASCADE, null=True, blank=True, related_name="targets"
    )
    rep = models.ForeignKey("reps.SalesRep", on_delete=models.CASCADE, null=True, blank=True, related_name="targets")
    kpi = models.CharField("KPI", max_length=40, choices=targetable_kpi_choices())
    month = models.DateField(help_text="First day of the month.")
    value = models.DecimalField(max_digits=18, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    entered_as = models.CharField(
        max_length=20, blank=True, help_text="The period the value was entered for (2025-Q2, 2025, ...)."
    )
    distribution = models.ForeignKey(Distribution, on_delete=models.SET_NULL, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["month", "kpi"]
        indexes = [models.Index(fields=["kpi", "month"], name="target_kpi_month")]
        constraints = [
            models.CheckConstraint(
                condition=Q(territory__isnull=False, rep__isnull=True) | Q(territory__isnull=True, rep__isnull=False),
                name="target_one_scope",
                violation_error_message="A target belongs to exactly one territory or one rep.",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="target_value_not_negative",
                violation_error_message="A target cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(kpi__in=TARGETABLE_KPI_KEYS),
                name="target_kpi_known",
                violation_error_message="This KPI cannot have a target.",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="target_month_first_day"),
            models.UniqueConstraint(
                fields=["territory", "kpi", "month"],
                condition=Q(territory__isnull=False),
                name="target_unique_territory_kpi_month",
            ),
            models.UniqueConstraint(
                fields=["rep", "kpi", "month"], condition=Q(rep__isnull=False), name="target_unique_rep_kpi_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope_key} {self.kpi} {self.month:%Y-%m} = {self.value}"

    @property
    def scope_key(self) -> str:
        return f"territory:{self.territory.code}" if self.territory_id else f"rep:{self.rep.external_id}"


class TargetChange(models.Model):
    """Who changed which target when, from what to what (append-only)."""

    class Source(models.TextChoices):
        ADMIN = "admin", "Admin form"
        GRID = "grid", "Quota grid"
        IMPORT = "import", "Import"
        API = "api", "API"
        SEED = "seed", "Demo data"

    target = models.ForeignKey(Target, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes")
    scope = models.CharField(max_length=120, help_text="territory:<code> or rep:<external id>.")
    kpi = models.CharField("KPI", max_length=40)
    month = models.DateField()
    old_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    new_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.CharField(max_length=200, blank=True, help_text="How the value was entered, e.g. 2025-Q2 evenly.")

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["scope", "kpi", "month"], name="targetchange_scope_kpi_month")]

    def __str__(self) -> str:
        return f"{self.scope} {self.kpi} {self.month:%Y-%m}: {self.old_value} → {self.new_value}"


class KpiRun(models.Model):
    """One recompute of KPI snapshots: what it covered, how it went (Zulip's FillState idea)."""

    class Status(models.TextChoices):
        # Queued: requested (through the API) and waiting for a worker; the worker then runs this row.
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        FULL = "full", "Full"
        SINCE = "since", "From a month on"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    since = models.DateField(null=True, blank=True, help_text="First month recomputed (incremental runs).")
    as_of = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    periods = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "KPI recompute run"

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.kind}, {self.status})"

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None


class KpiSnapshot(models.Model):
    """A stored KPI value for one scope, period and KPI; pages and the API read only these.

    ``kpi`` is a registry key, or ``funnel`` for the stage funnel (counts in ``extra``).
    """

    scope = models.CharField(max_length=120)
    period = models.CharField(max_length=24)
    period_kind = models.CharField(max_length=8)
    period_start = models.DateField()
    period_end = models.DateField()
    kpi = models.CharField("KPI", max_length=40)
    value = models.FloatField(null=True)
    n = models.FloatField(null=True)
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    target = models.FloatField(null=True)
    attainment = models.FloatField(null=True)
    low_sample = models.BooleanField(default=False)
    provisional = models.BooleanField(default=False)
    extra = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField()
    run = models.ForeignKey(KpiRun, on_delete=models.PROTECT, related_name="snapshots")

    class Meta:
        verbose_name = "KPI snapshot"
        constraints = [models.UniqueConstraint(fields=["scope", "period", "kpi"], name="snapshot_one_per_key")]
        indexes = [
            # trend series of one scope: scope + kind, ordered by start
            models.Index(fields=["scope", "period_kind", "period_start"], name="snapshot_series"),
            # leaderboards and sub-territory comparisons: one period and KPI across scopes
            models.Index(fields=["period", "kpi"], name="snapshot_period_kpi"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.period} {self.kpi} = {self.value}"


class KpiRecomputeRequest(models.Model):
    """A month whose KPIs must be recomputed (from that month on), waiting for the next run.

    Requests are rows, not messages: they survive a broker outage, and one run
    absorbs every request made before it started (debouncing).
    """

    month = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({self.reason})"
