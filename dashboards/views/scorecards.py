"""Rep scorecards: the rep's own KPIs against their targets, trends, pace and rank.

A rep sees only their own scorecard (``/me/``); managers and admins open the
scorecards of the reps they may see. The rank says where the rep stands in their
territory without showing anyone else's name or numbers.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import Role, own_rep_or_404
from dashboards.cards import card_views, comparison_labels, monthly_charts
from dashboards.converters import REP, ScopeRef
from dashboards.page import page_context, page_period, page_view, rep_scope, scope_or_404, viewer_of
from dashboards.readers import SnapshotReader
from dashboards.snapshot_cache import snapshots_for
from reps.models import SalesRep


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


@page_view
def my_scorecard(request: HttpRequest) -> HttpResponse:
    """The signed-in rep's own scorecard."""
    return scorecard_render(request, own_rep_or_404(user=request.user), own=True)


@page_view
def scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    """A rep's scorecard, for the rep themself, their managers and admins."""
    rep = scope_or_404(request, ScopeRef(REP, pk)).rep
    own = rep.user_id is not None and rep.user_id == request.user.pk
    return scorecard_render(request, rep, own=own)
