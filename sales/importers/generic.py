"""The generic CSV set (spec/import-formats.md, "Generic set"): read, validate, plan."""

from __future__ import annotations

from decimal import Decimal

from metrics.services.targets import TargetInputError, TargetScope, target_input_clean, target_months
from reps.models import SalesRep
from sales.importers.cells import Row
from sales.importers.core import (
    ACTIVITY,
    BROKEN,
    CUSTOMER,
    DEAL,
    EXPENSE,
    REP,
    SURVEY,
    AssignmentRecord,
    ImportContext,
    TargetRecord,
    TerritoryRecord,
)
from sales.importers.csvfile import Columns, CsvFile
from sales.importers.plan import BATCH_SIZE
from sales.importers.sources import ImportFile
from sales.models import CLOSED_STAGES, OPEN_STAGES, ActivityKind, Deal, Stage, SurveyKind
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

ZERO = Decimal("0")
# The files a deal's or an activity's territory is derived from.
DERIVATION_FILES = ("territories.csv", "reps.csv", "assignments.csv", "customers.csv")
_CLOSED = frozenset(CLOSED_STAGES)
_OPEN = frozenset(OPEN_STAGES)
_STAGES = tuple(Stage.values)
_OPEN_VALUES = tuple(s.value for s in OPEN_STAGES)


def duplicate_message(what: str, value: str, first_line: int) -> str:
    return f"duplicate {what} {value!r} (first on line {first_line})"


