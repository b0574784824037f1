"""Targets: month targets (read by all, written by admins, every write logged) and the target change log."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.base import ApiView
from api.filters import TargetChangeFilter, TargetFilter
from api.pagination import PagePagination
from api.permissions import ReadOrAdminWrite
from metrics.models import Target, TargetChange
from metrics.registry import TARGETABLE_KPI_KEYS
from metrics.selectors.targets import target_changes_visible_to, targets_visible_to
from metrics.services.targets import (
    TargetInputError,
    TargetScope,
    target_input_clean,
    target_scope_parse,
    targets_delete,
    targets_set,
)

T = TypeVar("T")

# --- serializers -----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2025-04"})
class MonthField(serializers.DateField):
    """A first-of-month date shown as YYYY-MM."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class TargetEntrySerializer(serializers.Serializer):
    """A target entry as in the admin: a month, quarter or year value, spread evenly or by a distribution."""

    scope = serializers.CharField(max_length=200, help_text="territory:<code> or rep:<external_id>")
    kpi = serializers.ChoiceField(choices=TARGETABLE_KPI_KEYS)
    period = serializers.CharField(max_length=40, help_text="YYYY-MM, YYYY-Qn or YYYY")
    value = serializers.CharField(max_length=40, help_text="A number (sent as a JSON number or a string).")
    distribution = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Name of a distribution (quarters and years)."
    )


class TargetValueSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=40, help_text="The month's new value.")


class TargetSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_key")
    month = MonthField(help_text="YYYY-MM")
    distribution = serializers.CharField(source="distribution.name", allow_null=True, default=None)

    class Meta:
        model = Target
        fields = ["id", "scope", "kpi", "month", "value", "entered_as", "distribution", "updated_at"]


class TargetWriteResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    targets = TargetSerializer(many=True)


class TargetChangeSerializer(serializers.ModelSerializer):
    month = MonthField()
    changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)

    class Meta:
        model = TargetChange
        fields = ["id", "scope", "kpi", "month", "old_value", "new_value", "changed_by", "changed_at", "source", "note"]


# --- views -----------------------------------------------------------------------------------------


def _target_input(clean: Callable[..., T], *args, **kwargs) -> T:
    """``clean(*args, **kwargs)``; a TargetInputError is a 400 naming its field."""
    try:
        return clean(*args, **kwargs)
    except TargetInputError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None


class _TargetView(ApiView):
    visible_to = staticmethod(targets_visible_to)
    serializer_class = TargetSerializer
    permission_classes = [IsAuthenticated, ReadOrAdminWrite]

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("territory", "rep", "distribution").order_by("month", "kpi", "id")


class TargetListView(mixins.ListModelMixin, _TargetView):
    pagination_class = PagePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TargetFilter
    admin_perms = {"POST": ("metrics.add_target", "metrics.change_target")}

    @extend_schema(summary="Month targets of the territories and reps the caller may see", tags=["targets"])
    def get(self, request):
        return self.list(request)

    @extend_schema(
        summary="Set a month, quarter or year target (admins; spread over months as in the admin, logged)",
        request=TargetEntrySerializer,
        responses={201: TargetWriteResultSerializer, 200: TargetWriteResultSerializer},
        tags=["targets"],
    )
    def post(self, request):
        data = self.body(TargetEntrySerializer)
        scope = _target_input(target_scope_parse, data["scope"])
        entry = _target_input(
            target_input_clean,
            scope=scope,
            kpi=data["kpi"],
            period=data["period"],
            value=data["value"],
            distribution=data.get("distribution") or None,
        )
        result = targets_set(entry=entry, user=request.user, source=TargetChange.Source.API)
        targets = self.get_queryset().filter(kpi=entry.kpi.key, month__in=list(result.months), **scope.filter_kwargs())
        body = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "targets": TargetSerializer(targets, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class TargetDetailView(mixins.RetrieveModelMixin, _TargetView):
    lookup_noun = "target"
    admin_perms = {"PUT": ("metrics.change_target",), "DELETE": ("metrics.delete_target",)}

    @extend_schema(summary="One month target", tags=["targets"])
    def get(self, request, pk: int):
        return self.retrieve(request)

    @extend_schema(
        summary="Change one month's value (admins; logged)",
        request=TargetValueSerializer,
        responses=TargetSerializer,
        tags=["targets"],
    )
    def put(self, request, pk: int):
        target = self.get_object()
        data = self.body(TargetValueSerializer)
        scope = TargetScope(territory=target.territory) if target.territory_id else TargetScope(rep=target.rep)
        entry = _target_input(
            target_input_clean, scope=scope, kpi=target.kpi, period=target.month.strftime("%Y-%m"), value=data["value"]
        )
        targets_set(entry=entry, user=request.user, source=TargetChange.Source.API)
        return Response(TargetSerializer(self.get_object()).data)

    @extend_schema(summary="Delete one month target (admins; logged)", responses={204: None}, tags=["targets"])
    def delete(self, request, pk: int):
        targets_delete(targets=[self.get_object()], user=request.user, source=TargetChange.Source.API)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TargetChangeListView(mixins.ListModelMixin, ApiView):
    visible_to = staticmethod(target_changes_visible_to)
    serializer_class = TargetChangeSerializer
    pagination_class = PagePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TargetChangeFilter

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("changed_by").order_by("-changed_at", "-id")

    @extend_schema(summary="The target change log (who changed what, when), newest first", tags=["targets"])
    def get(self, request):
        return self.list(request)
