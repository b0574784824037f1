"""The landing redirect, the health check, and what every dashboard page shares.

Dashboard views (territories/views.py, reps/views.py, sales/views.py) are thin:
they ask the access module what the user may see, read snapshots through the
selectors, hand numbers to the chart builders (metrics/charts.py) and render.
This module holds the pieces they share: the period from the query string,
the period and scope pickers, the data-freshness line, KPI cards ready to
display, and the monthly charts.
"""

from __future__ import annotations

import calendar
import datetime
import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.access import Role, territories_visible_to, user_role
from metrics import charts
from metrics.engine import as_of_date
from metrics.periods import (
    Period,
    PeriodError,
    month_add,
    period_last_year,
    period_parse,
    period_previous,
    periods_containing,
)
from metrics.registry import KPI_BY_KEY, Kind
from metrics.selectors.cards import (
    KpiCard,
    kpi_cards,
    kpi_funnel,
    kpi_periods_available,
    kpi_series_many,
    kpi_snapshots_for_scopes,
)
from metrics.selectors.freshness import Freshness, kpi_freshness
from metrics.selectors.leaderboards import (
    kpi_leaderboard,
    kpi_leaderboard_top,
    kpi_leaderboard_win_rates,
    kpi_rep_rank,
    kpi_territory_leaderboard,
)

# KPIs whose number can be opened as the list of deals or customers behind it.
DRILL_KPIS = ("revenue", "deals_won", "pipeline_value", "new_customers")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its page: admin → company, manager → their territory (or a picker), rep → /me/."""
    role = user_role(request.user)
    if role is Role.ADMIN:
        return redirect("company_dashboard")
    if role is Role.MANAGER:
        managed = list(request.user.managed_territories.values_list("code", "path"))
        # A territory inside another managed one adds nothing: its manager lands on the outer one.
        tops = [code for code, path in managed if not any(path != p and path.startswith(p) for _, p in managed)]
        if len(tops) == 1:
            return redirect("territory_dashboard", code=tops[0])
        return redirect("territory_picker")
    if role is Role.REP:
        return redirect("my_scorecard")
    return render(request, "home.html", {"role": role})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the container healthcheck."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# --- bad input ------------------------------------------------------------------------------------


# A message quotes the refused value; past this many characters it is cut (a refused megabyte is not sent back).
BAD_INPUT_MESSAGE_MAX = 1000


class BadPageInput(ValueError):
    """A query parameter a page cannot use; ``field`` names it."""

    def __init__(self, field: str, message: str):
        if len(message) > BAD_INPUT_MESSAGE_MAX:
            message = message[: BAD_INPUT_MESSAGE_MAX - 1] + "…"
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def answers_bad_input(view):
    """Turn ``BadPageInput`` into a 400 page that names the parameter and what is expected."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadPageInput as exc:
            context = {"field": exc.field, "message": exc.message, "back": request.path}
            return render(request, "dashboards/bad_request.html", context, status=400)

    return wrapper


# --- the period ---------------------------------------------------------------------------------------


def default_period(as_of: datetime.date) -> Period:
    """The (fiscal) quarter containing the as-of date."""
    return periods_containing(as_of, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)[1]


