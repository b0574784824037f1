"""Drill-down: the deals or customers behind a KPI card, listed, sorted, paginated and exported.

Rows come from ``metrics.selectors.drilldowns.kpi_deals`` (the deals the user may
see, narrowed to the page's scope and period by the KPI's own rule), so the list
of an unrestricted user has exactly as many rows as the KPI counts. This lists
facts; it never adds them up (the number above the list is the stored snapshot).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import Role
from dashboards.csv_export import csv_response
from dashboards.formatting import value_format
from dashboards.page import BadPageInput, PageScope, page_context, page_period, page_view, viewer_of, with_period
from dashboards.readers import SNAPSHOTS
from metrics.engine import as_of_date
from metrics.periods import Period
from metrics.registry import KPI_BY_KEY, KPIS
from metrics.selectors.drilldowns import kpi_deals
from metrics.selectors.freshness import kpi_freshness
from sales.models import Deal

PAGE_SIZE = 50


@dataclass(frozen=True)
class Column:
    key: str  # sort key
    label: str
    field: str  # ORM ordering expression


DEAL_COLUMNS = (
    Column("deal", "Deal", "external_id"),
    Column("customer", "Customer", "customer__name"),
    Column("owner", "Owner", "owner__name"),
    Column("territory", "Territory", "territory__name"),
    Column("stage", "Stage", "stage"),
    Column("created", "Created", "created_on"),
    Column("closed", "Closed", "closed_on"),
    Column("amount", "Amount", "amount"),
    Column("refunded", "Refunded", "refunded_amount"),
    Column("net", "Net amount", "net"),
)
_DEAL = {column.key: column for column in DEAL_COLUMNS}
# A new customer's row is the customer, then its first won deal's own columns, named for what they mean there.
CUSTOMER_COLUMNS = (
    _DEAL["customer"],
    Column("customer_id", "Customer id", "customer__external_id"),
    Column("sector", "Sector", "customer__sector"),
    Column("acquired", "Acquired on", "closed_on"),
    replace(_DEAL["deal"], label="First deal"),
    replace(_DEAL["owner"], label="Acquired by"),
    _DEAL["territory"],
    replace(_DEAL["net"], label="First deal net amount"),
)


@dataclass(frozen=True)
class Drill:
    kpi: str
    title: str
    rule: str  # what the list holds, in words
    columns: tuple[Column, ...]
    default_sort: str


_DEFINITIONS = {
    "revenue": ("Won deals", "won deals closed in the period (revenue is their net amount)", DEAL_COLUMNS, "-closed"),
    "deals_won": ("Won deals", "won deals closed in the period", DEAL_COLUMNS, "-closed"),
    "pipeline_value": ("Open pipeline", "deals open on the period's last day (or the as-of date if earlier)",
                       DEAL_COLUMNS, "-amount"),
    "new_customers": ("New customers", "customers whose first ever won deal closed in the period, by that deal's "
                      "territory and owner", CUSTOMER_COLUMNS, "-acquired"),
}  # fmt: skip
# One list per KPI the registry marks drillable (a KeyError at import names one without a definition here).
DRILLS = {kpi.key: Drill(kpi.key, *_DEFINITIONS[kpi.key]) for kpi in KPIS if kpi.drillable}


def drill_deals(*, user, scope: PageScope, kpi: str, period: Period, as_of: datetime.date) -> QuerySet[Deal]:
    """The deals behind ``kpi`` of the page's ``scope`` in ``period`` that ``user`` may see (unordered)."""
    return kpi_deals(user=user, kpi=kpi, period=period, as_of=as_of, territory=scope.territory, rep=scope.rep)


def drill_or_404(kpi: str) -> Drill:
    """The list behind ``kpi``, else ``Http404``."""
    if kpi not in DRILLS:
        raise Http404("No list behind this KPI.")
    return DRILLS[kpi]


def _ordering(drill: Drill, sort: str) -> tuple[str, list[str]]:
    sort = sort.strip() or drill.default_sort
    by_key = {c.key: c for c in drill.columns}
    column = by_key.get(sort.lstrip("-"))
    if column is None:
        raise BadPageInput("sort", f"{sort!r} is not a column; sort by one of {', '.join(by_key)}")
    prefix = "-" if sort.startswith("-") else ""
    # external_id last: a stable order across pages whatever the column.
    return sort, [f"{prefix}{column.field}", "external_id"]


def _row(drill: Drill, deal: Deal) -> tuple:
    if drill.kpi == "new_customers":
        customer = deal.customer
        return (customer.name, customer.external_id, customer.sector, deal.closed_on, deal.external_id,
                deal.owner.name, deal.territory.name, deal.net_amount)  # fmt: skip
    return (deal.external_id, deal.customer.name if deal.customer else "", deal.owner.name, deal.territory.name,
            deal.get_stage_display(), deal.created_on, deal.closed_on, deal.amount, deal.refunded_amount,
            deal.net_amount)  # fmt: skip


def _cell(value) -> tuple[str, bool]:
    """(text, is a number) for the HTML table."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}", True
    if value is None:
        return "", False
    return str(value), False


@page_view
def drill(request: HttpRequest, scope: PageScope, kpi: str) -> HttpResponse:
    """The deals or customers behind one KPI card, sorted and a page at a time."""
    listing = drill_or_404(kpi)
    period = page_period(request)
    context = page_context(request, scope=scope, period=period)
    sort, ordering = _ordering(listing, request.GET.get("sort", ""))
    deals = drill_deals(user=request.user, scope=scope, kpi=kpi, period=period, as_of=context["as_of"])
    page = Paginator(deals.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))
    snapshot = SNAPSHOTS.for_scopes(scopes=[scope.key], period=period, kpis=[kpi]).get(scope.key, {}).get(kpi)
    definition = KPI_BY_KEY[kpi]
    current = sort.lstrip("-")
    columns = [
        (c.label, c.key, (f"-{c.key}" if not sort.startswith("-") else c.key) if c.key == current else c.key,
         ("descending" if sort.startswith("-") else "ascending") if c.key == current else "none")
        for c in listing.columns
    ]  # fmt: skip
    context.update(
        drill=listing,
        kpi=definition,
        value=value_format(getattr(snapshot, "value", None), definition.unit, context["currency"]),
        page=page,
        rows=[[_cell(v) for v in _row(listing, deal)] for deal in page.object_list],
        columns=columns,
        sort=sort,
        # A manager sees a rep's deals only where they were stored in the manager's territories.
        restricted=viewer_of(request).role is Role.MANAGER and scope.kind == "rep",
        csv_url=with_period(scope.url("drill_csv", kpi=kpi), period, sort=sort),
        back_url=with_period(scope.dashboard_url(), period),
    )
    return render(request, "dashboards/drill.html", context)


@page_view
def drill_csv(request: HttpRequest, scope: PageScope, kpi: str) -> HttpResponse:
    """The whole drill-down list as CSV, in the page's order."""
    listing = drill_or_404(kpi)
    period = page_period(request)
    _, ordering = _ordering(listing, request.GET.get("sort", ""))
    as_of = kpi_freshness().as_of or as_of_date()
    deals = drill_deals(user=request.user, scope=scope, kpi=kpi, period=period, as_of=as_of).order_by(*ordering)
    header = [c.label for c in listing.columns]
    rows = (_row(listing, deal) for deal in deals.iterator(chunk_size=2000))
    name = scope.key.replace(":", "-")
    return csv_response(filename=f"{kpi}-{name}-{period.label}.csv", header=header, rows=rows)
