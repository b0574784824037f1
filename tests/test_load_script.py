"""benchmarks/load.py: it tells a half-written snapshot read from a complete one, and runs end to end on tiny data."""

from __future__ import annotations

import datetime
import importlib
import json
import os
import re
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection

from metrics.models import KpiSnapshot
from metrics.services.recompute import kpi_recompute
from tests.factories import AssignmentFactory, DealFactory, SalesRepFactory, UserFactory, territory_create

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
load = importlib.import_module("load")

AS_OF = datetime.date(2025, 12, 31)


def page(cards: list[str], computed: str) -> bytes:
    """A dashboard's shape: the freshness line above <main>, the KPI cards inside it."""
    articles = "".join(f'<article class="kpi" data-kpi="{key}"><p class="value">1.0</p></article>' for key in cards)
    return (f'<div class="freshness">computed {computed}</div><main id="content"><h1>NA</h1>{articles}</main>'
            '<script src="/static/app.js"></script>').encode()  # fmt: skip


def test_a_page_missing_a_card_differs_from_its_baseline_and_a_new_computation_time_does_not():
    tally = load.Tally()
    baseline = load.reading_of(load.DASHBOARD, page(["revenue", "win_rate"], "10:00"))

    tally.compare(
        load.DASHBOARD, baseline, load.reading_of(load.DASHBOARD, page(["revenue", "win_rate"], "10:05")), "a"
    )
    tally.compare(load.DASHBOARD, baseline, load.reading_of(load.DASHBOARD, page(["win_rate"], "10:05")), "b /na/")

    assert tally.compared[load.DASHBOARD] == 2
    assert tally.mismatches[load.DASHBOARD] == 1
    assert tally.mismatch_examples == ["b /na/: baseline 2 KPI cards, read 1 KPI card; missing revenue"]


def test_api_kpis_missing_a_kpi_differ_and_an_answer_without_kpis_is_incomplete():
    def body(kpis: dict) -> bytes:
        return json.dumps({"scope": "company", "period": "2025-Q4", "kpis": kpis}).encode()

    tally = load.Tally()
    full = {"revenue": {"value": 10.0}, "win_rate": {"value": 0.5}}
    baseline = load.reading_of(load.API_KPIS, body(full))
    tally.compare(load.API_KPIS, baseline, load.reading_of(load.API_KPIS, body({"win_rate": {"value": 0.5}})), "x")

    assert baseline.complete
    assert not load.reading_of(load.API_KPIS, body({})).complete
    assert tally.mismatch_examples == ["x: baseline 2 KPIs, read 1 KPI; missing revenue"]


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/login/", "login"),
        ("/company/", "company overview"),
        ("/territories/na-east/", "territory dashboard"),
        ("/me/", "rep scorecard"),
        ("/reps/12/", "rep scorecard"),
        ("/company/drill/revenue/", "drill-down"),
        ("/territories/na/drill/pipeline_value/", "drill-down"),
        ("/reps/12/drill/deals_won/", "drill-down"),
        ("/api/v1/kpis", "api kpis"),
        ("/api/v1/kpis/series", "api kpis/series"),
        ("/api/v1/deals", "api deals"),
        ("/static/css/app.css", None),
        ("/healthz", None),
    ],
)
def test_access_log_paths_are_named_like_the_clients_requests(path, endpoint):
    assert load.endpoint_of(path) == endpoint


@pytest.fixture
def demo_logins(settings):
    """The demo's five logins (password demo, hashed as the server checks it) over a tiny company."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    settings.KPI_AS_OF = AS_OF
    na, emea, apac = (territory_create(code) for code in ("na", "emea", "apac"))
    east, uk = territory_create("na-east", parent=na), territory_create("uk", parent=emea)
    territory_create("japan", parent=apac)
    users = {name: UserFactory(username=name) for name in ("admin", "manager", "manager-emea", "manager-apac", "rep")}
    get_user_model().objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    get_user_model().objects.update(password=make_password("demo"))
    for name, territory in (("manager", na), ("manager-emea", emea), ("manager-apac", apac)):
        territory.managers.add(users[name])
    rep = SalesRepFactory(external_id="REP-1", user=users["rep"])
    other = SalesRepFactory(external_id="REP-2")
    AssignmentFactory(rep=rep, territory=east, start_date=datetime.date(2024, 1, 1))
    AssignmentFactory(rep=other, territory=uk, start_date=datetime.date(2024, 1, 1))
    for owner, territory, day in ((rep, east, 3), (rep, east, 20), (other, uk, 9)):
        DealFactory(owner=owner, territory=territory, amount=Decimal("1500.00"),
                    created_on=datetime.date(2025, 9, day), closed_on=datetime.date(2025, 11, day))  # fmt: skip
    return kpi_recompute(as_of=AS_OF)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_short_load_with_recomputes_reads_only_complete_sets_and_stops_by_itself(demo_logins):
    db = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               KPI_AS_OF=AS_OF.isoformat(), DJANGO_SETTINGS_MODULE="kpi_dashboard.settings")  # fmt: skip
    command = [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--users", "6", "--seconds", "6",
               "--workers", "2", "--think-min", "0.1", "--think-max", "0.4", "--recompute-after", "0.5"]  # fmt: skip

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=90)

    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-3000:]
    snapshots = KpiSnapshot.objects.count()
    assert out.startswith(
        f"database {db['NAME']}: 2 reps, 3 deals, {snapshots:,} snapshot rows, 6 territories; "
        "as of 2025-12-31, periods 2025-Q4, 2025-12, 2025, 2025-Q3\n"
    )
    assert (
        "users: 6 — 3 managers, 2 reps, 1 admin (logins manager ×1, rep ×2, manager-emea ×1, admin ×1, "
        "manager-apac ×1); admins calling the API with the demo admin's token: 1 of 1 (the others with their session)\n"
    ) in out
    assert "logins through /login/: 6 of 6 in " in out
    assert "\nerrors: 0\n" in out
    compared = re.search(r"\nreads differing from the baseline: 0 of (\d+) compared\n", out)
    assert compared and int(compared[1]) > 0
    # Every recompute that ran during the load wrote the set the fixture's run wrote, and at least one committed.
    runs = re.findall(
        r"\n\| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| succeeded \| Run \d+: (\d+) periods, ([\d,]+) snapshot", out
    )
    assert runs and set(runs) == {(str(demo_logins.periods), f"{demo_logins.rows:,}")}
    assert "\nrecomputes committed while users were reading: 0\n" not in out
    assert "FAILED" not in out
    # gunicorn is gone: its port refuses connections.
    port = int(re.search(r"gunicorn on 127\.0\.0\.1:(\d+)", done.stderr)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
