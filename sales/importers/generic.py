"""The generic CSV set (spec/import-formats.md, "Generic set"): read, validate, plan."""

from __future__ import annotations

from metrics.services.targets import TargetInputError, TargetScope, target_input_clean, target_months
from reps.models import SalesRep
from sales.importers.cells import Row
from sales.importers.core import BROKEN, AssignmentRecord, TargetRecord, TerritoryRecord
from sales.importers.csvfile import Columns
from sales.importers.entities import CUSTOMER, EXPENSE, REP
from sales.importers.generic_sales import SalesRecordReaders
from sales.importers.reading import FormatReader, claim
from territories.models import Territory

FILES: dict[str, Columns] = {
    "territories.csv": Columns(("code", "name"), ("parent_code", "manager_emails")),
    "reps.csv": Columns(("external_id", "name"), ("email", "hired_on", "left_on")),
    "assignments.csv": Columns(("rep_external_id", "territory_code"), ("start_date", "end_date")),
    "customers.csv": Columns(("external_id", "name"), ("territory_code", "owner_external_id", "sector", "churned_on")),
    "deals.csv": Columns(
        ("external_id", "owner_external_id", "stage", "amount"),
        (
            "name",
            "customer_external_id",
            "territory_code",
            "refunded_amount",
            "created_on",
            "closed_on",
            "ends_on",
            "product",
            "lost_from_stage",
        ),
    ),
    "activities.csv": Columns(
        ("external_id", "rep_external_id", "kind", "occurred_on"), ("deal_external_id", "customer_external_id")
    ),
    "surveys.csv": Columns(
        ("external_id", "customer_external_id", "kind", "score", "responded_on"), ("rep_external_id", "comment")
    ),
    "targets.csv": Columns(("scope", "kpi", "period", "value"), ("distribution",)),
    "expenses.csv": Columns(("territory_code", "month", "amount"), ("category",)),
}


