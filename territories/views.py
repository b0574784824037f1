"""Company overview, territory dashboards, leaderboards and their CSV exports.

Every view finds its object through accounts.access (404 when the user may
not see it) and reads KPI snapshots only.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.access import Role, company_visible_or_404
from kpi_dashboard.csv_export import csv_response
from kpi_dashboard.snapshot_cache import snapshots_for
from kpi_dashboard.views import (
    CARDS_CSV_HEADER,
    SNAPSHOTS,
    BadPageInput,
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
    with_period,
)
from metrics import charts
from metrics.engine import as_of_date
from metrics.registry import Unit
from metrics.selectors.freshness import kpi_freshness
from metrics.selectors.leaderboards import Leaderboard, LeaderboardRow
from territories.models import Territory

LEADERBOARD_TOP = 10
LEADERBOARD_PAGE = 50
LEADERBOARD_SORTS = {
    "rank": lambda r: (r.rank is None, r.rank or 0, r.member.name),
    "name": lambda r: (r.member.name.lower(), r.member.external_id),
    "territory": lambda r: (r.member.territory_name, r.member.name),
    "revenue": lambda r: (r.revenue is None, r.revenue or 0.0),
    "target": lambda r: (r.target is None, r.target or 0.0),
    "attainment": lambda r: (r.attainment is None, r.attainment or 0.0),
    "deals_won": lambda r: (r.deals_won is None, r.deals_won or 0.0),
    "win_rate": lambda r: (r.win_rate is None, r.win_rate or 0.0),
}


@dataclass(frozen=True)
class BoardRowView:
    """A leaderboard row formatted for the page."""

    rank: int | None
    unranked: str
    name: str
    url: str
    territory: str
    revenue: str
    target: str
    attainment: str
    deals_won: str
    win_rate: str
    low_sample: bool


def board_rows(rows: list[LeaderboardRow], *, currency: str, period) -> list[BoardRowView]:
    return [
        BoardRowView(
            rank=r.rank,
            unranked=r.unranked,
            name=r.member.name,
            url=with_period(reverse("rep_dashboard", kwargs={"pk": r.member.rep_id}), period),
            territory=r.member.territory_name,
            revenue=charts.value_format(r.revenue, Unit.CURRENCY, currency),
            target=charts.value_format(r.target, Unit.CURRENCY, currency) if r.target is not None else "no target",
            attainment=charts.attainment_format(r.attainment),
            deals_won=charts.value_format(r.deals_won, Unit.COUNT),
            win_rate=charts.value_format(r.win_rate, Unit.RATIO),
            low_sample=r.low_sample,
        )
        for r in rows
    ]


def company_scope() -> PageScope:
    return PageScope(key="company", kind="company", name="Company")


def territory_scope(territory: Territory) -> PageScope:
    return PageScope(key=territory.scope_key, kind="territory", name=territory.name, territory=territory)


def _scope_for(request: HttpRequest, code: str | None) -> PageScope:
    if code is None:
        company_visible_or_404(user=request.user)
        return company_scope()
    return territory_scope(viewer_of(request).territory_or_404(code))


def _children(request: HttpRequest, scope: PageScope) -> list[Territory]:
    """The territories directly below the scope (the top-level ones for the company), as the user sees them."""
    return viewer_of(request).children(None if scope.kind == "company" else scope.territory)


def _path(scope: PageScope) -> str | None:
    """The subtree whose reps make the scope's leaderboard (None: the company, everyone).

    No further filter by what the user may see: the scope itself went through
    the access module, and a rep assigned inside a visible subtree is visible.
    """
    return None if scope.kind == "company" else scope.territory.path


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
    children = _children(request, scope)
    found = reader.for_scopes(scopes=[t.scope_key for t in children], period=period, kpis=["revenue"])
    comparison = [
        charts.ComparisonRow(
            name=t.name,
            revenue=getattr(found.get(t.scope_key, {}).get("revenue"), "value", None),
            target=getattr(found.get(t.scope_key, {}).get("revenue"), "target", None),
            attainment=getattr(found.get(t.scope_key, {}).get("revenue"), "attainment", None),
        )
        for t in children
    ]
    page_charts.insert(
        3,
        charts.chart_subterritories(rows=comparison, currency=currency, period_label=period.label, parent=scope.name),
    )
    # The database ranks everyone on revenue attainment; only the ten shown come back, with their win rates.
    board = reader.leaderboard_top(territory_path=_path(scope), period=period, as_of=as_of, limit=LEADERBOARD_TOP)
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


def reps_at_quota_text(card, period) -> str:
    """The reps-at-quota line ("60.0% of the 15 reps with a revenue target reached it"), honest about small samples."""
    if card is None:
        return ""
    if card.value is None:
        return f"Reps at quota: no rep has a revenue target for {period.label}."
    text = f"Reps at quota: {card.value * 100:.1f}% of the {card.n:,.0f} reps with a revenue target reached it"
    return text + (" (low sample)." if card.low_sample else ".")


def _no_deals(by_key: dict) -> bool:
    """No deal created, closed or open in the period: the territory has nothing to show yet."""
    if not by_key:
        return False
    counts = [getattr(by_key.get(k), "value", None) for k in ("deals_won", "deals_created", "pipeline_value")]
    closed_n = getattr(by_key.get("win_rate"), "n", None)
    return not any([*counts, closed_n])


# --- pages ------------------------------------------------------------------------------------------------


@require_GET
@login_required
@answers_bad_input
def company_dashboard(request: HttpRequest) -> HttpResponse:
    """The company overview (admins)."""
    return dashboard_render(request, _scope_for(request, None))


@require_GET
@login_required
@answers_bad_input
def territory_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """One territory's dashboard (its whole subtree)."""
    return dashboard_render(request, _scope_for(request, code))


