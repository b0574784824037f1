"""The deals behind a KPI: the facts a drill-down lists, by the KPI's own rule (spec/kpis.md)."""

from __future__ import annotations

import datetime

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from accounts.access import deals_visible_to
from metrics.periods import Period
from reps.models import SalesRep
from sales.models import Deal, Stage
from territories.models import Territory


def kpi_deals(
    *,
    user,
    kpi: str,
    period: Period,
    as_of: datetime.date,
    territory: Territory | None = None,
    rep: SalesRep | None = None,
) -> QuerySet[Deal]:
    """The deals behind ``kpi`` in ``period`` that ``user`` may see, for a territory subtree, a rep or the company.

    Unordered, annotated with ``net``. For an unrestricted user the list has exactly as
    many rows as the KPI counts; it lists facts and never adds them up.
    """
    deals = deals_visible_to(user=user)
    if territory is not None:
        deals = deals.filter(territory__path__startswith=territory.path)
    elif rep is not None:
        deals = deals.filter(owner=rep)
    last_day = min(period.end, as_of)
    if kpi in ("revenue", "deals_won", "new_customers"):
        deals = deals.filter(stage=Stage.WON, closed_on__gte=period.start, closed_on__lte=last_day)
    if kpi == "new_customers":
        first_won = (
            Deal.objects.filter(customer=OuterRef("customer"), stage=Stage.WON, closed_on__isnull=False)
            .order_by("closed_on", "external_id")
            .values("pk")[:1]
        )
        deals = deals.filter(customer__isnull=False).filter(pk=Subquery(first_won))
    if kpi == "pipeline_value":
        created = Q(created_on__lte=last_day)
        if last_day >= as_of:
            # An open deal without a creation date is in today's pipeline only (spec/kpis.md).
            created |= Q(created_on__isnull=True)
        # The open condition stands alone (not inside an OR), so (territory|owner, closed_on) indexes apply.
        deals = deals.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=last_day), created)
    return deals.annotate(net=F("amount") - F("refunded_amount")).select_related("owner", "territory", "customer")
