"""Deals: the deals the caller may see (managers: stored in their territories; reps: their own)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from accounts.access import deals_visible_to
from api.base import ApiView
from api.filters import DealFilter
from api.pagination import KeysetPagination, SortKey
from sales.models import Deal


class DealSerializer(serializers.ModelSerializer):
    territory = serializers.CharField(source="territory.code")
    owner = serializers.CharField(source="owner.external_id")
    customer = serializers.CharField(source="customer.external_id", allow_null=True, default=None)
    net_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Deal
        fields = [
            "external_id", "name", "stage", "lost_from_stage", "amount", "refunded_amount", "net_amount",
            "created_on", "closed_on", "ends_on", "product", "territory", "owner", "customer",
        ]  # fmt: skip


class _DealView(ApiView):
    visible_to = staticmethod(deals_visible_to)
    serializer_class = DealSerializer

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("territory", "owner", "customer")


class DealListView(mixins.ListModelMixin, _DealView):
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = DealFilter
    sort_keys = {
        "closed_on": SortKey("closed_on", datetime.date, nullable=True),
        "created_on": SortKey("created_on", datetime.date, nullable=True),
        "amount": SortKey("amount", Decimal),
        "external_id": SortKey("external_id", str),
    }
    default_ordering = "-closed_on"

    @extend_schema(summary="Deals the caller may see (managers: stored in their territories; reps: their own)")
    def get(self, request):
        return self.list(request)


class DealDetailView(mixins.RetrieveModelMixin, _DealView):
    lookup_field = "external_id"
    lookup_noun = "deal"

    @extend_schema(summary="One deal")
    def get(self, request, external_id: str):
        return self.retrieve(request)
