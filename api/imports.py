"""Imports (admins): upload a zip of CRM CSV files, and read back one import run with its issues."""

from __future__ import annotations

import re

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.access import import_runs_visible_to
from api.base import ApiView
from api.permissions import IsAdminRole
from sales.importers import crm_import_uploads
from sales.importers.issues import Issue
from sales.models import ImportRun

# --- serializers -----------------------------------------------------------------------------------


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        min_length=1,
        max_length=60,
        help_text="A zip archive of the CSV files (or the CSV files themselves); repeat the field for several.",
    )
    format = serializers.ChoiceField(choices=ImportRun.Format.choices, default=ImportRun.Format.GENERIC)
    dry_run = serializers.BooleanField(default=False, help_text="Check everything, write nothing.")


class IssueSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField(allow_null=True, help_text="Line in the file; the header is line 1.")
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


# ``Issue.__str__`` is "file[:line]: [column: ]message"; a run keeps its issues as those strings.
_ISSUE = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+))?: (?P<rest>.*)$", re.DOTALL)
_COLUMN = re.compile(r"^(?P<column>[^\s:]+): (?P<message>.+)$", re.DOTALL)


def issue_parse(text: str) -> Issue:
    """Read back an issue stored as text by an import run.

    A column name never holds a space or a colon, so text before the first
    ': ' that holds neither is the column; otherwise the rest is the message.
    """
    match = _ISSUE.match(text)
    if match is None:
        return Issue("", None, "", text)
    line = int(match["line"]) if match["line"] else None
    column = _COLUMN.match(match["rest"])
    if column is None:
        return Issue(match["file"], line, "", match["rest"])
    return Issue(match["file"], line, column["column"], column["message"])


class ImportRunSerializer(serializers.ModelSerializer):
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id", "status", "format", "dry_run", "source", "started_at", "finished_at", "files", "counts",
            "error_count", "errors", "warnings", "affected_months",
        ]  # fmt: skip

    def _issues(self, run: ImportRun, name: str) -> list[dict]:
        exact = self.context.get(name)  # the Issue objects, when the import ran in this request
        issues = exact if exact is not None else [issue_parse(text) for text in getattr(run, name)]
        return IssueSerializer(issues, many=True).data

    @extend_schema_field(IssueSerializer(many=True))
    def get_errors(self, run: ImportRun) -> list[dict]:
        return self._issues(run, "errors")

    @extend_schema_field(IssueSerializer(many=True))
    def get_warnings(self, run: ImportRun) -> list[dict]:
        return self._issues(run, "warnings")


# --- views -----------------------------------------------------------------------------------------


class ImportListView(ApiView):
    visible_to = staticmethod(import_runs_visible_to)
    permission_classes = [IsAuthenticated, IsAdminRole]
    admin_perms = {"POST": ("sales.run_import",)}
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Import a zip of CRM CSV files (all or nothing); the run says what came of it",
        description="Answers 201 with the recorded run whether the import succeeded or not: `status` is "
        "`succeeded` or `failed`, and `errors` lists every problem as {file, line, column, message}.",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportRunSerializer},
        tags=["imports"],
    )
    def post(self, request):
        data = self.body(ImportUploadSerializer)
        # The importer itself asks for the KPIs of the months a written import touched.
        result = crm_import_uploads(
            uploads=data["file"], format=data["format"], dry_run=data["dry_run"], user=request.user
        )
        run = self.get_queryset().get(pk=result.run_id)
        body = ImportRunSerializer(run, context={"errors": result.errors, "warnings": result.warnings}).data
        headers = {"Location": reverse("api:import", args=[run.pk])}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class ImportDetailView(mixins.RetrieveModelMixin, ApiView):
    visible_to = staticmethod(import_runs_visible_to)
    permission_classes = [IsAuthenticated, IsAdminRole]
    admin_perms = {"GET": ("sales.view_importrun",)}
    serializer_class = ImportRunSerializer
    lookup_noun = "import run"

    @extend_schema(summary="One import run", tags=["imports"])
    def get(self, request, pk: int):
        return self.retrieve(request)
