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

The script is split by job into modules beside it, imported by name as it imports
benchmarks/dashboard_load.py: load_plan.py (the endpoints, the demo logins and the
users), load_readings.py (what an answer must hold, and the tally), load_recompute.py
(the recomputes during the load) and load_report.py (the figures printed at the end).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from dashboard_load import (
    HOST,
    collect_static,
    error_log,
    free_port,
    server_env,
    server_times_by,
    start_gunicorn,
    stop_gunicorn,
)
from load_plan import API, LOGIN, MIX, User, default_periods, endpoint_of, logins_plan, users_plan

# Endpoint names read as load.<name> by tests/test_load_script.py.
from load_plan import API_KPIS as API_KPIS
from load_plan import DASHBOARD as DASHBOARD
from load_readings import Reading, Tally, reading_of
from load_recompute import Recomputes
from load_report import Outcome, data_size, machine, progress, report, workers_shape

APP = "kpi_dashboard.wsgi:application"


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
