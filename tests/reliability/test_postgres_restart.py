"""PostgreSQL stopped and started again under a running gunicorn, with a recompute writing at that moment.

The server is a private PostgreSQL cluster (the same binaries as the shared one, its own data
directory and port), so stopping it disturbs no other test. What must hold:

- while it is down, pages answer a 503 page and the API a 503 JSON error, both with Retry-After;
  a write (a target edit) answers 503 and is not kept;
- when it is back, the same gunicorn workers answer 200 again by themselves (CONN_HEALTH_CHECKS);
- the recompute cut off mid-write left nothing half-written: the previous snapshot set is intact,
  the next run marks the cut one failed and completes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import requests

from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SECRET = "restart-test-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKL"
pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        message = "needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin) to run a private cluster"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI's machine has them: a missing one is a broken setup, not a reason to skip
        pytest.skip(message + " (a database reached over the network is not enough)")
    return found[-1].parent


class Cluster:
    """A throw-away PostgreSQL cluster on a free loopback port (run as 'postgres' when we are root)."""

    def __init__(self, directory: Path) -> None:
        self.bin, self.directory, self.port = _pg_bin(), directory, _free_port()
        self.data = directory / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/kpi"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "kpi")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        # 'fast': what a restart does: every session is cut, open transactions roll back.
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (
            subprocess.run([str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode
            == 0
        )

    def connect(self):
        return psycopg2.connect(self.url)


def _manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=check, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def site() -> Iterator[dict]:
    """The demo company on a private cluster, served by gunicorn with production settings."""
    directory = Path(tempfile.mkdtemp(prefix="kpi-pg-restart-"))
    cluster = Cluster(directory)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kpi_dashboard.settings",
        "DATABASE_URL": cluster.url, "KPI_AS_OF": "2025-12-31", "DJANGO_DEBUG": "false", "SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SECURE_SSL_REDIRECT": "false", "DJANGO_CONN_MAX_AGE": "600",
        "DJANGO_STATIC_ROOT": str(directory / "static"), "DJANGO_LOG_LEVEL": "ERROR",
    }  # fmt: skip
    env.pop("REDIS_URL", None)  # tasks run eagerly: this test is about the database
    server = None
    try:
        cluster.create()
        _manage(env, "migrate", "--noinput")
        _manage(env, "collectstatic", "--noinput")
        _manage(env, "seed_demo")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kpi_dashboard.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--timeout", "60"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _status(f"{base}/healthz") == 200, timeout=60), "gunicorn did not start"
        yield {"cluster": cluster, "base": base, "env": env}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if cluster.running():
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=10).status_code
    except requests.RequestException:
        return None


class Browser:
    """A logged-in manager over plain HTTP (production cookies are Secure, so they are sent by hand)."""

    def __init__(self, base: str, username: str) -> None:
        self.base, self.cookies = base, {}
        login = requests.get(f"{base}/login/", timeout=10)
        self.cookies["csrftoken"] = login.cookies["csrftoken"]
        response = self.post("/login/", data={"username": username, "password": "demo"})
        assert response.status_code == 302, response.text[:500]
        self.cookies["sessionid"] = response.cookies["sessionid"]
        self.cookies["csrftoken"] = response.cookies.get("csrftoken", self.cookies["csrftoken"])

    def _headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie, "X-CSRFToken": self.cookies["csrftoken"], "Referer": self.base + "/"}

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base + path, headers=self._headers(), timeout=30, allow_redirects=False)

    def post(self, path: str, **kwargs) -> requests.Response:
        data = kwargs.pop("data", None)
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        return requests.post(self.base + path, data=data, headers=self._headers(), timeout=30, allow_redirects=False,
                             **kwargs)  # fmt: skip


def _snapshot_state(cluster: Cluster) -> tuple:
    with cluster.connect() as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT run_id), md5(string_agg(concat_ws('|', scope, period, kpi, value, n,"
            " target, attainment), ',' ORDER BY scope, period, kpi)) FROM metrics_kpisnapshot"
        )
        return cursor.fetchone()


def _runs(cluster: Cluster) -> list[tuple[int, str]]:
    with cluster.connect() as db, db.cursor() as cursor:
        cursor.execute("SELECT id, status FROM metrics_kpirun ORDER BY id")
        return cursor.fetchall()


def _targets(cluster: Cluster) -> int:
    with cluster.connect() as db, db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM metrics_target")
        return cursor.fetchone()[0]


def test_postgres_restart_under_gunicorn(site):
    cluster, base, env = site["cluster"], site["base"], site["env"]
    manager = Browser(base, "manager")
    dashboard = manager.get("/")
    assert dashboard.status_code == 302
    page_path = dashboard.headers["Location"]
    code = page_path.strip("/").split("/")[-1]  # /territories/<code>/
    api_path = f"/api/v1/kpis?scope=territory:{code}&period=2025"
    assert manager.get(page_path).status_code == 200
    assert manager.get(api_path).status_code == 200
    before, runs_before, targets_before = _snapshot_state(cluster), _runs(cluster), _targets(cluster)
    assert before[0] > 0 and before[1] == 1

    # A full recompute blocks writing its snapshots (another session holds the table) when the server stops.
    blocker = cluster.connect()
    blocker.cursor().execute("LOCK TABLE metrics_kpisnapshot IN ACCESS EXCLUSIVE MODE")
    recompute = subprocess.Popen([sys.executable, "manage.py", "recompute_kpis", "--full"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        assert wait_for(lambda: any(status == "running" for _, status in _runs(cluster)), timeout=120)
        time.sleep(1)  # computed; now waiting for the table
        cluster.stop()
    finally:
        blocker.close()
    output, _ = recompute.communicate(timeout=60)
    assert recompute.returncode != 0, output  # cut off mid-write

    # Down: every kind of request gets a clear 503, pages and API alike; a write is not kept.
    for _ in range(4):  # both workers, whatever their connection's state
        page = manager.get(page_path)
        assert page.status_code == 503
        assert "The database cannot be reached right now" in page.text
        assert page.headers["Retry-After"] == "30"
        api = manager.get(api_path)
        assert api.status_code == 503
        assert api.headers["Retry-After"] == "30"
        assert api.json() == {"error": {"code": "unavailable", "fields": {},
                                        "message": "The database cannot be reached; try again shortly."}}  # fmt: skip
    edit = manager.post(
        "/api/v1/targets", json={"scope": f"territory:{code}", "kpi": "revenue", "period": "2025-03", "value": "1"}
    )
    assert edit.status_code == 503
    assert _status(f"{base}/healthz") == 503

    # Back: the same workers answer again by themselves.
    cluster.start()
    for _ in range(6):
        assert manager.get(page_path).status_code == 200
        assert manager.get(api_path).status_code == 200
    assert _status(f"{base}/healthz") == 200

    # Nothing half-written: the previous complete set, the cut run still 'running' until the next one.
    assert _snapshot_state(cluster) == before
    assert _targets(cluster) == targets_before
    cut = [pk for pk, status in _runs(cluster) if status == "running"]
    assert len(cut) == 1 and _runs(cluster)[: len(runs_before)] == runs_before
    done = _manage(env, "recompute_kpis", "--full")
    assert done.stdout.startswith("Run "), done.stdout
    statuses = dict(_runs(cluster))
    assert statuses[cut[0]] == "failed"
    after = _snapshot_state(cluster)
    assert (after[0], after[1], after[2]) == (before[0], 1, before[2])  # same facts, same numbers, one run
