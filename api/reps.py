"""Reps: the reps the caller may see, each with the territory it is assigned to today."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers

from accounts.access import reps_visible_to
from api.base import ApiView
from api.filters import RepFilter
from api.pagination import PagePagination
from metrics.engine import as_of_date
from reps.models import SalesRep
from territories.models import TerritoryAssignment


class RepSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_key")
    territory = serializers.SerializerMethodField(help_text="Code of the territory the rep is assigned to today.")

    class Meta:
        model = SalesRep
        fields = ["external_id", "name", "email", "scope", "hired_on", "left_on", "territory"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_territory(self, rep: SalesRep) -> str | None:
        day = self.context["today"]
        for assignment in rep.assignments.all():  # prefetched with their territories
            if (assignment.start_date is None or assignment.start_date <= day) and (
                assignment.end_date is None or assignment.end_date >= day
            ):
                return assignment.territory.code
        return None


class _RepView(ApiView):
    visible_to = staticmethod(reps_visible_to)
    serializer_class = RepSerializer

    def narrow(self, queryset: QuerySet) -> QuerySet:
        assignments = TerritoryAssignment.objects.select_related("territory").order_by("start_date")
        return queryset.prefetch_related(Prefetch("assignments", queryset=assignments)).order_by("name", "external_id")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "today": as_of_date()}


class RepListView(mixins.ListModelMixin, _RepView):
    pagination_class = PagePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = RepFilter

    @extend_schema(summary="Reps the caller may see")
    def get(self, request):
        return self.list(request)


class RepDetailView(mixins.RetrieveModelMixin, _RepView):
    lookup_field = "external_id"
    lookup_noun = "rep"

    @extend_schema(summary="One rep")
    def get(self, request, external_id: str):
        return self.retrieve(request)
