"""The shared part of both formats: known references, planners, and the write.

A format reader (``generic``, ``maven``) validates its files into records keyed
by natural keys and hands them to an ``ImportContext``; the context checks what
needs the whole picture (overlaps, cycles, territory derivation), counts what
would change, and writes everything in one transaction when nothing is wrong.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import transaction

from metrics.models import Target, TargetChange
from metrics.services.targets import TargetInput, TargetScope, targets_set
from reps.models import SalesRep
from sales.importers.issues import ImportResult, IssueLog
from sales.importers.plan import AssignmentBook, EntitySpec, Resolvers, Upserter
from sales.importers.users import UserPlanner
from sales.importers.writing import upserts_write
from sales.models import Customer
from territories.models import Territory, TerritoryAssignment

# Stands for the territory of a row that was refused: rows depending on it are
# refused silently, so that one mistake is reported once, not once per dependant.
BROKEN = "\x00refused"


def span_text(start: datetime.date | None, end: datetime.date | None) -> str:
    if start and end:
        return f"from {start} to {end}"
    if start:
        return f"from {start} with no end"
    if end:
        return f"with no start, to {end}"
    return "with no start or end"


@dataclass
class TerritoryRecord:
    file: str
    line: int
    code: str
    name: str
    parent: str | None
    managers: tuple[tuple[str, str], ...] = ()  # user keys, see UserPlanner


@dataclass
class AssignmentRecord:
    file: str
    line: int
    rep: str
    territory: str
    start: datetime.date | None
    end: datetime.date | None
    pk: int | None = None  # set when it matches an existing assignment
    changed: bool = True  # False when the database already has it exactly


@dataclass
class TargetRecord:
    file: str
    line: int
    scope: str  # territory:<code> / rep:<external id>
    entry: TargetInput
    months: dict[datetime.date, Decimal]


class ImportContext:
    """Everything one import knows: references, planners, counts; then the write."""

    def __init__(self, *, result: ImportResult, log: IssueLog, today: datetime.date):
        self.result = result
        self.log = log
        self.today = today
        self.months = result.affected_months
        # Territories, from the database then the file.
        self.db_territories: dict[str, tuple[int, str, str]] = {}  # code -> (pk, name, path)
        parent_by_path: dict[str, str] = {}
        for pk, code, name, path in Territory.objects.values_list("pk", "code", "name", "path"):
            self.db_territories[code] = (pk, name, path)
            parent_by_path[path] = code
        self.db_parent = {
            code: parent_by_path.get(path[:-4]) if len(path) > 4 else None
            for code, (_, _, path) in self.db_territories.items()
        }
        self.territory_records: dict[str, TerritoryRecord] = {}
        self.known_territories: set[str] = set(self.db_territories)
        # Reps.
        self.known_reps: set[str] = set(SalesRep.objects.values_list("external_id", flat=True))
        # Customers: external id -> territory code (file rows override the database).
        self.customer_territory: dict[str, str | None] = {}
        self._db_customers: dict[str, str | None] | None = None
        # Deals of the files: external id -> territory code (for activities).
        self.deal_territory: dict[str, str] = {}
        self.assignments: list[AssignmentRecord] = []
        self.book = AssignmentBook()
        self.users = UserPlanner()
        self.targets: list[TargetRecord] = []
        self.upserters: dict[str, Upserter] = {}  # entity label -> upserter
        self.resolvers = Resolvers()  # natural keys -> primary keys, cached for the checks and the write
        # Files that could not be read whole: references into them are not checked.
        self.broken_files: set[str] = set()
        # Reps with a refused assignment row: where they worked is not known for sure.
        self.unsure_reps: set[str] = set()

    # --- references ---------------------------------------------------------
    def territory_known(self, code: str) -> bool:
        return code in self.known_territories

    def rep_known(self, external_id: str) -> bool:
        return external_id in self.known_reps

    def _customers_from_db(self) -> dict[str, str | None]:
        if self._db_customers is None:
            self._db_customers = dict(Customer.objects.values_list("external_id", "territory__code"))
        return self._db_customers

    def customer_known(self, external_id: str) -> bool:
        return external_id in self.customer_territory or external_id in self._customers_from_db()

    def territory_of_customer(self, external_id: str) -> str | None:
        if external_id in self.customer_territory:
            return self.customer_territory[external_id]
        return self._customers_from_db().get(external_id)

    def upserter(self, spec: EntitySpec, file: str) -> Upserter:
        """The upserter of ``spec``, counting under ``file``."""
        if spec.label not in self.upserters:
            self.upserters[spec.label] = Upserter(
                spec, self.result.counts_for(file, spec.label), self.months, self.resolvers
            )
        return self.upserters[spec.label]

    # --- territories ----------------------------------------------------------
    def territory_add(self, record: TerritoryRecord) -> None:
        self.territory_records[record.code] = record
        self.known_territories.add(record.code)

    def territories_check(self) -> None:
        """Refuse unknown parents and cycles; count what changes."""
        records = self.territory_records
        if not records:
            return
        parent = dict(self.db_parent)
        for code, record in records.items():
            if record.parent and record.parent not in self.known_territories:
                self.log.error(record.file, record.line, "parent_code", f"unknown territory {record.parent!r}")
                continue
            parent[code] = record.parent
        reported: set[str] = set()
        for code in sorted(records, key=lambda c: records[c].line):
            if code in reported:
                continue
            path, seen = [code], {code}
            node = parent.get(code)
            while node is not None and node not in seen:
                path.append(node)
                seen.add(node)
                node = parent.get(node)
            if node is None or node not in records or node in reported:
                continue
            # A cycle: print it from its member that comes first in the file.
            cycle = path[path.index(node) :]
            first = min((c for c in cycle if c in records), key=lambda c: records[c].line)
            start = cycle.index(first)
            ordered = cycle[start:] + cycle[:start] + [first]
            record = records[first]
            self.log.error(record.file, record.line, "parent_code", f"territory cycle: {' -> '.join(ordered)}")
            reported.update(cycle)
        self._territory_parent = parent
        managers = defaultdict(set)
        if self.db_territories:
            for code, user_id in Territory.managers.through.objects.values_list("territory__code", "user_id"):
                managers[code].add(user_id)
        for code, record in records.items():
            counts = self.result.counts_for(record.file, "territories")
            if code not in self.db_territories:
                counts.created += 1
                continue
            _, name, _ = self.db_territories[code]
            new_managers = [k for k in record.managers if self.users.pk_of(k) not in managers[code]]
            if name != record.name or self.db_parent.get(code) != record.parent or new_managers:
                counts.updated += 1
            else:
                counts.unchanged += 1

    def _territories_write(self) -> None:
        records = self.territory_records
        parent = self._territory_parent

        def depth(code: str) -> int:
            d = 0
            while (code := parent.get(code)) is not None:
                d += 1
            return d

        for code in sorted(records, key=lambda c: (depth(c), records[c].line)):
            record = records[code]
            parent_node = Territory.objects.get(code=record.parent) if record.parent else None
            tree = Territory.objects  # treebeard's tree operations keep the materialized paths right
            if code not in self.db_territories:
                fields = {"code": code, "name": record.name}
                if parent_node is None:
                    node = tree.add_root(create_kwargs=fields)
                else:
                    node = tree.add_child(parent_node, create_kwargs=fields)
            else:
                node = tree.get(code=code)
                if self.db_parent.get(code) != record.parent:
                    if parent_node is None:
                        tree.move(node, tree.get_first_root_node(), "sorted-sibling")
                    else:
                        tree.move(node, parent_node, "sorted-child")
                    node = tree.get(code=code)
                if node.name != record.name:
                    tree.filter(pk=node.pk).update(name=record.name)
            if record.managers:
                node.managers.add(*[self.users.pk_of(k) for k in record.managers])

    # --- assignments ------------------------------------------------------------
    def assignments_check(self) -> None:
        """Merge the file's assignments into the database's, refuse overlaps, fill the book."""
        db_rows = list(
            TerritoryAssignment.objects.values_list(
                "pk", "rep__external_id", "territory__code", "start_date", "end_date"
            )
        )
        merged: dict[str, dict[datetime.date | None, AssignmentRecord]] = defaultdict(dict)
        for pk, rep, territory, start, end in db_rows:
            merged[rep][start] = AssignmentRecord("", 0, rep, territory, start, end, pk)
        db_by_key = {(rep, start): (pk, territory, end) for pk, rep, territory, start, end in db_rows}
        in_file: dict[tuple[str, datetime.date | None], AssignmentRecord] = {}
        for record in self.assignments:
            key = (record.rep, record.start)
            if key in in_file:
                first = in_file[key]
                self.log.error(
                    record.file,
                    record.line,
                    "start_date",
                    f"duplicate assignment of {record.rep} starting {record.start or '(no start)'} "
                    f"(also on line {first.line})",
                )
                continue
            in_file[key] = record
            counts = self.result.counts_for(record.file, "assignments")
            existing = db_by_key.get(key)
            if existing is None:
                counts.created += 1
            else:
                record.pk = existing[0]
                if (existing[1], existing[2]) == (record.territory, record.end):
                    counts.unchanged += 1
                    record.changed = False
                else:
                    counts.updated += 1
            merged[record.rep][record.start] = record
        for rep, by_start in merged.items():
            spans = sorted(by_start.values(), key=lambda r: (r.start is not None, r.start or datetime.date.min))
            reach: AssignmentRecord | None = None
            for record in spans:
                if reach is not None and (reach.end is None or record.start is None or record.start <= reach.end):
                    self._overlap_error(record, reach)
                if reach is None or (reach.end is not None and (record.end is None or record.end > reach.end)):
                    reach = record
            self.book.set(rep, [(r.start, r.end, r.territory) for r in spans])

    def _overlap_error(self, later: AssignmentRecord, earlier: AssignmentRecord) -> None:
        here, other = (later, earlier) if later.file else (earlier, later)
        where = f"line {other.line}" if other.file else "the database"
        self.log.error(
            here.file,
            here.line,
            "start_date",
            f"overlaps the assignment of {other.rep} to {other.territory} "
            f"{span_text(other.start, other.end)} ({where})",
        )

    def _assignments_write(self) -> None:
        changed = [r for r in self.assignments if r.changed and r.file]
        if not changed:
            return
        TerritoryAssignment.objects.filter(pk__in=[r.pk for r in changed if r.pk]).delete()
        territories = dict(Territory.objects.values_list("code", "pk"))
        reps = dict(SalesRep.objects.filter(external_id__in={r.rep for r in changed}).values_list("external_id", "pk"))
        TerritoryAssignment.objects.bulk_create(
            [
                TerritoryAssignment(
                    pk=r.pk,
                    rep_id=reps[r.rep],
                    territory_id=territories[r.territory],
                    start_date=r.start,
                    end_date=r.end,
                )
                for r in changed
            ]
        )

    # --- targets ---------------------------------------------------------------
    def targets_check(self) -> None:
        if not self.targets:
            return
        existing: dict[tuple[str, str, datetime.date], Decimal] = {}
        for code, rep, kpi, month, value in Target.objects.values_list(
            "territory__code", "rep__external_id", "kpi", "month", "value"
        ):
            existing[(f"territory:{code}" if code else f"rep:{rep}", kpi, month)] = value
        seen: dict[tuple[str, str, datetime.date], int] = {}
        for record in self.targets:
            duplicate = False
            for month in record.months:
                key = (record.scope, record.entry.kpi.key, month)
                if key in seen:
                    self.log.error(
                        record.file,
                        record.line,
                        "period",
                        f"{record.entry.period.label} sets {record.entry.kpi.key} of {record.scope} "
                        f"for {month:%Y-%m}, which line {seen[key]} sets too",
                    )
                    duplicate = True
                    break
            if duplicate:
                continue
            for month in record.months:
                seen[(record.scope, record.entry.kpi.key, month)] = record.line
            counts = self.result.counts_for(record.file, "targets")
            old = [existing.get((record.scope, record.entry.kpi.key, m)) for m in record.months]
            if all(v is None for v in old):
                counts.created += 1
            elif all(v == record.months[m] for v, m in zip(old, record.months, strict=True)):
                counts.unchanged += 1
                continue
            else:
                counts.updated += 1
            for value, month in zip(old, record.months, strict=True):
                if value != record.months[month]:
                    self.months.add(month)

    def _targets_write(self, user) -> None:
        territories = {}
        reps = {}
        for record in self.targets:
            kind, _, ident = record.scope.partition(":")
            if kind == "territory":
                scope = TargetScope(territory=territories.get(ident) or Territory.objects.get(code=ident))
                territories[ident] = scope.territory
            else:
                scope = TargetScope(rep=reps.get(ident) or SalesRep.objects.get(external_id=ident))
                reps[ident] = scope.rep
            targets_set(entry=replace(record.entry, scope=scope), user=user, source=TargetChange.Source.IMPORT)

    # --- the whole ------------------------------------------------------------------
    def finish_checks(self) -> None:
        """Flush the upserters' last batches (their counts are final afterwards)."""
        for upserter in self.upserters.values():
            upserter.finish()

    def write(self, *, user) -> None:
        """Write everything planned, in dependency order, in one transaction."""
        resolvers = self.resolvers
        order = ["products", "reps", "customers", "deals", "activities", "survey responses", "expenses"]
        with transaction.atomic():
            self.users.write()
            if self.territory_records:
                self._territories_write()
            upserters = self.upserters
            if "products" in upserters:
                upserts_write(upserters["products"], resolvers)
            if "reps" in upserters:
                upserts_write(upserters["reps"], resolvers)
            self._assignments_write()
            for label in order[2:]:
                if label in upserters:
                    upserts_write(upserters[label], resolvers)
            self._targets_write(user)

    def close(self) -> None:
        for upserter in self.upserters.values():
            upserter.close()
