"""``python manage.py import_crm DIR --format generic|maven [--dry-run]``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sales.importers import crm_import_path
from sales.importers.issues import plural


class Command(BaseCommand):
    help = (
        "Import a CRM export (a folder or a zip of CSV files) all or nothing: every error is listed as "
        "file:line: column: message and nothing is written if there is one."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="folder (or zip archive) holding the CSV files")
        parser.add_argument("--format", choices=["generic", "maven"], required=True)
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args, path: str, format: str, dry_run: bool, **options) -> None:
        where = Path(path)
        if not where.exists():
            raise CommandError(f"{path}: no such folder or zip file")
        if where.is_file() and where.suffix.lower() != ".zip":
            raise CommandError(f"{path}: give the folder that holds the CSV files (or a zip archive of them)")
        result = crm_import_path(path=where, format=format, dry_run=dry_run)
        if result.errors:
            self.stdout.write(f"Errors ({len(result.errors):,}):")
            for issue in result.errors:
                self.stdout.write(str(issue))
        if result.warnings:
            self.stdout.write(f"Warnings ({len(result.warnings):,}):")
            for issue in result.warnings:
                self.stdout.write(str(issue))
        for line in result.summary_lines():
            self.stdout.write(line)
        if result.written and result.affected_months:
            months = sorted(result.affected_months)
            self.stdout.write(f"KPI months affected: {len(months)} ({months[0]:%Y-%m} to {months[-1]:%Y-%m}).")
        if result.errors:
            raise CommandError(f"{plural(len(result.errors), 'error')}: nothing was written", returncode=1)
