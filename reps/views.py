"""Rep scorecards: the rep's own KPIs against their targets, trends, pace and rank.

A rep sees only their own scorecard (``/me/``); managers and admins open the
scorecards of the reps they may see. The rank says where the rep stands in their
territory without showing anyone else's name or numbers.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import Role, own_rep_or_404, rep_visible_or_404
from kpi_dashboard.csv_export import csv_response
from kpi_dashboard.snapshot_cache import snapshots_for
from kpi_dashboard.views import (
    CARDS_CSV_HEADER,
    SNAPSHOTS,
    PageScope,
    SnapshotReader,
    answers_bad_input,
    card_views,
    cards_csv_rows,
    comparison_labels,
    monthly_charts,
    page_context,
    page_period,
    viewer_of,
)
from metrics.engine import as_of_date
from metrics.selectors.freshness import kpi_freshness
from reps.models import SalesRep


def rep_scope(rep: SalesRep) -> PageScope:
    return PageScope(key=rep.scope_key, kind="rep", name=rep.name, rep=rep)


def scorecard_render(
    request: HttpRequest, rep: SalesRep, *, reader: SnapshotReader | None = None, own: bool = False
) -> HttpResponse:
    """The scorecard page of ``rep`` (the caller has already checked the user may see it).

    ``reader``: where the KPIs come from; by default the stored snapshots, through the cache.
    """
    scope = rep_scope(rep)
    period = page_period(request)
    context = page_context(request, scope=scope, period=period)
    reader = reader or snapshots_for(context["freshness"])
    as_of, currency = context["as_of"], context["currency"]
    cards = reader.cards(scope=scope.key, period=period, as_of=as_of)
    revenue = next((c for c in cards if c.key == "revenue"), None)
    context.update(
        own=own,
        cards=card_views(cards=cards, scope=scope, period=period, currency=currency),
        comparisons=comparison_labels(period=period, cards=cards, in_progress=context["in_progress"]),
        charts=monthly_charts(reader=reader, scope=scope, period=period, as_of=as_of, currency=currency),
        rank=reader.rank(rep_id=rep.pk, period=period, as_of=as_of) if cards else None,
        no_target=bool(cards) and (revenue is None or revenue.target is None),
        has_snapshots=context["freshness"].computed_at is not None,
        # Reps do not see territory pages; managers and admins get a way back.
        can_see_territories=viewer_of(request).role in (Role.ADMIN, Role.MANAGER),
    )
    return render(request, "dashboards/scorecard.html", context)


@require_GET
@login_required
@answers_bad_input
def my_scorecard(request: HttpRequest) -> HttpResponse:
    """The signed-in rep's own scorecard."""
    return scorecard_render(request, own_rep_or_404(user=request.user), own=True)


@require_GET
@login_required
@answers_bad_input
def rep_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """A rep's scorecard, for the rep themself, their managers and admins."""
    rep = rep_visible_or_404(user=request.user, rep_id=pk)
    own = rep.user_id is not None and rep.user_id == request.user.pk
    return scorecard_render(request, rep, own=own)


@require_GET
@login_required
@answers_bad_input
def rep_cards_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The scorecard's KPI cards as CSV."""
    rep = rep_visible_or_404(user=request.user, rep_id=pk)
    period = page_period(request)
    as_of = kpi_freshness().as_of or as_of_date()
    cards = SNAPSHOTS.cards(scope=rep.scope_key, period=period, as_of=as_of)
    return csv_response(
        filename=f"kpis-rep-{rep.external_id}-{period.label}.csv",
        header=CARDS_CSV_HEADER,
        rows=cards_csv_rows(cards, period),
    )