class GenericReader(SalesRecordReaders, FormatReader):
    """Reads the files of a generic set into an ``ImportContext``, in dependency order."""

    files_columns = FILES

    def run(self) -> None:
        ctx = self.ctx
        self._each("territories.csv", self._territories)
        ctx.territories_check()
        self._each("reps.csv", self._reps)
        self._each("assignments.csv", self._assignments)
        ctx.assignments_check()
        self._each("customers.csv", self._customers)
        self._each("deals.csv", self._deals)
        self._each("activities.csv", self._activities)
        self._each("surveys.csv", self._surveys)
        self._each("targets.csv", self._targets)
        ctx.targets_check()
        self._each("expenses.csv", self._expenses)
        ctx.finish_checks()

    def _wrap(self, name, rows):
        return rows  # the handlers read them through ``_rows``

    def _rows(self, name, rows, *, upserter=None, optional: dict[str, str] | None = None):
        """Rows of a file; on the first, tell ``upserter`` which optional columns (field: column) are absent.

        A column the file does not have says nothing about the rows it updates: those
        fields keep their stored values. (A blank cell of a column it has clears them.)
        """
        log = self.log
        first = True
        for line, data in rows:
            if first and upserter is not None and optional:
                upserter.keep({f for f, column in optional.items() if column not in data})
                first = False
            yield Row(name, line, data, log)

    # --- territories.csv --------------------------------------------------------------
    def _territories(self, name, rows) -> None:
        ctx = self.ctx
        seen: dict[str, int] = {}
        for row in self._rows(name, rows):
            code = row.slug("code", max_length=64)
            label = row.text("name", required=True, max_length=200)
            parent = row.slug("parent_code", max_length=64, required=False) or None
            managers = []
            for email in [e.strip() for e in row.data.get("manager_emails", "").split(";") if e.strip()]:
                cell = Row(name, row.line, {"manager_emails": email}, self.log)
                if not cell.email("manager_emails"):
                    row.ok = False
                    continue
                key, found, ambiguous = ctx.users.by_email(email)
                if ambiguous:
                    row.error("manager_emails", f"several users have the e-mail {email!r}; keep one")
                    continue
                if not found and len(email.lower()) > ctx.users.username_max_length:
                    row.error(
                        "manager_emails",
                        f"no user has the e-mail {email!r}, and it is too long to be a new user's username "
                        f"(at most {ctx.users.username_max_length} characters)",
                    )
                    continue
                if not found:
                    row.warn(
                        "manager_emails",
                        f"no user has the e-mail {email!r}: one is created without a password "
                        "(set it in the admin or send a password reset)",
                    )
                managers.append(key)
            if not claim(row, seen, code, column="code", what="territory code"):
                continue
            ctx.territory_add(TerritoryRecord(name, row.line, code, label, parent, tuple(managers)))
        keys = {k for record in ctx.territory_records.values() for k in record.managers}
        if keys:
            users = ctx.result.counts_for(name, "users")
            users.created = sum(1 for k in keys if ctx.users.pk_of(k) is None)
            users.unchanged = len(keys) - users.created

    # --- reps.csv ------------------------------------------------------------------------
    def _reps(self, name, rows) -> None:
        ctx = self.ctx
        upserter = ctx.upserter(REP, name)
        seen: dict[str, int] = {}
        optional = {"email": "email", "hired_on": "hired_on", "left_on": "left_on"}
        for row in self._rows(name, rows, upserter=upserter, optional=optional):
            external_id = row.key("external_id", max_length=100)
            label = row.text("name", required=True, max_length=200)
            email = row.email("email")
            hired_on = row.date("hired_on")
            left_on = row.date("left_on")
            if hired_on and left_on and left_on < hired_on:
                row.error("left_on", f"{left_on} is before hired_on {hired_on}")
            if not claim(row, seen, external_id):
                continue
            ctx.known_reps.add(external_id)
            if row.ok:
                upserter.add((external_id, label, email, hired_on, left_on))

    # --- assignments.csv --------------------------------------------------------------------
    def _reference(
        self, row: Row, column: str, *, required: bool, max_length: int, known, source: str, what: str
    ) -> str | None:
        """Read a key cell that must name a row of ``source`` (already stored or in the files)."""
        value = row.key(column, max_length=max_length, required=required)
        if value and not known(value):
            self._unknown(row, column, source, f"unknown {what} {value!r}")
            return None
        return value or None

    def _rep_ref(self, row: Row, column: str, *, required: bool) -> str | None:
        return self._reference(row, column, required=required, max_length=100, known=self.ctx.rep_known,
                               source="reps.csv", what="rep")  # fmt: skip

    def _territory_ref(self, row: Row, column: str, *, required: bool) -> str | None:
        return self._reference(row, column, required=required, max_length=64, known=self.ctx.territory_known,
                               source="territories.csv", what="territory")  # fmt: skip

    def _customer_ref(self, row: Row, column: str, *, required: bool) -> str | None:
        return self._reference(row, column, required=required, max_length=200, known=self.ctx.customer_known,
                               source="customers.csv", what="customer")  # fmt: skip

    def _assignments(self, name, rows) -> None:
        ctx = self.ctx
        for row in self._rows(name, rows):
            rep = self._rep_ref(row, "rep_external_id", required=True)
            territory = self._territory_ref(row, "territory_code", required=True)
            start = row.date("start_date")
            end = row.date("end_date")
            if start and end and end < start:
                row.error("end_date", f"{end} is before start_date {start}")
            if row.ok:
                ctx.assignments.append(AssignmentRecord(name, row.line, rep, territory, start, end))
            elif rep:
                ctx.unsure_reps.add(rep)

    # --- customers.csv ------------------------------------------------------------------------
    def _customers(self, name, rows) -> None:
        ctx = self.ctx
        upserter = ctx.upserter(CUSTOMER, name)
        seen: dict[str, int] = {}
        optional = {
            "territory": "territory_code",
            "owner": "owner_external_id",
            "sector": "sector",
            "churned_on": "churned_on",
        }
        for row in self._rows(name, rows, upserter=upserter, optional=optional):
            external_id = row.key("external_id", max_length=200)
            label = row.text("name", required=True, max_length=200)
            territory = self._territory_ref(row, "territory_code", required=False)
            owner = self._rep_ref(row, "owner_external_id", required=False)
            sector = row.text("sector", max_length=100)
            churned_on = row.date("churned_on")
            if not claim(row, seen, external_id):
                continue
            given_but_refused = territory is None and row.data.get("territory_code")
            ctx.customer_territory[external_id] = BROKEN if given_but_refused else territory
            if row.ok:
                upserter.add((external_id, label, territory, owner, sector, churned_on))

    # --- targets.csv ------------------------------------------------------------------------------------
    def _targets(self, name, rows) -> None:
        ctx = self.ctx
        for row in self._rows(name, rows):
            texts = {c: row.text(c, required=True) for c in ("scope", "kpi", "period", "value")}
            distribution = row.text("distribution")
            scope_text = texts["scope"]
            scope = None
            if scope_text:
                kind, _, ident = scope_text.partition(":")
                if kind == "territory" and ident:
                    if ctx.territory_known(ident):
                        scope = TargetScope(territory=Territory(code=ident))
                    else:
                        self._unknown(row, "scope", "territories.csv", f"unknown territory {ident!r}")
                elif kind == "rep" and ident:
                    if ctx.rep_known(ident):
                        scope = TargetScope(rep=SalesRep(external_id=ident))
                    else:
                        self._unknown(row, "scope", "reps.csv", f"unknown rep {ident!r}")
                else:
                    row.error("scope", f"{scope_text!r} is not territory:<code> or rep:<external_id>")
            if scope is None or not row.ok:
                continue
            try:
                entry = target_input_clean(
                    scope=scope,
                    kpi=texts["kpi"],
                    period=texts["period"],
                    value=texts["value"],
                    distribution=distribution or None,
                )
            except TargetInputError as exc:
                row.error(exc.field, exc.message)
                continue
            ctx.targets.append(TargetRecord(name, row.line, scope.key, entry, target_months(entry)))

    # --- expenses.csv ------------------------------------------------------------------------------------
    def _expenses(self, name, rows) -> None:
        ctx = self.ctx
        upserter = ctx.upserter(EXPENSE, name)
        lines: dict[tuple, int] = {}
        for row in self._rows(name, rows):
            territory = self._territory_ref(row, "territory_code", required=True)
            month = row.month("month", required=True)
            amount = row.amount("amount", required=True)
            category = row.text("category", max_length=50) or "sales"
            if not row.ok:
                continue
            key = (territory, month, category)
            if key in lines:
                row.error(
                    "month",
                    f"duplicate expense of {territory} for {month:%Y-%m} ({category}) (first on line {lines[key]})",
                )
                continue
            lines[key] = row.line
            upserter.add((territory, month, category, amount))
