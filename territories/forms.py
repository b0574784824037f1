"""Admin forms for the territory tree and territory assignments."""

from __future__ import annotations

import datetime

from django import forms
from treebeard.forms import MoveNodeForm, movenodeform_factory

from territories.models import Territory, TerritoryAssignment


def period_label(start: datetime.date | None, end: datetime.date | None) -> str:
    """Write an inclusive date period, an empty end being open."""
    return f"{start.isoformat() if start else 'open'} – {end.isoformat() if end else 'open'}"


def periods_overlap(
    a: tuple[datetime.date | None, datetime.date | None], b: tuple[datetime.date | None, datetime.date | None]
) -> bool:
    """Tell whether two inclusive periods share a day (None = unbounded), as the DB constraint does."""
    (a_start, a_end), (b_start, b_end) = a, b
    a_not_after_b = a_start is None or b_end is None or a_start <= b_end
    b_not_after_a = b_start is None or a_end is None or b_start <= a_end
    return a_not_after_b and b_not_after_a


def assignment_label(territory: Territory | None, start: datetime.date | None, end: datetime.date | None) -> str:
    where = territory.code if territory is not None else "?"
    return f"{where} {period_label(start, end)}"


def overlap_message(first: str, second: str) -> str:
    return f"The assignments {first} and {second} overlap: a rep works in one territory at a time."


class _TerritoryMoveForm(MoveNodeForm):
    """Treebeard's node form, with a readable error for a move into the node's own branch."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Treebeard hides the node's own branch from the choices, so a stale page
        # or a crafted POST would only get "not one of the available choices";
        # offering the whole tree lets clean() say what is actually wrong.
        self.fields["treebeard_ref_node"].queryset = Territory.objects.get_tree()

    def clean(self):
        cleaned = super().clean()
        node, ref = self.instance, cleaned.get("treebeard_ref_node")
        if node.pk is None or ref is None:
            return cleaned
        position = cleaned.get("treebeard_position")
        if ref.pk == node.pk and position == "sorted-child":
            self.add_error("treebeard_ref_node", f"{node} cannot be placed under itself.")
        elif ref.pk != node.pk and ref.path.startswith(node.path):
            self.add_error(
                "treebeard_ref_node",
                f"{node} cannot move under {ref}: {ref.code} is inside {node.code}'s own branch. "
                f"Pick a territory outside {node.code} and everything below it.",
            )
        return cleaned


TerritoryForm = movenodeform_factory(Territory, form=_TerritoryMoveForm, fields=["code", "name", "managers"])


class TerritoryAssignmentForm(forms.ModelForm):
    """One assignment: end on or after start, and no overlap with the rep's other assignments.

    In the rep's inline the formset checks the rows it shows against each other
    (with their submitted dates), so ``check_database_overlaps`` is turned off
    there and only the stand-alone form compares against stored rows.
    """

    check_database_overlaps = True

    class Meta:
        model = TerritoryAssignment
        fields = ["rep", "territory", "start_date", "end_date"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date", f"The assignment ends on {end.isoformat()}, before it starts ({start.isoformat()})."
            )
            return cleaned
        rep = cleaned.get("rep")
        if self.check_database_overlaps and rep is not None and not self.has_error("start_date"):
            others = TerritoryAssignment.objects.filter(rep=rep).select_related("territory")
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            mine = assignment_label(cleaned.get("territory"), start, end)
            for other in others:
                if periods_overlap((start, end), (other.start_date, other.end_date)):
                    theirs = assignment_label(other.territory, other.start_date, other.end_date)
                    self.add_error(None, overlap_message(mine, theirs) + " Change the dates of one of them first.")
        return cleaned
