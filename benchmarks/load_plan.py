"""What the users of benchmarks/load.py ask for: the endpoints, the URLs of each demo login, the users."""

from __future__ import annotations

import datetime
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

# What users ask for. Names are shared by the client's tally and the server's access log.
LOGIN = "login"
COMPANY = "company overview"
DASHBOARD = "territory dashboard"
SCORECARD = "rep scorecard"
DRILL = "drill-down"
API_KPIS = "api kpis"
API_SERIES = "api kpis/series"
API_DEALS = "api deals"
ENDPOINTS = (COMPANY, DASHBOARD, SCORECARD, DRILL, API_KPIS, API_SERIES, API_DEALS)
PAGES = (COMPANY, DASHBOARD, SCORECARD)
API = (API_KPIS, API_SERIES, API_DEALS)
ENDPOINT_PATHS = (
    (re.compile(r"/login/"), LOGIN),
    (re.compile(r"/company/"), COMPANY),
    (re.compile(r"/territories/[\w-]+/"), DASHBOARD),
    (re.compile(r"/me/|/reps/\d+/"), SCORECARD),
    (re.compile(r"/(?:company|territories/[\w-]+|reps/\d+)/drill/[\w-]+/"), DRILL),
    (re.compile(r"/api/v1/kpis"), API_KPIS),
    (re.compile(r"/api/v1/kpis/series"), API_SERIES),
    (re.compile(r"/api/v1/deals"), API_DEALS),
)

# How often each kind of user asks for each endpoint (relative weights).
MIX = {
    "manager": {DASHBOARD: 4, SCORECARD: 2, DRILL: 2, API_KPIS: 2},
    "rep": {SCORECARD: 5, DRILL: 2, API_KPIS: 2, API_DEALS: 1},
    "admin": {COMPANY: 2, DASHBOARD: 1, DRILL: 2, API_KPIS: 2, API_SERIES: 2, API_DEALS: 1},
}
# Of every ten users: five managers, three reps, two admins.
ROLE_CYCLE = ("manager", "rep", "manager", "admin", "manager", "rep", "manager", "admin", "manager", "rep")
DRILL_KPIS = ("revenue", "deals_won", "pipeline_value")
TERRITORIES_PER_LOGIN = 4  # territory dashboards a manager or admin opens
REPS_PER_MANAGER = 3  # scorecards a manager opens


def endpoint_of(path: str) -> str | None:
    """The endpoint name of a URL path (without its query), None for anything else (static files, /healthz)."""
    return next((name for pattern, name in ENDPOINT_PATHS if pattern.fullmatch(path)), None)


@dataclass(frozen=True)
class Login:
    """A demo login and the URLs its users ask for, by endpoint."""

    username: str
    role: str
    urls: dict[str, tuple[str, ...]]


@dataclass
class User:
    number: int
    login: Login
    api_token: str = ""  # API calls authenticate with this token instead of the session
    session: str = ""
    rng: random.Random = field(default_factory=random.Random)
    in_flight: str = ""  # the endpoint of the request being waited for


def default_periods(as_of: datetime.date, fiscal_start_month: int) -> list[str]:
    """The month, quarter and year of the as-of date, and the quarter before: what people look at."""
    from metrics.periods import period_previous, periods_containing

    month, quarter, year = periods_containing(as_of.replace(day=1), fiscal_start_month=fiscal_start_month)
    previous = period_previous(quarter, fiscal_start_month=fiscal_start_month)
    return [quarter.label, month.label, year.label, previous.label]


