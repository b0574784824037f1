"""The full recomputes benchmarks/load.py runs in a subprocess while the users are reading."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from dashboard_load import ROOT

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
