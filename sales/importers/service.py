"""Run an import: read and check every file, then write all of it or nothing; record the run."""

from __future__ import annotations

import contextlib
import datetime
import zipfile
from collections.abc import Iterable
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from metrics.locks import LockBusy, advisory_lock
from metrics.services.recompute import kpi_recompute_request
from sales.importers import generic, maven
from sales.importers.core import ImportContext
from sales.importers.issues import ImportResult, IssueLog
from sales.importers.sources import (
    ImportFile,
    import_files_from_dir,
    import_files_from_uploads,
    import_files_from_zip,
)
from sales.models import ImportRun

FORMATS = {
    "generic": (generic.FILES, generic.GenericReader),
    "maven": (maven.FILES, maven.MavenReader),
}
# The run record keeps this many errors (the count is always exact).
ERRORS_KEPT = 10_000
IMPORT_LOCK_KEY = 0x4B5050  # one advisory lock id for every import that writes


class ImportBusy(LockBusy):
    """Another import is being checked or written."""


def import_lock() -> contextlib.AbstractContextManager[None]:
    """Hold the import lock for the block, or raise ``ImportBusy`` at once if another import holds it."""
    message = "another import is running; nothing was written: run this one again when it has finished"
    return advisory_lock(IMPORT_LOCK_KEY, wait=False, busy=ImportBusy, message=message)


def import_file_names(format: str) -> tuple[str, ...]:
    return tuple(FORMATS[format][0])


def crm_import(
    *,
    files: dict[str, ImportFile],
    format: str,
    dry_run: bool = False,
    user=None,
    source: str = "command",
    log: IssueLog | None = None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Check ``files`` as one import of ``format``; write it in one transaction if nothing is wrong.

    Errors found while gathering the files (in ``log``) stop the import before any
    reading. The result lists every error and warning, the counts per file and the
    months whose KPIs the written rows touch; the run is recorded as an ``ImportRun``.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown import format {format!r}")
    started_at = timezone.now()
    log = log or IssueLog()
    known, reader_class = FORMATS[format]
    result = ImportResult(format=format, dry_run=dry_run, files=[f.describe() for f in files.values()])
    if not files and not log.errors:
        log.error("(import)", None, "", f"no file to import; expected some of {', '.join(known)}")
    if not log.errors:
        ctx = ImportContext(result=result, log=log, today=today or timezone.localdate())
        try:
            # Checks and writes of one import see no other import's writes: a second one is refused.
            with contextlib.nullcontext() if dry_run else import_lock():
                _read_and_write(ctx, reader_class, files, format=format, dry_run=dry_run, user=user)
        except ImportBusy as exc:
            log.error("(import)", None, "", str(exc))
        finally:
            ctx.close()
    log.close()
    order = {name: i for i, name in enumerate(known)}
    result.errors = sorted(log.errors, key=lambda e: (order.get(e.file, -1), e.line or 0))
    result.warnings = log.warnings
    if result.errors:
        result.affected_months = set()
    result.run_id = _run_record(result, user=user, source=source, started_at=started_at).pk
    outcome = "failed" if result.errors else ("dry run" if dry_run else "written")
    audit_record(
        actor=user,
        action="import",
        object_type="import",
        object_id=result.run_id,
        summary=f"{format} import ({source}) {outcome}: {', '.join(f.get('name', '') for f in result.files)}"[:300],
        detail={"counts": result.counts_as_dict(), "errors": len(result.errors)},
    )
    return result


def _read_and_write(ctx: ImportContext, reader_class, files, *, format: str, dry_run: bool, user) -> None:
    log = ctx.log
    try:
        reader_class(ctx, files).run()
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        # A file vanished or an archive member is damaged half-way: say so, write nothing.
        log.error("(import)", None, "", f"the files could not be read: {exc}")
    if log.errors or dry_run:
        return
    try:
        with transaction.atomic():
            ctx.write(user=user)
            # Recompute the KPIs of every month the import touched: asked for in the same
            # transaction as the rows, so a crash cannot keep one without the other.
            kpi_recompute_request(months=ctx.result.affected_months, reason=f"{format} import")
    except DatabaseError as exc:
        # Everything was checked first, so this is a concurrent change or a bug:
        # say so plainly; the transaction has rolled back.
        log.error("(import)", None, "", f"the database refused the import, nothing was written: {exc}")


def _run_record(result: ImportResult, *, user, source: str, started_at: datetime.datetime) -> ImportRun:
    return ImportRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        user=user if getattr(user, "is_authenticated", False) else None,
        source=source,
        format=result.format,
        dry_run=result.dry_run,
        status=ImportRun.Status.FAILED if result.errors else ImportRun.Status.SUCCEEDED,
        files=result.files,
        counts=result.counts_as_dict(),
        error_count=len(result.errors),
        errors=[str(e) for e in result.errors[:ERRORS_KEPT]],
        warnings=[str(w) for w in result.warnings],
        affected_months=sorted(m.isoformat() for m in result.affected_months),
    )


def crm_import_path(*, path: Path, format: str, dry_run: bool = False, user=None, **kwargs) -> ImportResult:
    """Import the files of a folder, or of a zip archive."""
    log = IssueLog()
    known = import_file_names(format)
    if path.is_dir():
        files = import_files_from_dir(path, known=known, log=log)
    else:
        files = import_files_from_zip(path, label=path.name, known=known, log=log)
    return crm_import(files=files, format=format, dry_run=dry_run, user=user, log=log, **kwargs)


def crm_import_uploads(*, uploads: Iterable, format: str, dry_run: bool = False, user=None) -> ImportResult:
    """Import files uploaded in the admin (CSV files, or zip archives of them)."""
    log = IssueLog()
    files = import_files_from_uploads(uploads, known=import_file_names(format), log=log)
    return crm_import(files=files, format=format, dry_run=dry_run, user=user, log=log, source="upload")
