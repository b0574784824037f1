"""Rep leaderboards of the company and of territories, on the page and as CSV."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dashboards.converters import COMPANY
from dashboards.csv_export import csv_response
from dashboards.formatting import attainment_format, value_format
from dashboards.page import BadPageInput, PageScope, page_context, page_period, page_view, with_period
from dashboards.readers import SNAPSHOTS, SnapshotReader
from dashboards.snapshot_cache import snapshots_for
from metrics.engine import as_of_date
from metrics.registry import Unit
from metrics.selectors.freshness import kpi_freshness
from metrics.selectors.leaderboards import Leaderboard, LeaderboardRow

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
            url=with_period(reverse("scorecard", kwargs={"pk": r.member.rep_id}), period),
            territory=r.member.territory_name,
            revenue=value_format(r.revenue, Unit.CURRENCY, currency),
            target=value_format(r.target, Unit.CURRENCY, currency) if r.target is not None else "no target",
            attainment=attainment_format(r.attainment),
            deals_won=value_format(r.deals_won, Unit.COUNT),
            win_rate=value_format(r.win_rate, Unit.RATIO),
            low_sample=r.low_sample,
        )
        for r in rows
    ]


def scope_path(scope: PageScope) -> str | None:
    """The subtree whose reps make the scope's leaderboard (None: the company, everyone).

    No further filter by what the user may see: the scope itself went through
    the access module, and a rep assigned inside a visible subtree is visible.
    """
    return None if scope.kind == COMPANY else scope.territory.path


def reps_at_quota_text(card, period) -> str:
    """The reps-at-quota line ("60.0% of the 15 reps with a revenue target reached it"), honest about small samples."""
    if card is None:
        return ""
    if card.value is None:
        return f"Reps at quota: no rep has a revenue target for {period.label}."
    text = f"Reps at quota: {card.value * 100:.1f}% of the {card.n:,.0f} reps with a revenue target reached it"
    return text + (" (low sample)." if card.low_sample else ".")


def _leaderboard(scope: PageScope, period, *, reader: SnapshotReader = SNAPSHOTS, as_of=None) -> Leaderboard:
    """Everyone ranked, without win rates (added for the rows that need them)."""
    as_of = as_of or kpi_freshness().as_of or as_of_date()
    return reader.territory_leaderboard(territory_path=scope_path(scope), period=period, as_of=as_of)


def _sorted(rows: list[LeaderboardRow], sort: str) -> list[LeaderboardRow]:
    key = sort.lstrip("-")
    if key not in LEADERBOARD_SORTS:
        raise BadPageInput("sort", f"{sort!r} is not a column; sort by one of {', '.join(LEADERBOARD_SORTS)}")
    descending = sort.startswith("-")
    return sorted(rows, key=LEADERBOARD_SORTS[key], reverse=descending)


@page_view
def leaderboard(request: HttpRequest, scope: PageScope) -> HttpResponse:
    """Every rep of the company or a territory, ranked, sortable, a page at a time."""
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
    "attainment", "deals_won", "win_rate", "win_rate_n", "win_rate_low_sample", "not_ranked_because",
)  # fmt: skip


@page_view
def leaderboard_csv(request: HttpRequest, scope: PageScope) -> HttpResponse:
    """The whole leaderboard as CSV."""
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