@require_GET
@login_required
def territory_picker(request: HttpRequest) -> HttpResponse:
    """Choose among the territories the user may see; ``?scope=company|territory:<code>`` opens one."""
    chosen = request.GET.get("scope", "").strip()
    if chosen:
        if chosen == "company":
            target = _scope_for(request, None).url("dashboard")
        elif chosen.startswith("territory:"):
            target = _scope_for(request, chosen.partition(":")[2]).url("dashboard")
        else:
            raise Http404("No such scope.")
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
            "territories": territories,
            "managed": managed,
            "freshness": kpi_freshness(),
            "is_admin": viewer_of(request).role is Role.ADMIN,
        },
    )


# --- leaderboards ----------------------------------------------------------------------------------------


def _leaderboard(scope: PageScope, period, *, reader: SnapshotReader = SNAPSHOTS, as_of=None) -> Leaderboard:
    """Everyone ranked, without win rates (added for the rows that need them)."""
    as_of = as_of or kpi_freshness().as_of or as_of_date()
    return reader.territory_leaderboard(territory_path=_path(scope), period=period, as_of=as_of)


def _sorted(rows: list[LeaderboardRow], sort: str) -> list[LeaderboardRow]:
    key = sort.lstrip("-")
    if key not in LEADERBOARD_SORTS:
        raise BadPageInput("sort", f"{sort!r} is not a column; sort by one of {', '.join(LEADERBOARD_SORTS)}")
    descending = sort.startswith("-")
    return sorted(rows, key=LEADERBOARD_SORTS[key], reverse=descending)