def page_period(request: HttpRequest) -> Period:
    """The ``period`` query parameter (month, quarter or year), or the quarter containing the as-of date."""
    text = request.GET.get("period", "").strip()
    if not text:
        return default_period(as_of_date())
    try:
        period = period_parse(text, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    except PeriodError as exc:
        raise BadPageInput("period", str(exc)) from None
    if period.kind == "range":
        raise BadPageInput(
            "period", f"{text!r} is a date range; dashboards show a month (YYYY-MM), a quarter (YYYY-Qn) or a year"
        )
    # A page compares with the period before and the same period a year earlier, and links the one after:
    # all of them must be dates, so the first and last years of the calendar cannot be shown.
    first, last = datetime.MINYEAR + 1, datetime.MAXYEAR - 1
    if not (first <= period.start.year and period.end.year <= last):
        raise BadPageInput("period", f"{period.label} is out of range: dashboards show the years {first} to {last}")
    return period


def period_next(period: Period) -> Period:
    fiscal = settings.FISCAL_YEAR_START_MONTH
    following = periods_containing(period.end + datetime.timedelta(days=1), fiscal_start_month=fiscal)
    return following[{"month": 0, "quarter": 1, "year": 2}[period.kind]]


@dataclass(frozen=True)
class PeriodPicker:
    current: Period
    years: list
    quarters: list
    months: list
    previous: Period | None
    next: Period | None
    kinds: list[tuple[str, Period]]  # month / quarter / year around the current period
    stored: bool  # snapshots exist for the current period
    first: str | None
    last: str | None


def period_picker(*, scope: str, period: Period, as_of: datetime.date) -> PeriodPicker:
    """The stored periods to choose from, grouped by kind, and quick moves from the current one."""
    options = kpi_periods_available(scope=scope)
    labels = {o.label for o in options}
    previous = period_previous(period, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    following = period_next(period)
    around = min(period.end, as_of) if period.start <= as_of else period.start
    month, quarter, year = periods_containing(around, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    months = [o for o in options if o.kind == "month"]
    return PeriodPicker(
        current=period,
        years=[o for o in options if o.kind == "year"],
        quarters=[o for o in options if o.kind == "quarter"],
        months=months,
        previous=previous if previous.label in labels else None,
        next=following if following.label in labels else None,
        kinds=[("Month", month), ("Quarter", quarter), ("Year", year)],
        stored=period.label in labels,
        first=months[-1].label if months else None,
        last=months[0].label if months else None,
    )


# --- scope, freshness, shared context ---------------------------------------------------------------


@dataclass(frozen=True)
class PageScope:
    """What a dashboard page is about: the company, a territory subtree or a rep."""

    key: str  # company, territory:<code>, rep:<external id>
    kind: str  # company, territory, rep
    name: str
    territory: object | None = None
    rep: object | None = None

    def url(self, view: str, **params) -> str:
        """URL of one of this scope's pages (dashboard, cards_csv, leaderboard, drill, …)."""
        if self.kind == "company":
            return reverse(f"company_{view}", kwargs=params)
        if self.kind == "territory":
            return reverse(f"territory_{view}", kwargs={"code": self.territory.code, **params})
        return reverse(f"rep_{view}", kwargs={"pk": self.rep.pk, **params})


def with_period(url: str, period: Period, **params) -> str:
    return f"{url}?{urlencode({'period': period.label, **params})}"


def freshness_banner(freshness: Freshness) -> str:
    """The warning to show above the numbers, or "" when they are current."""
    if freshness.computed_at is None:
        return ""
    computed = f"{freshness.computed_at:%Y-%m-%d %H:%M} UTC"
    if freshness.failed:
        error = f" ({freshness.last_error})" if freshness.last_error else ""
        return f"The last KPI recompute failed{error}. The numbers shown are those computed {computed}."
    if freshness.stale:
        return (
            f"The numbers were computed {computed}, more than 26 hours ago: the nightly recompute may not be "
            "running. An administrator can run it with `python manage.py recompute_kpis`."
        )
    return ""


@dataclass(frozen=True)
class Viewer:
    """Who is asking: their role and the territories they may open, asked of the access module once a request."""

    role: Role
    territories: list  # Territory rows in tree order (none for reps)

    def territory_or_404(self, code: str):
        """The visible territory ``code``, else ``Http404`` (unknown and hidden look the same)."""
        for territory in self.territories:
            if territory.code == code:
                return territory
        raise Http404("No such territory.")

    def children(self, territory=None) -> list:
        """Visible territories directly below ``territory`` (the top-level ones for None), by code."""
        if territory is None:
            found = [t for t in self.territories if t.depth == 1]
        else:
            found = [t for t in self.territories
                     if t.depth == territory.depth + 1 and t.path.startswith(territory.path)]  # fmt: skip
        return sorted(found, key=lambda t: t.code)


def viewer_of(request: HttpRequest) -> Viewer:
    """The request's ``Viewer``, worked out on first use."""
    viewer = getattr(request, "_kpi_viewer", None)
    if viewer is None:
        role = user_role(request.user)
        territories = (
            list(territories_visible_to(user=request.user).order_by("path").only("code", "name", "path", "depth"))
            if role in (Role.ADMIN, Role.MANAGER)
            else []
        )
        viewer = request._kpi_viewer = Viewer(role=role, territories=territories)
    return viewer


def page_context(request: HttpRequest, *, scope: PageScope, period: Period) -> dict:
    """What every dashboard page shows around its numbers: freshness, pickers, the period."""
    freshness = kpi_freshness()
    as_of = freshness.as_of or as_of_date()
    viewer = viewer_of(request)
    role = viewer.role
    return {
        "scope": scope,
        "period": period,
        "as_of": as_of,
        "freshness": freshness,
        "freshness_banner": freshness_banner(freshness),
        "picker": period_picker(scope=scope.key, period=period, as_of=as_of),
        "scope_choices": [(t.code, t.name, t.depth) for t in viewer.territories],
        "is_admin": role is Role.ADMIN,
        "currency": settings.KPI_CURRENCY,
        "in_progress": period.start <= as_of < period.end,
        "fiscal_note": fiscal_note(),
    }


def fiscal_note() -> str:
    """How quarters and years are counted when the fiscal year does not start in January."""
    start = settings.FISCAL_YEAR_START_MONTH
    if start == 1:
        return ""
    return (
        f"Fiscal years start on 1 {calendar.month_name[start]} and are named by the year they end in; "
        "quarters count from there."
    )


# --- KPI cards ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardView:
    """A KPI card with every number already formatted for the page."""

    card: KpiCard
    value: str
    target: str
    attainment: str
    attainment_width: int  # 0..100, the bar's fill (100 = 150% of target)
    attainment_class: str
    pace: str
    previous_change: str
    previous_class: str
    last_year_change: str
    last_year_class: str
    details: str  # n and interval, shown on hover and focus
    note: str  # e.g. the sales cycle's p75 / p90
    drill_url: str
    description: str


def _direction(change: float | None, higher_is_better: bool) -> str:
    if change is None or change == 0:
        return "flat"
    return "good" if (change > 0) == higher_is_better else "bad"


def card_views(*, cards: list[KpiCard], scope: PageScope, period: Period, currency: str) -> dict[str, list[CardView]]:
    """Cards grouped as {"leading": [...], "lagging": [...]}, in registry order."""
    grouped: dict[str, list[CardView]] = {Kind.LEADING.value: [], Kind.LAGGING.value: []}
    for card in cards:
        value = charts.value_format(card.value, card.unit, currency)
        details = []
        if card.n is not None:
            details.append(f"n = {card.n:,.0f}")
        interval = charts.interval_format(card.ci_low, card.ci_high, card.unit, currency)
        if interval:
            details.append(f"95% interval {interval}")
        note = ""
        if card.key == "sales_cycle_days" and card.extra and card.extra.get("p75") is not None:
            note = f"75th percentile {card.extra['p75']:g} days · 90th {card.extra['p90']:g} days"
        pace = ""
        if card.pace:
            expected = charts.value_format(card.expected_to_date, card.unit, currency)
            pace = f"{'Ahead of' if card.pace == 'ahead' else 'Behind'} pace: {expected} expected by now"
        attainment = card.attainment
        grouped[card.kind].append(
            CardView(
                card=card,
                value=value,
                target=charts.value_format(card.target, card.unit, currency) if card.target is not None else "",
                attainment=charts.attainment_format(attainment) if card.target is not None else "",
                attainment_width=0 if attainment is None else max(0, min(100, round(attainment / 1.5 * 100))),
                attainment_class="" if attainment is None else ("met" if attainment >= 1 else "short"),
                pace=pace,
                previous_change=charts.change_format(card.change_previous, card.change_unit),
                previous_class=_direction(card.change_previous, card.higher_is_better),
                last_year_change=charts.change_format(card.change_last_year, card.change_unit),
                last_year_class=_direction(card.change_last_year, card.higher_is_better),
                details=" · ".join(details),
                note=note,
                drill_url=with_period(scope.url("drill", kpi=card.key), period) if card.key in DRILL_KPIS else "",
                description=KPI_BY_KEY[card.key].description,
            )
        )
    return grouped


def comparison_labels(*, period: Period, cards: list[KpiCard], in_progress: bool) -> dict[str, str]:
    """How the page names the comparisons, honest about a period in progress."""
    fiscal = settings.FISCAL_YEAR_START_MONTH
    previous = period_previous(period, fiscal_start_month=fiscal).label
    last_year = period_last_year(period, fiscal_start_month=fiscal).label
    if not in_progress:
        # A year's previous period is last year: one comparison says it all.
        same = previous == last_year
        return {"previous": f"vs {previous}", "last_year": "" if same else f"vs {last_year}", "note": ""}
    same = previous == last_year
    if any(c.like_for_like for c in cards):
        return {
            "previous": f"vs same days of {previous}",
            "last_year": "" if same else f"vs same days of {last_year}",
            "note": (
                f"{period.label} is in progress: amounts and counts are compared with the same number of elapsed "
                f"days of {previous} and {last_year}; rates and other KPIs without a like-for-like figure are "
                "compared with the whole earlier period."
            ),
        }
    return {
        "previous": f"vs all of {previous}",
        "last_year": "" if same else f"vs all of {last_year}",
        "note": f"{period.label} is in progress: its numbers so far are compared with whole earlier periods.",
    }


CARDS_CSV_HEADER = (
    "kpi", "label", "kind", "unit", "period", "value", "target", "attainment", "n", "ci_low", "ci_high",
    "previous", "change_previous", "last_year", "change_last_year", "change_unit", "like_for_like",
    "expected_to_date", "pace", "low_sample", "provisional",
)  # fmt: skip


def cards_csv_rows(cards: list[KpiCard], period: Period):
    for c in cards:
        yield (
            c.key, c.label, c.kind, c.unit, period.label, c.value, c.target, c.attainment, c.n, c.ci_low, c.ci_high,
            c.previous, c.change_previous, c.last_year, c.change_last_year, c.change_unit, c.like_for_like,
            c.expected_to_date, c.pace, c.low_sample, c.provisional,
        )  # fmt: skip


# --- where pages read KPIs from -------------------------------------------------------------------------


class SnapshotReader:
    """Pages read stored snapshots through these selectors (benchmarks/dashboard_live.py swaps in a live one)."""

    def cards(self, *, scope: str, period: Period, as_of: datetime.date) -> list[KpiCard]:
        return kpi_cards(scope=scope, period=period, as_of=as_of)

    def series(self, *, scope: str, kpis: list[str], start: datetime.date, end: datetime.date) -> dict[str, list]:
        return kpi_series_many(scope=scope, kpis=kpis, kind="month", start=start, end=end)

    def funnel(self, *, scope: str, period: Period) -> dict[str, int] | None:
        return kpi_funnel(scope=scope, period=period.label)

    def for_scopes(self, *, scopes: list[str], period: Period, kpis: list[str]) -> dict[str, dict]:
        return kpi_snapshots_for_scopes(scopes=scopes, period=period.label, kpis=kpis)

    def leaderboard(self, *, members: list, period: Period, win_rates: bool = True):
        return kpi_leaderboard(members=members, period=period.label, win_rates=win_rates)

    def win_rates(self, *, rows: list, period: Period) -> list:
        return kpi_leaderboard_win_rates(rows=rows, period=period.label)

    def territory_leaderboard(self, *, territory_path: str | None, period: Period, as_of: datetime.date):
        return kpi_territory_leaderboard(territory_path=territory_path, period=period, as_of=as_of)

    def leaderboard_top(self, *, territory_path: str | None, period: Period, as_of: datetime.date, limit: int):
        return kpi_leaderboard_top(territory_path=territory_path, period=period, as_of=as_of, limit=limit)

    def rank(self, *, rep_id: int, period: Period, as_of: datetime.date):
        return kpi_rep_rank(rep_id=rep_id, period=period, as_of=as_of)


SNAPSHOTS = SnapshotReader()

SERIES_KPIS = [
    "revenue", "win_rate", "csat", "nps", "churn_rate", "retention_rate", "calls", "meetings", "emails",
    "sales_cycle_days",
]  # fmt: skip


def chart_windows(period: Period, as_of: datetime.date) -> tuple[Period, datetime.date, datetime.date]:
    """The (fiscal) year the revenue chart covers, and the 12 months the trend charts cover.

    Both end with the period's last month, or the as-of month when the period is in progress.
    """
    last_month = min(period.end, as_of).replace(day=1)
    year = periods_containing(last_month, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)[2]
    return year, month_add(last_month, -11), last_month


def monthly_charts(
    *, reader: SnapshotReader, scope: PageScope, period: Period, as_of: datetime.date, currency: str
) -> list[charts.Chart]:
    """The charts every dashboard and scorecard shows, from one series query and the funnel."""
    year, trend_start, last_month = chart_windows(period, as_of)
    start = min(year.start, trend_start)
    series = reader.series(scope=scope.key, kpis=SERIES_KPIS, start=start, end=last_month)

    def trend(key: str) -> list:
        return [s for s in series[key] if trend_start <= s.period_start <= last_month]

    year_revenue = [s for s in series["revenue"] if year.start <= s.period_start <= last_month]
    return [
        charts.chart_revenue_vs_target(months=year_revenue, currency=currency, span=year.label),
        charts.chart_win_rate(months=trend("win_rate")),
        charts.chart_funnel(stages=reader.funnel(scope=scope.key, period=period), period_label=period.label),
        charts.chart_satisfaction(csat=trend("csat"), nps=trend("nps")),
        charts.chart_churn_retention(churn=trend("churn_rate"), retention=trend("retention_rate")),
        charts.chart_activities(calls=trend("calls"), meetings=trend("meetings"), emails=trend("emails")),
        charts.chart_sales_cycle(months=trend("sales_cycle_days")),
    ]
