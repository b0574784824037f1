"""Recompute (admins): queue a KPI recompute, and poll the run it returns."""

from __future__ import annotations

import datetime

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.base import ApiView
from api.permissions import IsAdminRole
from api.serializers import fiscal_start_month
from metrics.models import KpiRun
from metrics.periods import PeriodError, period_parse
from metrics.selectors.freshness import kpi_runs_visible_to
from metrics.services.api_runs import kpi_run_queue

# --- serializers -----------------------------------------------------------------------------------


class RecomputeRequestSerializer(serializers.Serializer):
    since = serializers.CharField(
        max_length=7,
        required=False,
        allow_blank=True,
        help_text="YYYY-MM: recompute the periods ending in or after this month; empty: every period.",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_since(self, value: str) -> datetime.date | None:
        if not value:
            return None
        try:
            period = period_parse(value, fiscal_start_month=fiscal_start_month())
        except PeriodError as exc:
            raise serializers.ValidationError(str(exc)) from None
        if period.kind != "month":
            raise serializers.ValidationError(f"{value!r} is not a month YYYY-MM")
        return period.start


class KpiRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)

    class Meta:
        model = KpiRun
        fields = [
            "id", "status", "kind", "since", "as_of", "reason", "started_at", "finished_at", "periods", "rows",
            "error", "requested_by",
        ]  # fmt: skip


# --- views -----------------------------------------------------------------------------------------


class RecomputeView(ApiView):
    visible_to = staticmethod(kpi_runs_visible_to)
    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(
        summary="Queue a KPI recompute (admins); poll the run it returns",
        request=RecomputeRequestSerializer,
        responses={202: KpiRunSerializer},
        tags=["recompute"],
    )
    def post(self, request):
        data = self.body(RecomputeRequestSerializer)
        reason = data.get("reason") or f"requested through the API by {request.user.get_username()}"
        run = kpi_run_queue(since=data.get("since"), reason=reason, user=request.user)
        headers = {"Location": reverse("api:recompute-run", args=[run.pk])}
        return Response(KpiRunSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers=headers)


class RecomputeRunView(mixins.RetrieveModelMixin, ApiView):
    visible_to = staticmethod(kpi_runs_visible_to)
    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = KpiRunSerializer
    lookup_noun = "recompute run"

    @extend_schema(summary="One recompute run: queued, running, succeeded or failed", tags=["recompute"])
    def get(self, request, pk: int):
        return self.retrieve(request)
