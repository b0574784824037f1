"""Admin pages for targets: the entry form with its preview, and the quota grid.

Both are thin: the forms validate through ``target_input_clean`` and the writes
go through ``targets_set`` / ``targets_grid_save``, which log every change.
"""

from __future__ import annotations

import calendar
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from metrics.admin_hooks import kpi_outlook_message
from metrics.forms import TargetEntryForm
from metrics.models import Target, TargetChange
from metrics.registry import KPI_BY_KEY, KPIS
from metrics.services.targets import (
    CENT,
    TargetInput,
    TargetInputError,
    TargetScope,
    target_input_clean,
    target_months,
    targets_grid_save,
    targets_set,
)
from reps.models import SalesRep
from territories.models import Territory, TerritoryAssignment

NBSP = "\u00a0"


def value_display(value: Decimal) -> str:
    """Write a target value with thousands separators: cents when it has them, else up to 4 decimals."""
    if value == value.quantize(CENT):
        return f"{value.quantize(CENT):,}"
    return f"{value.normalize():,f}"


def value_input(value: Decimal | None) -> str:
    """Write a value as typed in an input (no separators); empty for no target."""
    if value is None:
        return ""
    if value == value.quantize(CENT):
        return f"{value.quantize(CENT)}"
    return f"{value.normalize():f}"


# --- Target entry ------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    month: str
    value: str
    current: str


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]
    total: str | None  # None when the KPI is not a sum over months
    note: str


def target_current_values(*, scope: TargetScope, kpi: str, months: list[datetime.date]) -> dict[datetime.date, Decimal]:
    """Return the stored targets of ``scope`` and ``kpi`` for ``months``."""
    return dict(Target.objects.filter(kpi=kpi, month__in=months, **scope.filter_kwargs()).values_list("month", "value"))


def target_entry_preview(entry: TargetInput) -> Preview:
    """Resolve an entry to its months, beside the values stored today."""
    months = target_months(entry)
    current = target_current_values(scope=entry.scope, kpi=entry.kpi.key, months=list(months))
    rows = [
        PreviewRow(
            month=f"{month:%Y-%m}",
            value=value_display(value),
            current=value_display(current[month]) if month in current else "—",
        )
        for month, value in months.items()
    ]
    if entry.kpi.additive:
        total = value_display(sum(months.values(), Decimal("0")))
        note = f"{entry.kpi.label} for {entry.scope.key}, {entry.note}."
    else:
        total = None
        note = f"{entry.kpi.label} is not a sum over months: every month of {entry.period.label} gets the value."
    return Preview(rows=rows, total=total, note=note)


