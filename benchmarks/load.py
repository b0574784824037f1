"""Bounded load run: logged-in users on dashboards, scorecards, drill-downs and the API while full recomputes run.

    KPI_AS_OF=2025-12-31 DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpi_bench \\
        .venv/bin/python benchmarks/load.py --users 100 --seconds 300

Expects a database filled with ``seed_demo`` (the goal is set for ``--scale 100``)
and its KPIs computed. Everything runs on 127.0.0.1 and stops by itself:

1. gunicorn serves the product with production settings (DEBUG off, persistent
   database connections, collected static files: benchmarks/dashboard_load.py);
2. every simulated user logs in through the login form with a demo login
   (password ``demo``; users of one role share its few logins, each with a session
   of their own): managers open the dashboards of their territories, the
   scorecards of their reps, drill-downs and KPIs through the API; reps their
   scorecard (``/me/``), its drill-downs and their KPIs and deals through the API;
   admins the company overview, territory dashboards, drill-downs, and KPIs,
   series and deals through the API, half of them with the demo admin's token;
3. baseline: every URL the users will ask for is read once, before the load;
4. for ``--seconds`` each user asks for one of its URLs, then reads the answer
   for a random think time between ``--think-min`` and ``--think-max`` seconds
   (people read a page before the next click), and asks again; ``--recompute-after``
   seconds in, ``manage.py recompute_kpis --full`` runs in a subprocess, and again
   after it ends while the previous run's duration still fits in the window;
5. no request starts after ``--seconds``; those in flight get ``--grace`` seconds;
   then the recompute (if still running) and gunicorn are stopped, also on Ctrl-C,
   SIGTERM or an error.

Every answer must be a 200 with its content (KPI cards, the drill-down's rows,
the JSON shape) and, because a recompute recomputes the same facts, exactly what
the baseline read returned for the same login and URL: the page's ``<main>`` (the
freshness line with its computation time is outside it), the whole JSON. A read
between the DELETE and the COPY of a half-written snapshot set would miss KPIs.
Server-side time is gunicorn's ``%(D)s`` (no queueing); client time includes the
wait for a free worker. Exit status 1 when a request failed, a read differed
from the baseline, a recompute failed, or recomputes were asked for and none
committed while the users were reading (the snapshot check then covered no
replacement of the set).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from dashboard_load import (
    HOST,
    ROOT,
    collect_static,
    error_log,
    free_port,
    percentile,
    server_env,
    server_times_by,
    start_gunicorn,
    stop_gunicorn,
)

APP = "kpi_dashboard.wsgi:application"
GOAL_P95_MS = 200.0

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


# --- what the users ask for ---------------------------------------------------------------------------


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


# --- HTTP ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    cookies: dict[str, str]
    millis: float


def fetch(port: int, method: str, path: str, *, headers: dict[str, str], timeout: float, body: str = "") -> Answer:
    """One request on a new connection (gunicorn's sync workers close each one); raises OSError or HTTPException."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    millis = (time.perf_counter() - started) * 1000
    cookies = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        cookies.load(header)
    return Answer(response.status, data, {name: morsel.value for name, morsel in cookies.items()}, millis)


CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class LoginFailed(Exception):
    pass


def login(port: int, username: str, password: str, *, timeout: float) -> tuple[str, list[float]]:
    """Log in through the form as a browser does (CSRF cookie and token); the session key and the two timings."""
    form = fetch(port, "GET", "/login/", headers={}, timeout=timeout)
    token = CSRF_INPUT.search(form.body)
    if form.status != 200 or token is None or "csrftoken" not in form.cookies:
        raise LoginFailed(f"GET /login/ answered HTTP {form.status} without a CSRF token")
    fields = {"username": username, "password": password, "csrfmiddlewaretoken": token[1].decode(), "next": ""}
    headers = {"Cookie": f"csrftoken={form.cookies['csrftoken']}", "Content-Type": "application/x-www-form-urlencoded"}
    answer = fetch(port, "POST", "/login/", headers=headers, body=urlencode(fields), timeout=timeout)
    if answer.status != 302 or "sessionid" not in answer.cookies:
        raise LoginFailed(f"POST /login/ as {username} answered HTTP {answer.status}" + (
            " (locked out)" if answer.status == 429 else ""))  # fmt: skip
    return answer.cookies["sessionid"], [form.millis, answer.millis]


def headers_of(user: User, endpoint: str) -> dict[str, str]:
    if user.api_token and endpoint in API:
        return {"Authorization": f"Token {user.api_token}"}
    return {"Cookie": f"sessionid={user.session}"}


# --- what an answer must hold ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What one answer showed: whether it has its content, a digest to compare reads, and what it lists."""

    complete: bool
    digest: str
    summary: str
    items: tuple[str, ...] = ()


MAIN = re.compile(rb'<main id="content">(.*)</main>', re.S)
CARD = re.compile(rb'data-kpi="([\w-]+)"')
DRILL_SUB = re.compile(rb'<p class="sub">.*?<strong>(.*?)</strong>\s*\xc2\xb7 ([\d,]+) rows? listed', re.S)


def counted(n: int, noun: str, plural: str = "") -> str:
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reading_of(endpoint: str, body: bytes) -> Reading:
    """Pages: their ``<main>`` (KPI cards, charts, leaderboard, drill-down rows); the API: its whole JSON."""
    if endpoint in PAGES or endpoint == DRILL:
        main = MAIN.search(body)
        if main is None:
            return Reading(False, "", "no <main> element")
        if endpoint == DRILL:
            sub = DRILL_SUB.search(main[1])
            if sub is None:
                return Reading(False, _digest(main[1]), "no value and row count")
            return Reading(True, _digest(main[1]), f"{sub[1].decode()}, {sub[2].decode()} rows listed")
        cards = tuple(key.decode() for key in CARD.findall(main[1]))
        return Reading(bool(cards), _digest(main[1]), counted(len(cards), "KPI card"), cards)
    try:
        data = json.loads(body)
    except ValueError:
        return Reading(False, "", "not JSON")
    digest = _digest(json.dumps(data, sort_keys=True).encode())
    if endpoint == API_KPIS:
        kpis = data.get("kpis") if isinstance(data, dict) else None
        listed = tuple(kpis) if isinstance(kpis, dict) else ()
        return Reading(bool(listed), digest, counted(len(listed), "KPI"), listed)
    if endpoint == API_SERIES:
        points = data.get("points") if isinstance(data, dict) else None
        listed = tuple(str(p.get("period")) for p in points) if isinstance(points, list) else ()
        return Reading(bool(listed), digest, counted(len(listed), "point"), listed)
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return Reading(False, digest, "no results list")
    return Reading(True, digest, counted(len(results), "deal"), tuple(str(r.get("external_id")) for r in results))


# --- tally ------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    compared: Counter[str] = field(default_factory=Counter)
    mismatches: Counter[str] = field(default_factory=Counter)
    mismatch_examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, endpoint: str, millis: float) -> None:
        with self.lock:
            self.latencies.setdefault(endpoint, []).append(millis)

    def error(self, endpoint: str, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[endpoint, kind] += 1
            if len(self.error_examples) < 10:
                self.error_examples.append(f"{endpoint}: {kind}: {detail}")

    def compare(self, endpoint: str, expected: Reading, seen: Reading, where: str) -> None:
        with self.lock:
            self.compared[endpoint] += 1
            if seen.digest == expected.digest:
                return
            self.mismatches[endpoint] += 1
            if len(self.mismatch_examples) < 10:
                missing = [i for i in expected.items if i not in set(seen.items)]
                note = f"; missing {', '.join(missing[:8])}" if missing else "; other content"
                self.mismatch_examples.append(f"{where}: baseline {expected.summary}, read {seen.summary}{note}")


def visit(port: int, user: User, endpoint: str, path: str, *, timeout: float,
          baseline: dict[tuple[str, str], Reading], tally: Tally) -> None:  # fmt: skip
    """One request: timed, checked for its content and compared with the baseline read of the same login and URL."""
    user.in_flight = endpoint
    try:
        answer = fetch(port, "GET", path, headers=headers_of(user, endpoint), timeout=timeout)
    except (OSError, http.client.HTTPException) as exc:
        tally.error(endpoint, type(exc).__name__, f"{path}: {exc}")
        return
    finally:
        user.in_flight = ""
    if answer.status != 200:
        tally.error(endpoint, f"HTTP {answer.status}", f"{user.login.username} {path}")
        return
    tally.answered(endpoint, answer.millis)
    seen = reading_of(endpoint, answer.body)
    if not seen.complete:
        tally.error(endpoint, "incomplete content", f"{user.login.username} {path}: {seen.summary}")
    tally.compare(endpoint, baseline[user.login.username, path], seen, f"{user.login.username} {path}")


def user_loop(port: int, user: User, *, args: argparse.Namespace, stop_at: float, stop: threading.Event,
              baseline: dict[tuple[str, str], Reading], tally: Tally) -> None:  # fmt: skip
    mix = {name: weight for name, weight in MIX[user.login.role].items() if user.login.urls.get(name)}
    names, weights = list(mix), list(mix.values())
    # Users arrive spread over one think time rather than all in the same second.
    if stop.wait(user.rng.uniform(0, args.think_max)):
        return
    while time.monotonic() < stop_at:
        endpoint = user.rng.choices(names, weights)[0]
        path = user.rng.choice(user.login.urls[endpoint])
        visit(port, user, endpoint, path, timeout=args.timeout, baseline=baseline, tally=tally)
        if stop.wait(user.rng.uniform(args.think_min, args.think_max)):
            return


# --- recompute --------------------------------------------------------------------------------------------


STOPPED = "stopped at the end of the load"


@dataclass
class RecomputeRun:
    started: float  # seconds after the load started
    finished: float | None = None
    status: str = "running"
    output: str = ""


class Recomputes:
    """``manage.py recompute_kpis --full`` from ``after`` seconds into the load, again while a run still fits."""

    def __init__(self, env: dict[str, str], *, load_start: float, stop_at: float, after: float, nice: int = 0):
        self.env, self.load_start, self.stop_at, self.after = env, load_start, stop_at, after
        self.nice = nice
        self.runs: list[RecomputeRun] = []
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()  # no run starts once stop() has looked for the one to stop
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> Recomputes:
        self.thread.start()
        return self

    def _loop(self) -> None:
        if self.stopping.wait(max(0.0, self.load_start + self.after - time.monotonic())):
            return
        while not self.stopping.is_set():
            remaining = self.stop_at - time.monotonic()
            last = self.runs[-1] if self.runs else None
            if remaining <= 0 or (last and last.finished is not None and remaining < last.finished - last.started):
                return
            command = [sys.executable, str(ROOT / "manage.py"), "recompute_kpis", "--full"]
            if self.nice:  # as docker-compose.yml runs the Celery worker: batch work yields to requests
                command = ["nice", "-n", str(self.nice), *command]
            with self.lock:
                if self.stopping.is_set():
                    return
                run = RecomputeRun(started=time.monotonic() - self.load_start)
                self.runs.append(run)
                self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
            output, _ = self.process.communicate()
            run.finished = time.monotonic() - self.load_start
            lines = output.decode(errors="replace").strip().splitlines()
            run.output = lines[-1] if lines else ""
            code = self.process.returncode
            if self.stopping.is_set() and code != 0:
                run.status = STOPPED
            else:
                run.status = "succeeded" if code == 0 else f"failed (exit {code})"

    def stop(self) -> None:
        """Interrupt a run still going (its transaction rolls back; the next run marks its KpiRun failed)."""
        with self.lock:
            self.stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.thread.join(timeout=15)


# --- the run -------------------------------------------------------------------------------------------------


def run_all(tasks: list[Callable[[], None]], *, parallel: int) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        for future in [pool.submit(task) for task in tasks]:
            future.result()


def logins_run(port: int, users: list[User], *, password: str, timeout: float, parallel: int, tally: Tally) -> None:
    """Every user logs in through the form; ``parallel`` at a time (password hashing is deliberately slow)."""

    def one(user: User) -> None:
        try:
            user.session, millis = login(port, user.login.username, password, timeout=timeout)
        except (OSError, http.client.HTTPException, LoginFailed) as exc:
            tally.error(LOGIN, type(exc).__name__, str(exc))
            return
        for value in millis:
            tally.answered(LOGIN, value)

    run_all([lambda u=user: one(u) for user in users], parallel=parallel)


def baseline_read(port: int, users: list[User], *, timeout: float, parallel: int) -> dict[tuple[str, str], Reading]:
    """Each login's URLs read once before the load (and before any recompute): what every later read must equal."""
    readers: dict[str, User] = {}
    for user in users:
        readers.setdefault(user.login.username, user)  # the session answers the API as the token does
    baseline: dict[tuple[str, str], Reading] = {}
    problems: list[str] = []
    lock = threading.Lock()

    def one(user: User, endpoint: str, path: str) -> None:
        try:
            answer = fetch(port, "GET", path, headers={"Cookie": f"sessionid={user.session}"}, timeout=timeout)
        except (OSError, http.client.HTTPException) as exc:
            with lock:
                problems.append(f"{user.login.username} {path}: {type(exc).__name__}: {exc}")
            return
        reading = reading_of(endpoint, answer.body)
        with lock:
            if answer.status != 200 or not reading.complete:
                problems.append(f"{user.login.username} {path}: HTTP {answer.status}, {reading.summary}")
            baseline[user.login.username, path] = reading

    tasks = [
        lambda u=user, e=endpoint, p=path: one(u, e, p)
        for user in readers.values()
        for endpoint, paths in user.login.urls.items()
        for path in paths
    ]
    run_all(tasks, parallel=parallel)
    if problems:
        raise SystemExit("the baseline reads failed, so the load would too:\n  " + "\n  ".join(problems[:10]))
    return baseline


@dataclass
class Outcome:
    tally: Tally
    server: dict[str, list[float]]
    wall: float
    login_seconds: float
    baseline_urls: int
    recomputes: list[RecomputeRun]
    abandoned: int
    server_errors: str


def load_run(args: argparse.Namespace, users: list[User], env: dict[str, str]) -> Outcome:
    tally = Tally()
    parallel = args.workers * args.threads
    with tempfile.TemporaryDirectory(prefix="load-") as folder:
        env = {**env, "DJANGO_STATIC_ROOT": str(Path(folder) / "static")}
        collect_static(env)
        port = args.port or free_port()
        log = Path(folder) / "access.log"
        options = ["--threads", str(args.threads)] if args.threads > 1 else []
        progress(f"gunicorn on {HOST}:{port}: {workers_shape(args)}")
        server = start_gunicorn(port, args.workers, env, log, timeout=int(args.timeout) + 30, app=APP, options=options)
        stop = threading.Event()
        recomputes: Recomputes | None = None
        try:
            progress(f"{len(users)} users log in")
            started = time.monotonic()
            logins_run(port, users, password=args.password, timeout=args.timeout, parallel=parallel, tally=tally)
            login_seconds = time.monotonic() - started
            users = [u for u in users if u.session]
            if not users:
                raise SystemExit("no user could log in: " + "; ".join(tally.error_examples))
            progress("baseline reads")
            baseline = baseline_read(port, users, timeout=args.timeout, parallel=parallel)
            log.write_text("")  # server-side times from here on: the load only
            progress(f"load: {len(users)} users for {args.seconds:.0f} s")
            load_start = time.monotonic()
            stop_at = load_start + args.seconds
            if args.recompute:
                recomputes = Recomputes(
                    env, load_start=load_start, stop_at=stop_at, after=args.recompute_after, nice=args.recompute_nice
                ).start()
            threads = [
                threading.Thread(target=user_loop, args=(port, user), daemon=True,
                                 kwargs={"args": args, "stop_at": stop_at, "stop": stop, "baseline": baseline,
                                         "tally": tally})
                for user in users
            ]  # fmt: skip
            for thread in threads:
                thread.start()
            stop.wait(max(0.0, stop_at - time.monotonic()))
            # The window is over: thinking users leave now, and a recompute still going is stopped.
            stop.set()
            wall = time.monotonic() - load_start
            if recomputes is not None:
                recomputes.stop()
            for thread in threads:
                thread.join(timeout=max(0.0, stop_at + args.grace - time.monotonic()))
            abandoned = [u for u, t in zip(users, threads, strict=True) if t.is_alive() and u.in_flight]
            for user in abandoned:
                tally.error(user.in_flight, "no answer within the grace period", user.login.username)
        finally:
            stop.set()
            if recomputes is not None:
                recomputes.stop()
            stop_gunicorn(server)
        return Outcome(
            tally=tally,
            server=server_times_by(log, endpoint_of),
            wall=wall,
            login_seconds=login_seconds,
            baseline_urls=len(baseline),
            recomputes=recomputes.runs if recomputes else [],
            abandoned=len(abandoned),
            server_errors=error_log(log).read_text(errors="replace")[-3000:],
        )


# --- report ----------------------------------------------------------------------------------------------------


def workers_shape(args: argparse.Namespace) -> str:
    if args.threads > 1:
        return f"{args.workers} gthread workers × {args.threads} threads"
    return f"{args.workers} sync workers"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def data_size() -> str:
    from metrics.models import KpiSnapshot
    from reps.models import SalesRep
    from sales.models import Deal
    from territories.models import Territory

    return ", ".join([
        counted(SalesRep.objects.count(), "rep"),
        counted(Deal.objects.count(), "deal"),
        counted(KpiSnapshot.objects.count(), "snapshot row"),
        counted(Territory.objects.count(), "territory", "territories"),
    ])  # fmt: skip


def machine() -> str:
    from django.db import connection

    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))  # fmt: skip
    version = connection.pg_version
    return (f"{os.cpu_count()} cores, {memory / 2**20:.1f} GiB RAM, PostgreSQL {version // 10000}.{version % 10000}, "
            f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip


def _stats(values: list[float]) -> list[str]:
    if not values:
        return ["–"] * 4
    return [f"{percentile(values, q):.1f}" for q in (50, 95, 99)] + [f"{max(values):.1f}"]


def report(args: argparse.Namespace, users: list[User], outcome: Outcome) -> list[str]:
    """Print the figures; return what failed (empty: the run met its checks)."""
    tally = outcome.tally
    roles = Counter(u.login.role for u in users)
    per_login = Counter(u.login.username for u in users)
    by_token = sum(1 for u in users if u.api_token)
    print(f"users: {len(users)} — " + ", ".join(counted(roles[r], r) for r in MIX if roles[r])
          + f" (logins {', '.join(f'{name} ×{n}' for name, n in per_login.items())}); admins calling the API "
          f"with the demo admin's token: {by_token} of {roles['admin']} (the others with their session)")  # fmt: skip
    print(f"logins through /login/: {len(tally.latencies.get(LOGIN, [])) // 2} of {len(users)} "
          f"in {outcome.login_seconds:.1f} s, before the load")  # fmt: skip
    print(f"baseline: {outcome.baseline_urls} login × URL pairs read once before the load")
    print(f"load: {outcome.wall:.0f} s, think time {args.think_min:g}–{args.think_max:g} s, "
          f"{outcome.abandoned} requests still waiting after the {args.grace:g} s grace\n")  # fmt: skip

    print("| endpoint | 200 answers | per s | client p50 ms | p95 | p99 | max | server p50 ms | p95 | p99 | max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    every_client = [v for name in ENDPOINTS for v in tally.latencies.get(name, [])]
    every_server = [v for name in ENDPOINTS for v in outcome.server.get(name, [])]
    rows = [(name, tally.latencies.get(name, []), outcome.server.get(name, [])) for name in ENDPOINTS]
    rows.append(("all", every_client, every_server))
    for name, client, server in rows:
        if client or server:
            rate = len(client) / outcome.wall if outcome.wall else 0.0
            cells = [name, f"{len(client):,}", f"{rate:.1f}", *_stats(client), *_stats(server)]
            print("| " + " | ".join(cells) + " |")
    logins = tally.latencies.get(LOGIN, [])
    print(f"\nlogin requests (GET and POST /login/, before the load): client p50 {percentile(logins, 50):.0f} ms, "
          f"p95 {percentile(logins, 95):.0f} ms")  # fmt: skip

    errors = sum(tally.errors.values())
    print(f"\nerrors: {errors}")
    for (endpoint, kind), count in sorted(tally.errors.items()):
        print(f"  {endpoint}: {kind}: {count}")
    for example in tally.error_examples:
        print(f"  e.g. {example}")
    if errors and outcome.server_errors.strip():
        print("server log (last lines):\n" + outcome.server_errors)

    mismatches = sum(tally.mismatches.values())
    compared = sum(tally.compared.values())
    print(f"\nreads differing from the baseline: {mismatches} of {compared:,} compared")
    for endpoint, count in sorted(tally.mismatches.items()):
        print(f"  {endpoint}: {count} of {tally.compared[endpoint]:,}")
    for example in tally.mismatch_examples:
        print(f"  e.g. {example}")

    failures = []
    if errors:
        failures.append(f"{errors} failed requests")
    if mismatches:
        failures.append(f"{mismatches} reads differing from the baseline")
    if args.recompute:
        nice = f"nice {args.recompute_nice}"
        print(f"\nrecompute runs (manage.py recompute_kpis --full at {nice}, seconds after the load started):")
        print("| run | started | finished | duration | status | output |")
        print("|---:|---:|---:|---:|---|---|")
        for number, run in enumerate(outcome.recomputes, 1):
            finished = f"{run.finished:.1f}" if run.finished is not None else "–"
            duration = f"{run.finished - run.started:.1f}" if run.finished is not None else "–"
            print(f"| {number} | {run.started:.1f} | {finished} | {duration} | {run.status} | {run.output} |")
        committed = [r for r in outcome.recomputes if r.status == "succeeded" and r.finished <= outcome.wall]
        print(f"recomputes committed while users were reading: {len(committed)}")
        if any(r.status == STOPPED for r in outcome.recomputes):
            print("a stopped run's transaction rolled back; its KpiRun stays 'running' until the next recompute "
                  "marks it failed")  # fmt: skip
        failed = [r for r in outcome.recomputes if r.status.startswith("failed")]
        if failed:
            failures.append(f"{len(failed)} recompute runs failed")
        if not committed:
            failures.append("no recompute committed during the load: the snapshot check covered no replacement")

    p95 = percentile(every_client, 95)
    print(
        f"\ngoal: 0 errors ({errors}), p95 ≤ {GOAL_P95_MS:.0f} ms (client side, every request: {p95:.1f} ms, "
        f"{'met' if p95 <= GOAL_P95_MS else 'NOT met'}), no half-written set read ({mismatches} differing reads)"
    )
    return failures


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent logged-in users (default 100)")
    parser.add_argument("--seconds", type=float, default=300.0, help="length of the load (default 300)")
    parser.add_argument(
        "--workers", type=int, default=4, help="gunicorn worker processes (default 4: two per core of a 2-core machine)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; more than 1 is gthread (default 1)")
    parser.add_argument("--think-min", type=float, default=1.0, help="shortest wait between a user's requests (s)")
    parser.add_argument("--think-max", type=float, default=5.0,
                        help="longest wait between a user's requests (s): uniform between the two, people read "
                             "the page before the next click (default 1–5)")  # fmt: skip
    parser.add_argument("--recompute", action=argparse.BooleanOptionalAction, default=True,
                        help="run full recomputes during the load (default on)")  # fmt: skip
    parser.add_argument("--recompute-after", type=float, default=20.0,
                        help="seconds into the load the first recompute starts (default 20)")  # fmt: skip
    parser.add_argument("--recompute-nice", type=int, default=10,
                        help="CPU niceness of the recompute, as docker-compose.yml gives the Celery worker (default "
                             "10; 0: same priority as the web server)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request socket timeout (s, default 30)")
    parser.add_argument("--grace", type=float, default=30.0,
                        help="seconds requests in flight at the end may still take (default 30)")  # fmt: skip
    parser.add_argument("--periods", help="comma-separated periods users look at (default: the as-of date's "
                                          "quarter, month, year and the quarter before)")  # fmt: skip
    parser.add_argument("--password", default="demo", help="password of the demo logins (default demo)")
    parser.add_argument("--token-throttle", default="1000000/minute",
                        help="API_THROTTLE_TOKEN of the server: every token user shares the one demo admin's token, "
                             "where real scripts each have their own (default 1000000/minute)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="seed of the users' choices and think times")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args(argv)
    if not 0 <= args.think_min <= args.think_max:
        parser.error("--think-min must be between 0 and --think-max")
    if args.users < 1 or args.workers < 1 or args.threads < 1 or args.seconds <= 0:
        parser.error("--users, --workers, --threads and --seconds must be positive")
    if "DATABASE_URL" not in os.environ:
        parser.error("set DATABASE_URL to the PostgreSQL database to load (seeded by seed_demo, KPIs computed)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_dashboard.settings")
    os.environ.setdefault("KPI_AS_OF", "2025-12-31")
    # SIGTERM ends the run like Ctrl-C: the finally blocks stop the recompute and gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from metrics.engine import as_of_date
    from sales.demo import plan

    as_of = as_of_date()
    fiscal = settings.FISCAL_YEAR_START_MONTH
    periods = args.periods.split(",") if args.periods else default_periods(as_of, fiscal)
    logins = logins_plan(periods, as_of=as_of, fiscal_start_month=fiscal)
    token, created = Token.objects.get_or_create(user=get_user_model().objects.get(username=plan.ADMIN_USERNAME))
    users = users_plan(args.users, logins, admin_token=token.key, seed=args.seed)
    overrides = {"API_THROTTLE_TOKEN": args.token_throttle}
    env = {**server_env(""), **overrides}
    header = [
        f"database {connection.settings_dict['NAME']}: {data_size()}; "
        f"as of {as_of.isoformat()}, periods {', '.join(periods)}",
        f"machine: {machine()} before the run",
        f"server: gunicorn, {workers_shape(args)} on {HOST}, production settings (DEBUG off, "
        f"CONN_MAX_AGE {env['DJANGO_CONN_MAX_AGE']}, collected static files), "
        f"cache {'Redis' if env.get('REDIS_URL') else 'local memory per worker'}",
        "changed for the benchmark: " + ", ".join(f"{k}={v}" for k, v in overrides.items())
        + f" (the token users share the demo admin's token{', created for this run' if created else ''}); "
        f"login throttling as configured (AXES_FAILURE_LIMIT {settings.AXES_FAILURE_LIMIT}: only failed logins count)",
    ]  # fmt: skip
    print("\n".join(header), flush=True)
    outcome = load_run(args, users, env)
    failures = report(args, users, outcome)
    print(f"load average {os.getloadavg()[0]:.1f} after the run")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
