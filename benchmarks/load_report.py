"""What a run of benchmarks/load.py measured, and the report printed from it against the goal."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dashboard_load import percentile
from load_plan import ENDPOINTS, LOGIN, MIX, User
from load_readings import Tally, counted
from load_recompute import STOPPED, RecomputeRun

GOAL_P95_MS = 200.0


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
