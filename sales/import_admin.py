"""The admin's CRM upload page and the (read-only) list of import runs.

The upload page answers 404 to anyone who is not active staff with the
``sales.run_import`` permission: managers and reps must not even learn it exists.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from metrics.admin_hooks import kpi_outlook_message
from sales.importers import crm_import_uploads
from sales.models import ImportRun

# The result page lists this many errors; the run record and the command list them all.
ERRORS_SHOWN = 1000


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _MultipleFileInput(attrs={"accept": ".csv,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_clean(d, initial) for d in data] or [single_clean(None, initial)]
        return [single_clean(data, initial)]


class ImportUploadForm(forms.Form):
    format = forms.ChoiceField(choices=ImportRun.Format.choices, initial=ImportRun.Format.GENERIC)
    files = _MultipleFileField(
        label="Files", help_text="A zip archive of the CSV files, or the CSV files themselves (select several)."
    )
    dry_run = forms.BooleanField(
        required=False, label="Dry run", help_text="Check everything and show the counts, write nothing."
    )


def _issues_html(items: list[str]):
    if not items:
        return "—"
    return format_html("<ul>{}</ul>", format_html_join("", "<li><code>{}</code></li>", ((i,) for i in items)))


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "format", "source", "user", "dry_run", "status", "error_count", "file_names")
    list_filter = ("status", "format", "dry_run", "source")
    date_hierarchy = "started_at"
    change_list_template = "admin/sales/import_runs.html"
    fields = (
        "started_at",
        "finished_at",
        "user",
        "source",
        "format",
        "dry_run",
        "status",
        "files_table",
        "counts_table",
        "error_count",
        "errors_list",
        "warnings_list",
        "months",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="files")
    def file_names(self, run: ImportRun) -> str:
        return ", ".join(f["name"] for f in run.files)

    @admin.display(description="files (sha256)")
    def files_table(self, run: ImportRun):
        return _issues_html([f"{f['name']}  {f['size']:,} bytes  sha256 {f['sha256']}" for f in run.files])

    @admin.display(description="rows created / updated / unchanged")
    def counts_table(self, run: ImportRun):
        lines = [
            f"{file} ({entity}): {c['created']:,} created, {c['updated']:,} updated, {c['unchanged']:,} unchanged"
            for file, entities in run.counts.items()
            for entity, c in entities.items()
        ]
        return _issues_html(lines)

    @admin.display(description="errors")
    def errors_list(self, run: ImportRun):
        return _issues_html(run.errors)

    @admin.display(description="warnings")
    def warnings_list(self, run: ImportRun):
        return _issues_html(run.warnings)

    @admin.display(description="KPI months affected")
    def months(self, run: ImportRun) -> str:
        return ", ".join(m[:7] for m in run.affected_months) or "—"

    def get_urls(self):
        return [
            path("upload/", self.upload_view, name="sales_importrun_upload"),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a zip or CSV files, run the import, show what came of it."""
        user = request.user
        if not (user.is_active and user.is_staff and user.has_perm("sales.run_import")):
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import CRM data",
        }
        if request.method == "POST":
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                result = crm_import_uploads(
                    uploads=form.cleaned_data["files"],
                    format=form.cleaned_data["format"],
                    dry_run=form.cleaned_data["dry_run"],
                    user=user,
                )
                run_url = reverse("admin:sales_importrun_change", args=[result.run_id])
                if not result.errors and not result.dry_run:
                    kpi_outlook_message(request)
                return TemplateResponse(
                    request,
                    "admin/sales/import_result.html",
                    {
                        **context,
                        "title": "Import result",
                        "result": result,
                        "errors": [str(e) for e in result.errors[:ERRORS_SHOWN]],
                        "errors_hidden": max(0, len(result.errors) - ERRORS_SHOWN),
                        "warnings": [str(w) for w in result.warnings],
                        "rows": [
                            (file, entity, counts)
                            for file, entities in result.counts.items()
                            for entity, counts in entities.items()
                        ],
                        "totals": result.totals(),
                        "months": sorted(result.affected_months),
                        "run_url": run_url,
                    },
                )
        else:
            form = ImportUploadForm()
        return TemplateResponse(request, "admin/sales/import_upload.html", {**context, "form": form})
