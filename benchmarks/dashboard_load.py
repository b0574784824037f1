"""Load-test the territory dashboard and the rep scorecard under gunicorn, snapshots vs live.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpi_dash_big .venv/bin/python benchmarks/dashboard_load.py

Expects a database filled with ``seed_demo --scale N`` and ``recompute_kpis``
(as of 2025-12-31). Starts gunicorn (2 sync workers, production settings:
DEBUG off, persistent connections, collected static files) on 127.0.0.1 only,
then runs two phases of ``--seconds`` each with ``--clients`` concurrent clients,
every client alternating the two pages:

1. snapshots: ``/territories/<code>/`` (as the demo manager) and ``/me/`` (as the
   demo rep), the product's pages;
2. live, the peer approach: the same pages rendered by the same views from KPIs
   computed per request (benchmarks/dashboard_live.py).

Server-side time is what gunicorn logs per request (``%(D)s``: from reading the
request to the response written, without queueing); client-side latency
includes the wait for a free worker. Every response must be a 200 with the KPI
cards in it. The run is bounded: no new request after ``--seconds``, in-flight
ones get ``--grace`` seconds, and gunicorn is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
SECRET = "benchmark-only-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
# The product's WSGI application plus the /live/ pages of the peer approach (benchmarks/dashboard_live.py).
LIVE_APP = "dashboard_live:wsgi()"


def environment_defaults() -> None:
    """This benchmark's database and as-of date unless the environment names others (other scripts import us)."""
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kpi_dash_big")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_dashboard.settings")
    os.environ.setdefault("KPI_AS_OF", "2025-12-31")


def server_env(static_root: str) -> dict[str, str]:
    """Production settings, served over plain HTTP on the loopback interface."""
    return {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": static_root,
        "DJANGO_CONN_MAX_AGE": "600",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def sessions(usernames: list[str]) -> dict[str, str]:
    """Session keys for the demo logins (made directly, no login round trip)."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    keys = {}
    for username in usernames:
        user = get_user_model().objects.get(username=username)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        keys[username] = store.session_key
    return keys


def rep_id(username: str) -> int:
    from reps.models import SalesRep

    return SalesRep.objects.get(user__username=username).pk


@dataclass
class Target:
    name: str
    path: str
    session: str


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(port: int, targets: list[Target], stop_at: float, timeout: float, results: Results, offset: int):
    turn = offset
    while time.monotonic() < stop_at:
        target = targets[turn % len(targets)]
        turn += 1
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
            connection.request("GET", target.path, headers={"Cookie": f"sessionid={target.session}"})
            response = connection.getresponse()
            body = response.read()
            connection.close()
        except OSError as exc:
            with results.lock:
                results.errors.append(f"{target.name}: {type(exc).__name__}: {exc}")
            continue
        elapsed = (time.perf_counter() - started) * 1000
        ok = response.status == 200 and b'data-kpi="revenue"' in body
        with results.lock:
            if ok:
                results.latencies.setdefault(target.name, []).append(elapsed)
            else:
                results.errors.append(f"{target.name}: HTTP {response.status}")


def run_phase(port: int, targets: list[Target], *, clients: int, seconds: float, grace: float) -> Results:
    results = Results()
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(port, targets, stop_at, seconds + grace, results, i), daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at + grace - time.monotonic()))
    return results


LOG_LINE = re.compile(r"^(?P<path>\S+) (?P<status>\d{3}) (?P<micros>\d+)$")


def server_times(log: Path, paths: dict[str, str]) -> dict[str, list[float]]:
    """Server-side milliseconds per page name, read from gunicorn's access log."""
    by_path = {path: name for name, path in paths.items()}
    return server_times_by(log, by_path.get)


def server_times_by(log: Path, name_of: Callable[[str], str | None]) -> dict[str, list[float]]:
    """Server-side milliseconds of the 200 answers per name, ``name_of(path)`` (None: not counted)."""
    found: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        match = LOG_LINE.match(line.strip())
        name = name_of(match["path"]) if match and match["status"] == "200" else None
        if name is not None:
            found.setdefault(name, []).append(int(match["micros"]) / 1000)
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return statistics.quantiles(ordered, n=100, method="inclusive")[q - 1] if len(ordered) > 1 else ordered[0]


def start_gunicorn(
    port: int, workers: int, env: dict, log: Path, timeout: int, *, app: str = LIVE_APP, options: Sequence[str] = ()
) -> subprocess.Popen:
    """gunicorn serving ``app`` on the loopback interface, once it answers /healthz; ``options`` go to gunicorn."""
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "--chdir", str(ROOT), "--pythonpath", str(ROOT / "benchmarks"),
        "--bind", f"{HOST}:{port}", "--workers", str(workers), "--timeout", str(timeout),
        "--access-logfile", str(log), "--access-logformat", "%(U)s %(s)s %(D)s", *options, app,
    ]  # fmt: skip
    # Its own log lines go to a file next to the access log: a pipe nobody reads would block the workers once full.
    with error_log(log).open("wb") as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200 and process.poll() is None:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"gunicorn did not answer on {HOST}:{port}: {error_log(log).read_text()[-2000:]}")


