"""What every dashboard page shares.

Page views (dashboards/views/) are thin: they get the page's scope already
checked against what the user may see, read snapshots through the selectors,
hand numbers to the chart builders (dashboards/charts.py) and render. This
module holds the pieces they share: the decorator every page wears, the scope
a URL names resolved through accounts.access, the period from the query
string, the period and scope pickers, the data-freshness line and the context
around the numbers.
"""

from __future__ import annotations

import calendar
import datetime
import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.access import (
    Role,
    company_visible_or_404,
    rep_visible_or_404,
    territories_visible_to,
    user_role,
)
from dashboards.converters import COMPANY, REP, TERRITORY, ScopeRef
from metrics.engine import as_of_date
from metrics.periods import Period, PeriodError, period_parse, period_previous, periods_containing
from metrics.selectors.cards import kpi_periods_available
from metrics.selectors.freshness import Freshness, kpi_freshness
from reps.models import SalesRep
from territories.models import Territory

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


def page_view(view):
    """A dashboard page: GET only, signed-in users only, bad query input answered with a 400 page.

    A ``scope`` URL argument (a ``ScopeRef`` from the path converters) reaches
    the view as the ``PageScope`` it names, or the page is a 404 when the user
    may not see it.
    """

    @functools.wraps(view)
    def resolved(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "scope" in kwargs:
            kwargs["scope"] = scope_or_404(request, kwargs["scope"])
        return view(request, *args, **kwargs)

    return require_GET(login_required(answers_bad_input(resolved)))


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

    @property
    def ref(self) -> ScopeRef:
        """The scope as its URLs name it."""
        if self.kind == TERRITORY:
            return ScopeRef(TERRITORY, self.territory.code)
        if self.kind == REP:
            return ScopeRef(REP, self.rep.pk)
        return ScopeRef(COMPANY)

    def url(self, view: str, **params) -> str:
        """URL of one of this scope's pages (dashboard, cards_csv, leaderboard, drill, …)."""
        return reverse(view, kwargs={"scope": self, **params})

    def dashboard_url(self) -> str:
        """The scope's main page: the company or territory dashboard, or the rep's scorecard."""
        if self.kind == REP:
            return reverse("scorecard", kwargs={"pk": self.rep.pk})
        return self.url("dashboard")


def company_scope() -> PageScope:
    return PageScope(key="company", kind=COMPANY, name="Company")


def territory_scope(territory: Territory) -> PageScope:
    return PageScope(key=territory.scope_key, kind=TERRITORY, name=territory.name, territory=territory)


def rep_scope(rep: SalesRep) -> PageScope:
    return PageScope(key=rep.scope_key, kind=REP, name=rep.name, rep=rep)


def scope_or_404(request: HttpRequest, ref: ScopeRef) -> PageScope:
    """The scope ``ref`` names, if the user may see it, else ``Http404`` (the company: admins only)."""
    if ref.kind == TERRITORY:
        return territory_scope(viewer_of(request).territory_or_404(ref.code_or_pk))
    if ref.kind == REP:
        return rep_scope(rep_visible_or_404(user=request.user, rep_id=ref.code_or_pk))
    company_visible_or_404(user=request.user)
    return company_scope()


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
