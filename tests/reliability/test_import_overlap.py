"""Imports racing each other and a recompute, on the real PostgreSQL server (threads, one session each).

- Two imports at once: the second is refused while the first checks or writes, with a message that
  says so; it writes nothing and interleaves nothing. Dry runs write nothing and are never refused.
- A recompute overlapping an import reads one snapshot of the database: the set it writes is
  exactly what a clean run on the data before the import gives; the import's own recompute then
  leaves exactly what a clean run on the data after it gives.
"""

from __future__ import annotations

import csv
import datetime
import io
import threading
from pathlib import Path

import pytest
from django.db import connection

from metrics import fetch
from metrics.models import KpiRecomputeRequest, KpiRun, KpiSnapshot
from metrics.services import recompute
from metrics.services.recompute import kpi_recompute
from sales.importers.core import ImportContext
from sales.importers.service import crm_import_path
from sales.models import Deal, ImportRun
from tests.waiting import wait_for

DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "acceptance"
AS_OF = datetime.date(2025, 12, 31)
TIMEOUT = 60
pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def snapshot_rows() -> list[tuple]:
    return sorted(KpiSnapshot.objects.values_list("scope", "period", "kpi", "value", "n", "target", "attainment"))


class Paused(threading.Thread):
    """Run ``target`` in its own thread and database session; keep what it returns or raises."""

    def __init__(self, target) -> None:
        super().__init__(daemon=True)
        self._target, self.result, self.error = target, None, None

    def run(self) -> None:
        try:
            self.result = self._target()
        except BaseException as exc:  # re-raised by finish() in the test's thread
            self.error = exc
        finally:
            connection.close()

    def finish(self):
        self.join(TIMEOUT)
        assert not self.is_alive(), "the paused job did not finish"
        if self.error:
            raise self.error
        return self.result


def pause_in(monkeypatch, owner, name: str, *, before: bool) -> tuple[threading.Event, threading.Event]:
    """Make ``owner.name`` stop (before or after its own work) in the first thread that calls it.

    Returns (reached, release): the pause sets ``reached`` and waits for ``release``.
    """
    original = getattr(owner, name)
    reached, release = threading.Event(), threading.Event()
    first = threading.Lock()

    def paused(*args, **kwargs):
        stop = first.acquire(blocking=False)
        if stop and before:
            reached.set()
            assert release.wait(TIMEOUT)
        result = original(*args, **kwargs)
        if stop and not before:
            reached.set()
            assert release.wait(TIMEOUT)
        return result

    monkeypatch.setattr(owner, name, paused)
    return reached, release


def changed_deals(folder: Path) -> Path:
    """The acceptance set's deals.csv with every open deal's amount doubled and 20 deals more."""
    with (DATASET / "deals.csv").open(newline="") as source:
        rows = list(csv.DictReader(source))
    fields = list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    open_stages = {"lead", "qualified", "proposal", "negotiation"}
    for row in rows:
        if row["stage"] in open_stages:
            row["amount"] = f"{float(row['amount']) * 2:.2f}"
        writer.writerow(row)
    template = next(r for r in rows if r["stage"] == "won" and r["created_on"] >= "2025-01-01")
    for number in range(20):
        writer.writerow(template | {"external_id": f"overlap-{number}", "name": f"Overlap {number}"})
    folder.mkdir()
    (folder / "deals.csv").write_text(out.getvalue())
    return folder


@pytest.fixture
def acceptance(settings):
    settings.KPI_AS_OF = AS_OF
    result = crm_import_path(path=DATASET, format="generic")
    assert [str(e) for e in result.errors] == []
    return result


def test_a_second_import_is_refused_while_the_first_is_checked_and_written(monkeypatch, settings, tmp_path):
    settings.KPI_AS_OF = AS_OF
    reached, release = pause_in(monkeypatch, ImportContext, "write", before=True)
    first = Paused(lambda: crm_import_path(path=DATASET, format="generic"))
    first.start()
    try:
        assert reached.wait(TIMEOUT)  # the first has checked everything and is about to write
        second = crm_import_path(path=DATASET, format="generic")
        dry = crm_import_path(path=DATASET, format="generic", dry_run=True)
    finally:
        release.set()
    written = first.finish()

    assert [str(e) for e in second.errors] == [
        "(import): another import is running; nothing was written: run this one again when it has finished"
    ]
    assert ImportRun.objects.get(pk=second.run_id).status == ImportRun.Status.FAILED
    assert ImportRun.objects.get(pk=second.run_id).error_count == 1
    assert dry.errors == [] and dry.dry_run  # a dry run checks against what is committed and writes nothing
    assert written.errors == []
    assert Deal.objects.count() == 1_552  # the first import's rows, once: nothing of the second
    assert ImportRun.objects.get(pk=written.run_id).status == ImportRun.Status.SUCCEEDED

    # Once the first has finished, the same import runs: every row is already there.
    again = crm_import_path(path=DATASET, format="generic")
    assert again.errors == []
    total = again.totals()
    assert (total.created, total.updated) == (0, 0)
    assert Deal.objects.count() == 1_552


def test_the_import_lock_is_released_when_an_import_fails(settings, tmp_path):
    settings.KPI_AS_OF = AS_OF
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "territories.csv").write_text("code,name,parent_code\nna,North America,mars\n")
    failed = crm_import_path(path=broken, format="generic")
    assert [str(e) for e in failed.errors] == ["territories.csv:2: parent_code: unknown territory 'mars'"]
    assert crm_import_path(path=DATASET, format="generic").errors == []


def test_a_recompute_overlapping_an_import_writes_one_consistent_set(acceptance, monkeypatch, settings, tmp_path):
    # What clean runs give, before and after the import (then the database is put back).
    kpi_recompute(reason="clean, before", as_of=AS_OF)
    before = snapshot_rows()
    changes = changed_deals(tmp_path / "changes")

    # The recompute pauses after its first aggregate query; the import commits meanwhile.
    reached, release = pause_in(monkeypatch, fetch, "_closed", before=False)
    written: list[list[tuple]] = []
    replace = recompute.kpi_snapshots_replace

    def replace_and_look(**kwargs):
        rows = replace(**kwargs)
        written.append(snapshot_rows())  # inside the run's transaction: exactly what it commits
        return rows

    monkeypatch.setattr(recompute, "kpi_snapshots_replace", replace_and_look)
    overlapping = Paused(lambda: kpi_recompute(reason="overlapping", as_of=AS_OF))
    overlapping.start()
    try:
        assert reached.wait(TIMEOUT)
        # The import's recompute (eager here) waits for the lock: run the import in a thread too.
        importing = Paused(lambda: crm_import_path(path=changes, format="generic"))
        importing.start()
        assert wait_for(lambda: Deal.objects.filter(external_id__startswith="overlap-").count() == 20, TIMEOUT, 0.05)
    finally:
        release.set()
    run = overlapping.finish()
    imported = importing.finish()
    assert run.status == KpiRun.Status.SUCCEEDED
    assert imported.errors == []
    assert imported.counts_for("deals.csv", "deals").created == 20

    assert written[0] == before  # the overlapping run saw the data before the import, whole
    assert len(written) == 2  # then the import's own recompute ran
    assert KpiRecomputeRequest.objects.count() == 0
    after_import = snapshot_rows()
    assert after_import != before
    kpi_recompute(reason="clean, after", as_of=AS_OF)
    assert snapshot_rows() == after_import  # exactly a clean run on the data after the import