def target_entry_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    """Enter a month, quarter or year target; Preview shows the months, Save writes them."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = TargetEntryForm(request.POST or None, initial={"kpi": "revenue"})
    preview = None
    if request.method == "POST" and form.is_valid():
        if "_save" in request.POST:
            result = targets_set(entry=form.entry, user=request.user, source=TargetChange.Source.ADMIN)
            months = result.created + result.updated + result.unchanged
            messages.success(
                request,
                f"Saved {months} months (created {result.created}, updated {result.updated}, "
                f"unchanged {result.unchanged}) of {form.entry.kpi.label} for {form.entry.scope.key}, "
                f"{form.entry.note}.",
            )
            kpi_outlook_message(request)
            return HttpResponseRedirect(reverse("admin:metrics_target_changelist"))
        preview = target_entry_preview(form.entry)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Target._meta,
        "title": "Enter a target",
        "form": form,
        "preview": preview,
        "media": model_admin.media + form.media,
        "fiscal_start": calendar.month_name[settings.FISCAL_YEAR_START_MONTH],
        "fiscal_calendar": settings.FISCAL_YEAR_START_MONTH == 1,
    }
    return TemplateResponse(request, "admin/metrics/target/entry.html", context)


# --- Quota grid --------------------------------------------------------------------


def grid_kpi_choices() -> list[tuple[str, str]]:
    return [(kpi.key, kpi.label) for kpi in KPIS if kpi.targetable and kpi.for_reps]


def grid_territory_choices() -> list[tuple[str, str]]:
    return [("", "All reps employed during the year")] + [
        (code, f"{NBSP * 3 * (depth - 1)}{name} ({code})")
        for code, name, depth in Territory.objects.order_by("path").values_list("code", "name", "depth")
    ]


class GridFilterForm(forms.Form):
    year = forms.IntegerField(min_value=1900, max_value=2999)
    kpi = forms.ChoiceField(label="KPI")
    territory = forms.ChoiceField(required=False, label="Reps assigned to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = grid_kpi_choices()
        self.fields["territory"].choices = grid_territory_choices()


def grid_reps(*, year: int, kpi: str, territory_code: str = ""):
    """Reps of the grid: assigned to the territory (or below) during the year, else employed then.

    A rep who already has a target of the KPI in the year is always listed, so
    no stored target is hidden from the grid.
    """
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    has_target = Exists(Target.objects.filter(rep=OuterRef("pk"), kpi=kpi, month__year=year))
    if territory_code:
        path = Territory.objects.filter(code=territory_code).values_list("path", flat=True).first() or "-"
        assigned = TerritoryAssignment.objects.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=end),
            Q(end_date__isnull=True) | Q(end_date__gte=start),
            rep=OuterRef("pk"),
            territory__path__startswith=path,
        )
        return SalesRep.objects.filter(Exists(assigned)).order_by("name", "external_id")
    employed = (Q(hired_on__isnull=True) | Q(hired_on__lte=end)) & (Q(left_on__isnull=True) | Q(left_on__gte=start))
    return SalesRep.objects.filter(employed | Q(has_target)).order_by("name", "external_id")


def grid_current_values(*, rep_ids: list[int], kpi: str, year: int) -> dict[tuple[int, int], Decimal]:
    """Return stored month targets keyed by (rep id, month number)."""
    rows = Target.objects.filter(rep_id__in=rep_ids, kpi=kpi, month__year=year).values_list("rep_id", "month", "value")
    return {(rep_id, month.month): value for rep_id, month, value in rows}


@dataclass
class GridCell:
    name: str
    value: str
    label: str
    error: str = ""


@dataclass
class GridRow:
    rep: SalesRep
    cells: list[GridCell] = field(default_factory=list)
    values: list[Decimal | None] = field(default_factory=list)  # what the totals add up
    total: str = ""


def _sum_display(values: list[Decimal | None]) -> str:
    present = [v for v in values if v is not None]
    return value_display(sum(present, Decimal("0"))) if present else "—"


def _page_baseline(text: str | None) -> dict[str, Decimal] | None:
    """Read the values the page was drawn with (``{"<rep id>-<month>": "value"}``); None if unreadable."""
    try:
        data = json.loads(text or "")
        return {str(key): Decimal(str(value)) for key, value in data.items()}
    except (ValueError, TypeError, AttributeError, ArithmeticError):
        return None


def target_grid_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    """Reps × the 12 calendar months of a year for one KPI; save every changed cell at once."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    today = settings.KPI_AS_OF or timezone.localdate()
    params = request.GET.copy()
    params.setdefault("year", str(today.year))
    params.setdefault("kpi", "revenue")
    filter_form = GridFilterForm(params)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Target._meta,
        "title": "Quota grid",
        "filter_form": filter_form,
        "months": [calendar.month_abbr[m] for m in range(1, 13)],
        "fiscal_start": calendar.month_name[settings.FISCAL_YEAR_START_MONTH],
        "fiscal_calendar": settings.FISCAL_YEAR_START_MONTH == 1,
        # A cell can create, change or clear a target.
        "can_save": model_admin.has_add_permission(request)
        and model_admin.has_change_permission(request)
        and model_admin.has_delete_permission(request),
    }
    if not filter_form.is_valid():
        return TemplateResponse(request, "admin/metrics/target/grid.html", context)

    year, kpi_key = filter_form.cleaned_data["year"], filter_form.cleaned_data["kpi"]
    kpi = KPI_BY_KEY[kpi_key]
    query = urlencode({k: v for k, v in filter_form.cleaned_data.items() if v})
    reps = list(grid_reps(year=year, kpi=kpi_key, territory_code=filter_form.cleaned_data["territory"]))
    context.update({"kpi": kpi, "year": year, "query": query, "rep_count": len(reps)})
    # Each cell is a POST field; past Django's field limit the POST would be refused.
    max_reps = (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS or 10**9) // 12 - 1
    if len(reps) > max_reps:
        context["too_many"] = max_reps
        return TemplateResponse(request, "admin/metrics/target/grid.html", context)
    posting = request.method == "POST"
    if posting and not context["can_save"]:
        raise PermissionDenied

    current = grid_current_values(rep_ids=[r.pk for r in reps], kpi=kpi_key, year=year)
    # The values the page was drawn with are the baseline, so a cell this user did
    # not touch never overwrites a change someone else saved meanwhile.
    baseline = _page_baseline(request.POST.get("baseline")) if posting else None
    rows, errors, changed = [], [], {}
    for rep in reps:
        row = GridRow(rep=rep)
        for m in range(1, 13):
            stored = current.get((rep.pk, m))
            cell = GridCell(
                name=f"c-{rep.pk}-{m}",
                value=value_input(stored),
                label=f"{rep.name} ({rep.external_id}), {calendar.month_name[m]} {year}",
            )
            row.cells.append(cell)
            if not posting:
                row.values.append(stored)
                continue
            cell.value = request.POST.get(cell.name, "").strip()
            new = None
            if cell.value:
                try:
                    period = f"{year}-{m:02d}"
                    new = target_input_clean(scope=TargetScope(rep=rep), kpi=kpi_key, period=period, value=cell.value)
                    new = new.value
                except TargetInputError as exc:
                    cell.error = exc.message
                    errors.append(f"{cell.label}: {exc.message}")
            row.values.append(None if cell.error else new)
            was = stored if baseline is None else baseline.get(f"{rep.pk}-{m}")
            if not cell.error and new != was:
                changed[(rep.pk, datetime.date(year, m, 1))] = new
        row.total = _sum_display(row.values) if kpi.additive else ""
        rows.append(row)

    if posting and not errors:
        if changed:
            result = targets_grid_save(kpi=kpi_key, cells=changed, user=request.user)
            messages.success(
                request,
                f"Saved {len(changed)} changed cells of {kpi.label} {year} "
                f"(created {result.created}, updated or cleared {result.updated}, unchanged {result.unchanged}).",
            )
            kpi_outlook_message(request)
        else:
            messages.info(request, "Nothing changed: no cell differs from the saved grid.")
        return HttpResponseRedirect(f"{reverse('admin:metrics_target_grid')}?{query}")
    if errors:
        messages.error(request, f"Nothing was saved: {len(errors)} cells are not valid targets (listed below).")

    additive_totals = kpi.additive and rows
    context.update(
        {
            "rows": rows,
            "errors": errors,
            "baseline": json.dumps(
                {f"{rep_id}-{m}": value_input(value) for (rep_id, m), value in sorted(current.items())}
                if baseline is None
                else {key: value_input(value) for key, value in baseline.items()}
            ),
            "column_totals": [_sum_display([row.values[m] for row in rows]) for m in range(12)]
            if additive_totals
            else [],
            "grand_total": _sum_display([v for row in rows for v in row.values]) if additive_totals else "",
        }
    )
    return TemplateResponse(request, "admin/metrics/target/grid.html", context)
