"""Admin forms for sales reps: the assignment history edited on the rep's page."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from territories.forms import TerritoryAssignmentForm, assignment_label, overlap_message, periods_overlap
from territories.models import TerritoryAssignment


class RepAssignmentForm(TerritoryAssignmentForm):
    # The formset compares all rows of the rep at once, with their submitted dates.
    check_database_overlaps = False


class AssignmentInlineFormSet(forms.BaseInlineFormSet):
    """Refuse overlapping assignments before the database constraint would.

    Compares the rows being kept (new, changed or untouched) with each other,
    and with any stored row of the rep that is not on the page (added meanwhile
    by someone else or by an import).
    """

    def clean(self):
        super().clean()
        rows = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.errors or self._should_delete_form(form):
                continue
            data = form.cleaned_data
            if not data.get("territory") and not form.has_changed():
                continue  # an empty extra row
            period = (data.get("start_date"), data.get("end_date"))
            rows.append((period, assignment_label(data.get("territory"), *period)))

        shown = {form.instance.pk for form in self.forms if form.instance.pk}
        if self.instance.pk:
            for other in (
                TerritoryAssignment.objects.filter(rep=self.instance).exclude(pk__in=shown).select_related("territory")
            ):
                period = (other.start_date, other.end_date)
                rows.append((period, assignment_label(other.territory, *period)))

        errors = [
            overlap_message(first_label, second_label)
            for i, (first, first_label) in enumerate(rows)
            for second, second_label in rows[i + 1 :]
            if periods_overlap(first, second)
        ]
        if errors:
            raise ValidationError(errors)