def leaderboard_page(request: HttpRequest, scope: PageScope) -> HttpResponse:
    period = page_period(request)
    context = page_context(request, scope=scope, period=period)
    reader = snapshots_for(context["freshness"])
    board = _leaderboard(scope, period, reader=reader, as_of=context["as_of"])
    sort = request.GET.get("sort", "rank").strip() or "rank"
    rows = board.rows
    if sort.lstrip("-") == "win_rate":  # sorting by it needs everyone's; otherwise the page's rows suffice
        rows = reader.win_rates(rows=rows, period=period)
    page = Paginator(_sorted(rows, sort), LEADERBOARD_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    if sort.lstrip("-") != "win_rate":
        shown = reader.win_rates(rows=shown, period=period)
    context.update(
        page=page,
        rows=board_rows(shown, currency=context["currency"], period=period),
        sort=sort,
        ranked=board.ranked,
        total=len(board.rows),
        columns=_columns(sort),
        back_url=with_period(scope.url("dashboard"), period),
        csv_url=with_period(scope.url("leaderboard_csv"), period),
        reps_at_quota=reps_at_quota_text(
            reader.for_scopes(scopes=[scope.key], period=period, kpis=["reps_at_quota"])
            .get(scope.key, {})
            .get("reps_at_quota"),
            period,
        ),
    )
    return render(request, "dashboards/leaderboard.html", context)


def _columns(sort: str) -> list[tuple[str, str, str, str]]:
    """(key, label, sort value on click, aria-sort) for each sortable header."""
    labels = [("rank", "Rank"), ("name", "Rep"), ("territory", "Territory"), ("revenue", "Revenue"),
              ("target", "Target"), ("attainment", "Attainment"), ("deals_won", "Deals won"),
              ("win_rate", "Win rate")]  # fmt: skip
    current, descending = sort.lstrip("-"), sort.startswith("-")
    columns = []
    for key, label in labels:
        if key == current:
            columns.append((key, label, key if descending else f"-{key}", "descending" if descending else "ascending"))
        else:
            default_desc = key in ("revenue", "target", "attainment", "deals_won", "win_rate")
            columns.append((key, label, f"-{key}" if default_desc else key, "none"))
    return columns


LEADERBOARD_CSV_HEADER = (
    "rank", "rep_external_id", "rep_name", "territory_code", "territory_name", "period", "revenue", "target",
    "attainment", "deals_won", "win_rate", "win_rate_n", "low_sample", "not_ranked_because",
)  # fmt: skip


def leaderboard_csv(request: HttpRequest, scope: PageScope) -> HttpResponse:
    period = page_period(request)
    board = _leaderboard(scope, period)
    ranked = SNAPSHOTS.win_rates(rows=board.rows, period=period)
    rows = (
        (r.rank, r.member.external_id, r.member.name, r.member.territory_code, r.member.territory_name, period.label,
         r.revenue, r.target, r.attainment, r.deals_won, r.win_rate, r.win_rate_n, r.low_sample, r.unranked)
        for r in ranked
    )  # fmt: skip
    name = scope.key.replace(":", "-")
    return csv_response(filename=f"leaderboard-{name}-{period.label}.csv", header=LEADERBOARD_CSV_HEADER, rows=rows)


def cards_csv(request: HttpRequest, scope: PageScope) -> HttpResponse:
    period = page_period(request)
    as_of = kpi_freshness().as_of or as_of_date()
    cards = SNAPSHOTS.cards(scope=scope.key, period=period, as_of=as_of)
    name = scope.key.replace(":", "-")
    return csv_response(
        filename=f"kpis-{name}-{period.label}.csv", header=CARDS_CSV_HEADER, rows=cards_csv_rows(cards, period)
    )


@require_GET
@login_required
@answers_bad_input
def company_leaderboard(request: HttpRequest) -> HttpResponse:
    return leaderboard_page(request, _scope_for(request, None))


@require_GET
@login_required
@answers_bad_input
def territory_leaderboard(request: HttpRequest, code: str) -> HttpResponse:
    return leaderboard_page(request, _scope_for(request, code))


@require_GET
@login_required
@answers_bad_input
def company_leaderboard_csv(request: HttpRequest) -> HttpResponse:
    return leaderboard_csv(request, _scope_for(request, None))


@require_GET
@login_required
@answers_bad_input
def territory_leaderboard_csv(request: HttpRequest, code: str) -> HttpResponse:
    return leaderboard_csv(request, _scope_for(request, code))


@require_GET
@login_required
@answers_bad_input
def company_cards_csv(request: HttpRequest) -> HttpResponse:
    return cards_csv(request, _scope_for(request, None))


@require_GET
@login_required
@answers_bad_input
def territory_cards_csv(request: HttpRequest, code: str) -> HttpResponse:
    return cards_csv(request, _scope_for(request, code))
