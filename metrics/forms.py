"""Admin forms for distributions and targets.

Target forms only collect text: every rule about what a valid target is lives in
``metrics.services.targets.target_input_clean``, and its ``TargetInputError``
is shown on the field it names.
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django import forms

from metrics.models import MONTH_FIELDS, Distribution, Target
from metrics.registry import KPIS
from metrics.services.targets import (
    TargetInput,
    TargetInputError,
    TargetScope,
    target_input_clean,
    target_scope_parse,
)
from reps.models import SalesRep
from territories.models import Territory

NBSP = "\u00a0"
HUNDRED = Decimal("100")


def percent_total(values: list[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal("0"))


class DistributionForm(forms.ModelForm):
    class Meta:
        model = Distribution
        fields = ["name", "description", *MONTH_FIELDS]
        widgets = {m: forms.NumberInput(attrs={"class": "percent-input", "step": "0.01"}) for m in MONTH_FIELDS}
        # Short labels keep the 12 months on one line.
        labels = {m: m.capitalize() for m in MONTH_FIELDS}

    def clean(self):
        cleaned = super().clean()
        if any(m not in cleaned for m in MONTH_FIELDS):
            return cleaned  # a month already has its own error
        total = percent_total([cleaned[m] for m in MONTH_FIELDS])
        if total != HUNDRED:
            gap = HUNDRED - total
            how = f"{gap:.2f} points short of" if gap > 0 else f"{-gap:.2f} points over"
            raise forms.ValidationError(
                f"The 12 monthly percentages add up to {total:.2f}%, {how} 100%. Nothing was saved.",
                code="distribution_total",
            )
        return cleaned


def scope_choices() -> list:
    """Territories (indented as in the tree) and reps, as ``territory:<code>`` / ``rep:<external_id>``."""
    territories = [
        (f"territory:{code}", f"{NBSP * 3 * (depth - 1)}{name} ({code})")
        for code, name, depth in Territory.objects.order_by("path").values_list("code", "name", "depth")
    ]
    reps = [
        (f"rep:{external_id}", f"{name} ({external_id})" + (f", left {left_on}" if left_on else ""))
        for external_id, name, left_on in SalesRep.objects.order_by("name").values_list(
            "external_id", "name", "left_on"
        )
    ]
    return [("", "---------"), ("Territories", territories), ("Reps", reps)]


def kpi_choices() -> list[tuple[str, str]]:
    def label(kpi) -> str:
        notes = [] if kpi.additive else ["same value every month"]
        if not kpi.for_reps:
            notes.append("territories only")
        return f"{kpi.label} ({', '.join(notes)})" if notes else kpi.label

    return [("", "---------")] + [(kpi.key, label(kpi)) for kpi in KPIS if kpi.targetable]


class TargetEntryForm(forms.Form):
    """Scope, KPI, period, value and how to spread it; ``entry`` holds the validated input."""

    # Plain text fields with select widgets: an unknown scope or KPI reaches the
    # service, which says what is wrong with it.
    scope = forms.CharField(widget=forms.Select, help_text="A territory, or a rep.")
    kpi = forms.CharField(label="KPI", widget=forms.Select)
    period = forms.CharField(
        max_length=40,
        help_text="A month (2025-03), a quarter (2025-Q2) or a year (2025). "
        "Quarters and years follow the fiscal year setting.",
    )
    value = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="The total for the period, e.g. 210000.00; a rate is a fraction (0.25 = 25%).",
    )
    distribution = forms.ModelChoiceField(
        queryset=Distribution.objects.all(),
        required=False,
        empty_label="Evenly",
        help_text="How a quarter or year of a summed KPI is split over its months.",
    )

    field_order = ["scope", "kpi", "period", "value", "distribution"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].widget.choices = scope_choices()
        self.fields["kpi"].widget.choices = kpi_choices()
        self.entry: TargetInput | None = None

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in ("scope", "kpi", "period", "value", "distribution")):
            return cleaned
        try:
            scope = target_scope_parse(cleaned["scope"])
            self.entry = target_input_clean(
                scope=scope,
                kpi=cleaned["kpi"],
                period=cleaned["period"],
                value=cleaned["value"],
                distribution=cleaned.get("distribution"),
            )
        except TargetInputError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned


def target_scope(target: Target) -> TargetScope:
    return TargetScope(territory=target.territory) if target.territory_id else TargetScope(rep=target.rep)


def month_label(month: datetime.date) -> str:
    return f"{calendar.month_name[month.month]} {month.year}"


class TargetValueForm(forms.ModelForm):
    """Change one stored month's value; the service writes it and logs old -> new."""

    class Meta:
        model = Target
        fields = ["value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry: TargetInput | None = None

    def clean(self):
        cleaned = super().clean()
        target = self.instance
        if "value" not in cleaned or target.pk is None:
            return cleaned
        try:
            self.entry = target_input_clean(
                scope=target_scope(target), kpi=target.kpi, period=f"{target.month:%Y-%m}", value=cleaned["value"]
            )
        except TargetInputError as exc:
            self.add_error("value" if exc.field in ("value", "period") else None, exc.message)
        return cleaned