class GenericReader:
    """Reads the files of a generic set into an ``ImportContext``, in dependency order."""

    def __init__(self, ctx: ImportContext, files: dict[str, ImportFile]):
        self.ctx = ctx
        self.log = ctx.log
        self.files = files

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

    def _each(self, name: str, handler) -> None:
        source = self.files.get(name)
        if source is None:
            return
        with source.open() as stream:
            reader = CsvFile(name, stream, self.log)
            handler(name, reader.rows(FILES[name]))
        if not reader.complete:
            self.ctx.broken_files.add(name)

    def _unsure(self, *files: str) -> bool:
        """Whether one of ``files`` could not be read whole (so a missing reference may be in it)."""
        return any(f in self.ctx.broken_files for f in files)

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
            if not code:
                continue
            if code in seen:
                row.error("code", duplicate_message("territory code", code, seen[code]))
                continue
            seen[code] = row.line
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
            if not external_id:
                continue
            if external_id in seen:
                row.error("external_id", duplicate_message("external id", external_id, seen[external_id]))
                continue
            seen[external_id] = row.line
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
            if self._unsure(source):
                row.ok = False  # the source file could not be read whole: that error is reported
            else:
                row.error(column, f"unknown {what} {value!r}")
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
            if not external_id:
                continue
            if external_id in seen:
                row.error("external_id", duplicate_message("external id", external_id, seen[external_id]))
                continue
            seen[external_id] = row.line
            given_but_refused = territory is None and row.data.get("territory_code")
            ctx.customer_territory[external_id] = BROKEN if given_but_refused else territory
            if row.ok:
                upserter.add((external_id, label, territory, owner, sector, churned_on))

    # --- deals.csv --------------------------------------------------------------------------------
    def _deals(self, name, rows) -> None:
        ctx = self.ctx
        upserter = ctx.upserter(DEAL, name)
        # external id -> territory code, kept only when activities need it (memory: 1M deals ~ 100 MB)
        territories = ctx.deal_territory if "activities.csv" in self.files else None
        lines: dict[str, int] = {}
        today = ctx.today
        # (territory is not here: without territory_code it is derived, as on every row.)
        optional = {
            "name": "name",
            "customer": "customer_external_id",
            "refunded_amount": "refunded_amount",
            "created_on": "created_on",
            "closed_on": "closed_on",
            "ends_on": "ends_on",
            "product": "product",
            "lost_from_stage": "lost_from_stage",
        }
        for row in self._rows(name, rows, upserter=upserter, optional=optional):
            external_id = row.key("external_id", max_length=100)
            owner = self._rep_ref(row, "owner_external_id", required=True)
            stage = row.choice("stage", _STAGES, what="stage", required=True)
            amount = row.amount("amount", required=True)
            label = row.text("name", max_length=200)
            customer = self._customer_ref(row, "customer_external_id", required=False)
            territory = self._territory_ref(row, "territory_code", required=False)
            refunded = row.amount("refunded_amount")
            created_on = row.date("created_on")
            closed_on = row.date("closed_on")
            ends_on = row.date("ends_on")
            product = row.text("product", max_length=100)
            lost_from = row.choice("lost_from_stage", _OPEN_VALUES, what="stage")
            if stage in _CLOSED and closed_on is None and not row.data.get("closed_on"):
                row.error("closed_on", f"required for a closed ({stage}) deal")
            elif stage in _OPEN and closed_on is not None:
                row.error("closed_on", f"an open ({stage}) deal has no close date: leave it empty or close the deal")
            if created_on and closed_on and closed_on < created_on:
                row.error("closed_on", f"{closed_on} is before created_on {created_on}")
            if ends_on and closed_on is None and stage and not row.data.get("closed_on"):
                row.error("ends_on", "a contract end needs a close date")
            elif ends_on and closed_on and ends_on < closed_on:
                row.error("ends_on", f"{ends_on} is before closed_on {closed_on}")
            if refunded is not None and amount is not None and refunded > amount:
                row.error("refunded_amount", f"{refunded} is more than the amount {amount}")
            if lost_from and stage and stage != Stage.LOST:
                row.error("lost_from_stage", f"only a lost deal has a stage it was lost from (this one is {stage})")
            # Derive the territory only from cells that were read fine (no error on top of an error).
            data = row.data
            cells_ok = (
                owner
                and (closed_on is not None or not data.get("closed_on"))
                and (created_on is not None or not data.get("created_on"))
                and (customer is not None or not data.get("customer_external_id"))
            )
            if territory is None and not row.data.get("territory_code") and cells_ok:
                day = closed_on or created_on or today
                territory = ctx.book.territory_on(owner, day)
                if territory is None and customer:
                    territory = ctx.territory_of_customer(customer)
                if territory == BROKEN or (
                    territory is None and (owner in ctx.unsure_reps or self._unsure(*DERIVATION_FILES))
                ):
                    row.ok = False  # a row (or file) it depends on is refused already
                elif territory is None:
                    why = f"customer {customer} has no territory" if customer else "the deal has no customer"
                    row.error(
                        "territory_code",
                        f"missing, and none can be derived: rep {owner} has no assignment on {day} and {why}",
                    )
            if not external_id:
                continue
            if external_id in lines:
                row.error("external_id", duplicate_message("external id", external_id, lines[external_id]))
                continue
            lines[external_id] = row.line
            if territories is not None:
                territories[external_id] = territory if row.ok else BROKEN
            if row.ok:
                upserter.add(
                    (
                        external_id,
                        label,
                        customer,
                        owner,
                        territory,
                        stage,
                        lost_from,
                        amount,
                        refunded if refunded is not None else ZERO,
                        created_on,
                        closed_on,
                        ends_on,
                        product,
                    )
                )

    # --- activities.csv -------------------------------------------------------------------------------
    def _activities(self, name, rows) -> None:
        ctx = self.ctx
        upserter = ctx.upserter(ACTIVITY, name)
        lines: dict[str, int] = {}
        pending: list[tuple[Row, tuple]] = []
        kinds = tuple(ActivityKind.values)

        def settle() -> None:
            # Deals that are not in deals.csv are looked up in the database, a batch at a time.
            missing = {rec[4] for _, rec in pending if rec[4] and rec[4] not in ctx.deal_territory}
            db_deals = dict(Deal.objects.filter(external_id__in=missing).values_list("external_id", "territory__code"))
            for row, (external_id, rep, kind, day, deal, customer) in pending:
                deal_territory = None
                if deal:
                    if deal in ctx.deal_territory:
                        deal_territory = ctx.deal_territory[deal]
                    elif deal in db_deals:
                        deal_territory = db_deals[deal]
                    else:
                        if not self._unsure("deals.csv"):
                            row.error("deal_external_id", f"unknown deal {deal!r}")
                        continue
                territory = ctx.book.territory_on(rep, day) or deal_territory
                if territory == BROKEN or (
                    territory is None and (rep in ctx.unsure_reps or self._unsure(*DERIVATION_FILES, "deals.csv"))
                ):
                    continue  # a row (or file) it depends on is refused already
                if territory is None:
                    why = "the activity has no deal" if not deal else f"deal {deal} has no territory"
                    row.error("rep_external_id", f"no territory: rep {rep} has no assignment on {day} and {why}")
                    continue
                upserter.add((external_id, rep, territory, kind, day, deal, customer))
            pending.clear()

        optional = {"deal": "deal_external_id", "customer": "customer_external_id"}
        for row in self._rows(name, rows, upserter=upserter, optional=optional):
            external_id = row.key("external_id", max_length=100)
            rep = self._rep_ref(row, "rep_external_id", required=True)
            kind = row.choice("kind", kinds, what="kind", required=True)
            day = row.date("occurred_on", required=True)
            deal = row.key("deal_external_id", max_length=100, required=False) or None
            customer = self._customer_ref(row, "customer_external_id", required=False)
            if not external_id:
                continue
            if external_id in lines:
                row.error("external_id", duplicate_message("external id", external_id, lines[external_id]))
                continue
            lines[external_id] = row.line
            if row.ok:
                pending.append((row, (external_id, rep, kind, day, deal, customer)))
                if len(pending) >= BATCH_SIZE:
                    settle()
        settle()

    # --- surveys.csv ------------------------------------------------------------------------------------
    def _surveys(self, name, rows) -> None:
        ctx = self.ctx
        upserter = ctx.upserter(SURVEY, name)
        lines: dict[str, int] = {}
        kinds = tuple(SurveyKind.values)
        optional = {"rep": "rep_external_id", "comment": "comment"}
        for row in self._rows(name, rows, upserter=upserter, optional=optional):
            external_id = row.key("external_id", max_length=100)
            customer = self._customer_ref(row, "customer_external_id", required=True)
            kind = row.choice("kind", kinds, what="kind", required=True)
            score = row.integer("score", required=True)
            day = row.date("responded_on", required=True)
            rep = self._rep_ref(row, "rep_external_id", required=False)
            comment = row.text("comment")
            if score is not None and kind == SurveyKind.CSAT and not 1 <= score <= 5:
                row.error("score", f"{score} is outside the CSAT scale 1–5")
            elif score is not None and kind == SurveyKind.NPS and not 0 <= score <= 10:
                row.error("score", f"{score} is outside the NPS scale 0–10")
            territory = None
            if customer:
                territory = ctx.territory_of_customer(customer)
                if territory == BROKEN or (territory is None and self._unsure("customers.csv")):
                    row.ok = False  # the customer's row (or file) is refused already
                elif territory is None:
                    row.error("customer_external_id", f"customer {customer} has no territory to credit the response to")
            if not external_id:
                continue
            if external_id in lines:
                row.error("external_id", duplicate_message("external id", external_id, lines[external_id]))
                continue
            lines[external_id] = row.line
            if row.ok:
                upserter.add((external_id, customer, rep, territory, kind, score, day, comment))

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
                    elif self._unsure("territories.csv"):
                        row.ok = False
                    else:
                        row.error("scope", f"unknown territory {ident!r}")
                elif kind == "rep" and ident:
                    if ctx.rep_known(ident):
                        scope = TargetScope(rep=SalesRep(external_id=ident))
                    elif self._unsure("reps.csv"):
                        row.ok = False
                    else:
                        row.error("scope", f"unknown rep {ident!r}")
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
