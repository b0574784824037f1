"""The company overview and territory dashboards, the territory picker, and every scope's KPI cards as CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.access import Role
from dashboards.cards import CARDS_CSV_HEADER, card_views, cards_csv_rows, comparison_labels, monthly_charts
from dashboards.charts import ComparisonRow, chart_subterritories
from dashboards.converters import COMPANY, TERRITORY, ScopeRef
from dashboards.csv_export import csv_response
from dashboards.page import (
    PageScope,
    page_context,
    page_period,
    page_view,
    scope_or_404,
    territory_scope,
    viewer_of,
    with_period,
)
from dashboards.readers import SNAPSHOTS, SnapshotReader
from dashboards.snapshot_cache import snapshots_for
from dashboards.views.leaderboards import LEADERBOARD_TOP, board_rows, reps_at_quota_text, scope_path
from metrics.engine import as_of_date
from metrics.selectors.freshness import kpi_freshness
from territories.models import Territory


def children_of(request: HttpRequest, scope: PageScope) -> list[Territory]:
    """The territories directly below the scope (the top-level ones for the company), as the user sees them."""
    return viewer_of(request).children(None if scope.kind == COMPANY else scope.territory)


def dashboard_render(
    request: HttpRequest, scope: PageScope, *, reader: SnapshotReader | None = None, template: str = ""
) -> HttpResponse:
    """The company or territory dashboard: cards, charts, sub-territories and the top of the leaderboard.

    ``reader``: where the KPIs come from; by default the stored snapshots, through the cache.
    """
    period = page_period(request)
    context = page_context(request, scope=scope, period=period)
    reader = reader or snapshots_for(context["freshness"])
    as_of, currency = context["as_of"], context["currency"]
    cards = reader.cards(scope=scope.key, period=period, as_of=as_of)
    page_charts = monthly_charts(reader=reader, scope=scope, period=period, as_of=as_of, currency=currency)
    children = children_of(request, scope)
    found = reader.for_scopes(scopes=[t.scope_key for t in children], period=period, kpis=["revenue"])
    comparison = [
        ComparisonRow(
            name=t.name,
            revenue=getattr(found.get(t.scope_key, {}).get("revenue"), "value", None),
            target=getattr(found.get(t.scope_key, {}).get("revenue"), "target", None),
            attainment=getattr(found.get(t.scope_key, {}).get("revenue"), "attainment", None),
        )
        for t in children
    ]
    page_charts.insert(
        3,
        chart_subterritories(rows=comparison, currency=currency, period_label=period.label, parent=scope.name),
    )
    # The database ranks everyone on revenue attainment; only the ten shown come back, with their win rates.
    board = reader.leaderboard_top(territory_path=scope_path(scope), period=period, as_of=as_of, limit=LEADERBOARD_TOP)
    top = reader.win_rates(rows=board.rows, period=period)
    by_key = {c.key: c for c in cards}
    context.update(
        cards=card_views(cards=cards, scope=scope, period=period, currency=currency),
        comparisons=comparison_labels(period=period, cards=cards, in_progress=context["in_progress"]),
        charts=page_charts,
        children=children,
        leaderboard=board_rows(top, currency=currency, period=period),
        leaderboard_total=board.members,
        leaderboard_ranked=board.ranked,
        reps_at_quota=reps_at_quota_text(by_key.get("reps_at_quota"), period),
        no_deals=_no_deals(by_key),
        has_snapshots=context["freshness"].computed_at is not None,
        urls={view: with_period(scope.url(view), period) for view in ("cards_csv", "leaderboard", "leaderboard_csv")},
    )
    return render(request, template or "dashboards/territory.html", context)


def _no_deals(by_key: dict) -> bool:
    """No deal created, closed or open in the period: the territory has nothing to show yet."""
    if not by_key:
        return False
    counts = [getattr(by_key.get(k), "value", None) for k in ("deals_won", "deals_created", "pipeline_value")]
    closed_n = getattr(by_key.get("win_rate"), "n", None)
    return not any([*counts, closed_n])


@page_view
def dashboard(request: HttpRequest, scope: PageScope) -> HttpResponse:
    """The company overview (admins) or one territory's dashboard (its whole subtree)."""
    return dashboard_render(request, scope)


@page_view
def territory_picker(request: HttpRequest) -> HttpResponse:
    """Choose among the territories the user may see; ``?scope=company|territory:<code>`` opens one."""
    chosen = request.GET.get("scope", "").strip()
    if chosen:
        if chosen == "company":
            ref = ScopeRef(COMPANY)
        elif chosen.startswith("territory:"):
            ref = ScopeRef(TERRITORY, chosen.partition(":")[2])
        else:
            raise Http404("No such scope.")
        target = scope_or_404(request, ref).url("dashboard")
        period = request.GET.get("period", "").strip()
        return redirect(f"{target}?{urlencode({'period': period})}" if period else target)
    territories = viewer_of(request).territories
    if not territories:
        raise Http404("No territory to show.")
    managed = set(request.user.managed_territories.values_list("code", flat=True))
    return render(
        request,
        "dashboards/picker.html",
        {
            "entries": [(t, territory_scope(t).url("dashboard")) for t in territories],
            "managed": managed,
            "freshness": kpi_freshness(),
            "is_admin": viewer_of(request).role is Role.ADMIN,
        },
    )


@page_view
def cards_csv(request: HttpRequest, scope: PageScope) -> HttpResponse:
    """The KPI cards of the company, a territory or a rep as CSV."""
    period = page_period(request)
    as_of = kpi_freshness().as_of or as_of_date()
    cards = SNAPSHOTS.cards(scope=scope.key, period=period, as_of=as_of)
    name = scope.key.replace(":", "-")
    return csv_response(
        filename=f"kpis-{name}-{period.label}.csv", header=CARDS_CSV_HEADER, rows=cards_csv_rows(cards, period)
    )
