"""The readers of the generic set's sales records: deals.csv, activities.csv, surveys.csv.

``SalesRecordReaders`` is a part of ``generic.GenericReader``: its readers use the
reader's ``_rows`` and reference cells (``_rep_ref``, ``_customer_ref``, ``_territory_ref``).
"""

from __future__ import annotations

from decimal import Decimal

from sales.importers.cells import Row
from sales.importers.core import BROKEN
from sales.importers.entities import ACTIVITY, DEAL, SURVEY
from sales.importers.plan import BATCH_SIZE
from sales.importers.reading import claim
from sales.models import CLOSED_STAGES, OPEN_STAGES, ActivityKind, Deal, Stage, SurveyKind

ZERO = Decimal("0")
# The files a deal's or an activity's territory is derived from.
DERIVATION_FILES = ("territories.csv", "reps.csv", "assignments.csv", "customers.csv")
_CLOSED = frozenset(CLOSED_STAGES)
_OPEN = frozenset(OPEN_STAGES)
_STAGES = tuple(Stage.values)
_OPEN_VALUES = tuple(s.value for s in OPEN_STAGES)


class SalesRecordReaders:
    """Reads deals, activities and survey responses, deriving the territory each is credited to."""

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
            if not claim(row, lines, external_id):
                continue
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
                        self._unknown(row, "deal_external_id", "deals.csv", f"unknown deal {deal!r}")
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
            if not claim(row, lines, external_id):
                continue
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
            if not claim(row, lines, external_id):
                continue
            if row.ok:
                upserter.add((external_id, customer, rep, territory, kind, score, day, comment))