def logins_plan(periods: list[str], *, as_of: datetime.date, fiscal_start_month: int) -> list[Login]:
    """The demo logins (sales/demo/plan.py) and the URLs of what each may see, read from the database."""
    from django.contrib.auth import get_user_model

    from accounts.access import Role, reps_visible_to, territories_visible_to, user_role
    from metrics.periods import period_parse
    from sales.demo import plan

    usernames = [plan.ADMIN_USERNAME, *(m.username for m in plan.MANAGERS), plan.REP_USERNAME]
    users = get_user_model().objects.in_bulk(usernames, field_name="username")
    missing = [u for u in usernames if u not in users]
    if missing:
        raise SystemExit(f"the demo logins {', '.join(missing)} are missing: seed the database with seed_demo")
    main_period = period_parse(periods[0], fiscal_start_month=fiscal_start_month)
    days = f"closed_from={main_period.start.isoformat()}&closed_to={main_period.end.isoformat()}"
    year = period_parse(str(as_of.year), fiscal_start_month=fiscal_start_month)
    series_from = period_parse(str(as_of.year - 1), fiscal_start_month=fiscal_start_month).label
    two = periods[:2]

    def kpis(scope: str, chosen: Iterable[str]) -> list[str]:
        return [f"/api/v1/kpis?{urlencode({'scope': scope, 'period': p})}" for p in chosen]

    logins = []
    for username in usernames:
        user = users[username]
        role = user_role(user)
        codes = list(territories_visible_to(user=user).order_by("path").values_list("code", flat=True))
        urls: dict[str, list[str]] = {}
        if role is Role.ADMIN:
            urls[COMPANY] = [f"/company/?period={p}" for p in periods]
            urls[DASHBOARD] = [f"/territories/{c}/?period={periods[0]}" for c in codes[:TERRITORIES_PER_LOGIN]]
            urls[DRILL] = [f"/company/drill/{k}/?period={p}" for k in DRILL_KPIS for p in two]
            urls[API_KPIS] = kpis("company", periods) + [u for c in codes[:2] for u in kpis(f"territory:{c}", two)]
            urls[API_SERIES] = [
                f"/api/v1/kpis/series?scope={scope}&kpi={kpi}&from={series_from}&to={year.label}&grain={grain}"
                for scope, kpi, grain in (("company", "revenue", "month"), ("company", "win_rate", "quarter"),
                                          (f"territory:{codes[0]}", "revenue", "quarter"))
            ]  # fmt: skip
            urls[API_DEALS] = [f"/api/v1/deals?territory={c}&{days}" for c in codes[:2]]
            urls[API_DEALS].append(f"/api/v1/deals?{days}&ordering=-amount")
        elif role is Role.MANAGER:
            shown = codes[:TERRITORIES_PER_LOGIN]
            reps = reps_visible_to(user=user).order_by("external_id").values_list("pk", flat=True)
            urls[DASHBOARD] = [f"/territories/{c}/?period={p}" for c in shown for p in periods]
            urls[SCORECARD] = [f"/reps/{pk}/?period={p}" for pk in reps[:REPS_PER_MANAGER] for p in two]
            urls[DRILL] = [f"/territories/{codes[0]}/drill/{k}/?period={p}" for k in DRILL_KPIS for p in two]
            urls[API_KPIS] = [u for c in shown[:2] for u in kpis(f"territory:{c}", two)]
        elif role is Role.REP:
            rep = reps_visible_to(user=user).get()
            urls[SCORECARD] = [f"/me/?period={p}" for p in periods]
            urls[DRILL] = [f"/reps/{rep.pk}/drill/{k}/?period={p}" for k in DRILL_KPIS for p in two]
            urls[API_KPIS] = kpis(f"rep:{rep.external_id}", periods)
            urls[API_DEALS] = [f"/api/v1/deals?rep={rep.external_id}&{days}"]
        else:
            raise SystemExit(f"the demo login {username} has no role: seed the database with seed_demo")
        logins.append(Login(username, role.value, {k: tuple(v) for k, v in urls.items()}))
    return logins


def users_plan(count: int, logins: list[Login], *, admin_token: str, seed: int) -> list[User]:
    """``count`` users: roles by ROLE_CYCLE, each role's logins in turn, every other admin calling the API by token."""
    by_role: dict[str, list[Login]] = {}
    for login in logins:
        by_role.setdefault(login.role, []).append(login)
    users = []
    seen: Counter[str] = Counter()
    for number in range(count):
        role = ROLE_CYCLE[number % len(ROLE_CYCLE)]
        choices = by_role[role]
        login = choices[seen[role] % len(choices)]
        token = admin_token if role == "admin" and seen[role] % 2 == 0 else ""
        seen[role] += 1
        users.append(User(number, login, api_token=token, rng=random.Random(seed * 100_003 + number)))
    return users