def error_log(access_log: Path) -> Path:
    """Where ``start_gunicorn`` writes gunicorn's and the application's own log lines (stderr)."""
    return access_log.with_suffix(".stderr")


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Graceful stop (SIGTERM lets workers finish their request), killed after 30 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def collect_static(env: dict[str, str]) -> None:
    """Production settings serve the manifest-named static files: collect them into ``DJANGO_STATIC_ROOT``."""
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "manage.py"), "collectstatic",
                    "--noinput", "-v0"], env=env, check=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--territory", default="na", help="territory code of the dashboard (default na)")
    parser.add_argument("--manager", default="manager", help="login that opens the territory (default manager)")
    parser.add_argument("--rep", default="rep", help="login whose scorecard is opened (default rep)")
    parser.add_argument("--period", default="2025-Q4")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--grace", type=float, default=240.0, help="seconds in-flight requests may still take")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--skip-live", action="store_true")
    args = parser.parse_args()
    environment_defaults()

    # Sessions are signed with the server's secret key: read the same settings here.
    os.environ.update({k: v for k, v in server_env("").items() if k in ("SECRET_KEY", "DJANGO_DEBUG")})
    keys = sessions([args.manager, args.rep])
    rep = rep_id(args.rep)
    query = f"?period={args.period}"
    phases = {
        "snapshots": [Target("territory dashboard", f"/territories/{args.territory}/{query}", keys[args.manager]),
                      Target("rep scorecard", f"/reps/{rep}/{query}", keys[args.rep])],
        "live": [Target("territory dashboard", f"/live/territories/{args.territory}/{query}", keys[args.manager]),
                 Target("rep scorecard", f"/live/reps/{rep}/{query}", keys[args.rep])],
    }  # fmt: skip
    if args.skip_live:
        del phases["live"]

    with tempfile.TemporaryDirectory(prefix="dashboard-load-") as folder:
        static_root = str(Path(folder) / "static")
        env = server_env(static_root)
        collect_static(env)
        summary = {}
        for phase, targets in phases.items():
            port = args.port or free_port()
            log = Path(folder) / f"{phase}.log"
            print(f"phase {phase}: gunicorn on {HOST}:{port}, {args.clients} clients for {args.seconds:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
            server = start_gunicorn(port, args.workers, env, log, timeout=int(args.grace) + 60)
            try:
                # One warm-up request per page (imports, first connections), not counted.
                for target in targets:
                    run_phase(port, [target], clients=1, seconds=0.001, grace=args.grace)
                log.write_text("")
                started = time.monotonic()
                results = run_phase(port, targets, clients=args.clients, seconds=args.seconds, grace=args.grace)
                wall = time.monotonic() - started
            finally:
                stop_gunicorn(server)
            served = server_times(log, {t.name: urlpath(t.path) for t in targets})
            summary[phase] = (served, results, wall)
        report(args, summary)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def urlpath(path: str) -> str:
    return path.split("?", 1)[0]


def report(args, summary) -> None:
    print(f"\n{args.clients} clients, {args.workers} gunicorn workers, {args.seconds:.0f} s per phase, "
          f"territory {args.territory}, period {args.period}\n")  # fmt: skip
    print("| approach | page | requests | server p50 ms | server p95 ms | client p50 ms | client p95 ms | req/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for phase, (served, results, wall) in summary.items():
        for name in ("territory dashboard", "rep scorecard"):
            server = served.get(name, [])
            client = results.latencies.get(name, [])
            cells = [phase, name, str(len(client))]
            cells += [f"{percentile(values, q):.1f}" for values in (server, client) for q in (50, 95)]
            cells.append(f"{len(client) / wall:.1f}")
            print("| " + " | ".join(cells) + " |")
        if results.errors:
            print(f"\n{phase}: {len(results.errors)} failed requests, e.g. {results.errors[:3]}")
    if "live" in summary:
        print()
        for name in ("territory dashboard", "rep scorecard"):
            snap = percentile(summary["snapshots"][0].get(name, []), 50)
            live = percentile(summary["live"][0].get(name, []), 50)
            print(f"{name}: snapshots are {live / snap:.0f}x faster than live at the server-side median")


if __name__ == "__main__":
    main()
