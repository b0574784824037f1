"""The Maven CRM export (spec/import-formats.md, "Maven CRM export"): read, map, plan.

Offices become top-level territories managed by the managers (users without a
password), agents become reps assigned to their office with no dates, accounts
become customers whose territory and owner are those of their first won deal
(else their first deal). Every repair is reported as a warning with its count.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from sales.importers.core import AssignmentRecord, ImportContext, TerritoryRecord
from sales.importers.csvfile import Columns
from sales.importers.entities import DEAL, MAVEN_CUSTOMER, MAVEN_REP, PRODUCT
from sales.importers.reading import FormatReader, claim, duplicate_message
from sales.importers.sources import ImportFile
from sales.models import Product, Stage

FILES: dict[str, Columns] = {
    "sales_teams.csv": Columns(("sales_agent", "manager", "regional_office")),
    "products.csv": Columns(("product", "sales_price"), ("series",)),
    "accounts.csv": Columns(
        ("account",),
        ("sector",),
        ignored=("year_established", "revenue", "employees", "office_location", "subsidiary_of"),
    ),
    "sales_pipeline.csv": Columns(
        ("opportunity_id", "sales_agent", "deal_stage"),
        ("product", "account", "engage_date", "close_date", "close_value"),
    ),
}

STAGES = {"Prospecting": Stage.LEAD, "Engaging": Stage.QUALIFIED, "Won": Stage.WON, "Lost": Stage.LOST}
SECTOR_REPAIRS = {"technolgy": "technology"}
ZERO = Decimal("0")


def person_key(name: str) -> str:
    """``Anna Snelling`` -> ``anna-snelling`` (reps' external ids, managers' usernames)."""
    return re.sub(r"\s+", "-", name.strip().lower())


def plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


@dataclass
class _FirstDeal:
    """The best candidate so far for an account's first won deal and first deal."""

    won: tuple | None = None  # (closed_on, external id, territory, owner)
    any: tuple | None = None  # (created_on or max, unknown last, external id, territory, owner)


class MavenReader(FormatReader):
    files_columns = FILES

    def __init__(self, ctx: ImportContext, files: dict[str, ImportFile]):
        super().__init__(ctx, files)
        self.agents: dict[str, tuple[int, str]] = {}  # rep external id -> (line, name)
        self.prices: dict[str, Decimal] = {}
        self.accounts: dict[str, tuple[int, str]] = {}  # account -> (line, sector)
        self.first: dict[str, _FirstDeal] = {}
        self.agents_with_deals: set[str] = set()

    def run(self) -> None:
        ctx = self.ctx
        self._each("sales_teams.csv", self._teams)
        ctx.territories_check()
        ctx.assignments_check()
        self.prices = dict(Product.objects.values_list("name", "list_price"))
        self._each("products.csv", self._products)
        self._each("accounts.csv", self._accounts)
        self._each("sales_pipeline.csv", self._pipeline)
        self._customers_plan()
        if "sales_teams.csv" in self.files and "sales_pipeline.csv" in self.files:
            idle = [name for ext, (_, name) in self.agents.items() if ext not in self.agents_with_deals]
            if idle:
                self.log.warn(
                    "sales_teams.csv",
                    None,
                    "sales_agent",
                    f"{plural(len(idle), 'agent has', 'agents have')} no deals; kept: {', '.join(idle)}",
                )
        ctx.finish_checks()

    # --- sales_teams.csv ---------------------------------------------------------------
    def _teams(self, name, rows) -> None:
        ctx = self.ctx
        for entity in ("territories", "users"):
            ctx.result.counts_for(name, entity)  # listed first
        reps = ctx.upserter(MAVEN_REP, name)
        offices: dict[str, TerritoryRecord] = {}
        for row in rows:
            agent = row.text("sales_agent", required=True, max_length=200)
            manager = row.text("manager", max_length=150)
            office = row.text("regional_office", required=True, max_length=200)
            code = person_key(office) if office else ""
            if code and not re.fullmatch(r"[-a-z0-9_]+", code) or len(code) > 64:
                row.error("regional_office", f"{office!r} cannot be a territory code (letters, digits, '-', '_')")
                code = ""
            if not (agent and code):
                continue
            external_id = person_key(agent)
            if len(external_id) > 100:
                row.error("sales_agent", "is too long for an external id (at most 100 characters)")
                continue
            if external_id in self.agents:
                row.error("sales_agent", duplicate_message("sales agent", agent, self.agents[external_id][0]))
                continue
            self.agents[external_id] = (row.line, agent)
            record = offices.get(code)
            if record is None:
                record = offices[code] = TerritoryRecord(name, row.line, code, office, None)
                ctx.territory_add(record)
            username = person_key(manager) if manager else ""
            if len(username) > ctx.users.username_max_length:
                row.error(
                    "manager",
                    f"is too long for a username: {len(username)} characters in lower case, "
                    f"at most {ctx.users.username_max_length}",
                )
            elif username:
                first, _, last = manager.partition(" ")
                key, _found = ctx.users.by_username(username, first_name=first, last_name=last)
                if key not in record.managers:
                    record.managers = (*record.managers, key)
            ctx.known_reps.add(external_id)
            reps.add((external_id, agent))
            ctx.assignments.append(AssignmentRecord(name, row.line, external_id, code, None, None))
        users = self.ctx.result.counts_for(name, "users")
        keys = {k for r in offices.values() for k in r.managers}
        users.created = sum(1 for k in keys if ctx.users.pk_of(k) is None)
        users.unchanged = len(keys) - users.created

    # --- products.csv ------------------------------------------------------------------
    def _products(self, name, rows) -> None:
        upserter = self.ctx.upserter(PRODUCT, name)
        seen: dict[str, int] = {}
        for row in rows:
            product = row.text("product", required=True, max_length=100)
            series = row.text("series", max_length=100)
            price = row.amount("sales_price", required=True)
            if not claim(row, seen, product, column="product", what="product"):
                continue
            if row.ok:
                self.prices[product] = price
                upserter.add((product, series, price))

    # --- accounts.csv ------------------------------------------------------------------
    def _accounts(self, name, rows) -> None:
        self.ctx.upserter(MAVEN_CUSTOMER, name)  # counted under accounts.csv
        repaired: dict[str, int] = {}
        for row in rows:
            account = row.key("account", max_length=200)
            sector = row.text("sector", max_length=100)
            if sector in SECTOR_REPAIRS:
                repaired[sector] = repaired.get(sector, 0) + 1
                sector = SECTOR_REPAIRS[sector]
            if not account:
                continue
            if account in self.accounts:
                row.error("account", duplicate_message("account", account, self.accounts[account][0]))
                continue
            self.accounts[account] = (row.line, sector)
            self.ctx.customer_territory[account] = None  # known; its territory comes from its deals
        for wrong, count in repaired.items():
            self.log.warn(
                name,
                None,
                "sector",
                f"{wrong!r} read as {SECTOR_REPAIRS[wrong]!r} ({plural(count, 'account', 'accounts')})",
            )

    # --- sales_pipeline.csv -------------------------------------------------------------
    def _product_repair(self, product: str) -> str | None:
        squashed = product.replace(" ", "").lower()
        matches = [p for p in self.prices if p.replace(" ", "").lower() == squashed]
        return matches[0] if len(matches) == 1 else None

    def _pipeline(self, name, rows) -> None:
        ctx = self.ctx
        upserter = ctx.upserter(DEAL, name)
        seen: dict[str, int] = {}
        repairs: dict[tuple[str, str], int] = {}
        no_engage: dict[str, int] = {}
        no_account_open = no_account_closed = 0
        stage_names = tuple(STAGES)
        for row in rows:
            external_id = row.key("opportunity_id", max_length=100)
            agent = row.text("sales_agent", required=True, max_length=200)
            stage_name = row.choice("deal_stage", stage_names, what="stage", required=True)
            product = row.text("product", max_length=100)
            account = row.key("account", max_length=200, required=False)
            created_on = row.date("engage_date")
            closed_on = row.date("close_date")
            owner = person_key(agent) if agent else ""
            if owner and not ctx.rep_known(owner):
                message = f"unknown sales agent {agent!r} (not in sales_teams.csv)"
                self._unknown(row, "sales_agent", "sales_teams.csv", message)
                owner = ""
            if account and not ctx.customer_known(account):
                self._unknown(row, "account", "accounts.csv", f"unknown account {account!r} (not in accounts.csv)")
            if product and product not in self.prices:
                repaired = self._product_repair(product)
                if repaired:
                    repairs[(product, repaired)] = repairs.get((product, repaired), 0) + 1
                    product = repaired
            stage = STAGES.get(stage_name, "")
            amount = None
            if stage == Stage.WON:
                amount = row.amount("close_value", required=True)
                if product and product not in self.prices:
                    row.warn("product", f"unknown product {product!r}; kept as written", kind="unknown product")
            elif stage:
                if not product:
                    row.error("product", "required value is missing (a lost or open deal's amount is its list price)")
                elif product not in self.prices:
                    message = f"unknown product {product!r} (a lost or open deal's amount is its list price)"
                    self._unknown(row, "product", "products.csv", message)
                else:
                    amount = self.prices[product]
            closed = stage in (Stage.WON, Stage.LOST)
            if closed and closed_on is None and not row.data.get("close_date"):
                row.error("close_date", f"required for a closed ({stage_name}) deal")
            elif stage and not closed and closed_on is not None:
                row.error("close_date", f"an open ({stage_name}) deal has no close date")
            if created_on and closed_on and closed_on < created_on:
                row.error("close_date", f"{closed_on} is before engage_date {created_on}")
            if stage and created_on is None and not row.data.get("engage_date"):
                no_engage[stage_name] = no_engage.get(stage_name, 0) + 1
            if stage and not account:
                if closed:
                    no_account_closed += 1
                else:
                    no_account_open += 1
            territory = None
            if owner and row.ok:
                day = closed_on or created_on or ctx.today
                territory = ctx.book.territory_on(owner, day)
                if territory is None and account:
                    territory = ctx.territory_of_customer(account)
                if territory is None:
                    row.error("sales_agent", f"no territory: {agent} has no assignment on {day}")
            if not claim(row, seen, external_id, column="opportunity_id") or not row.ok:
                continue
            self.agents_with_deals.add(owner)
            lost_from = Stage.QUALIFIED if stage == Stage.LOST and created_on else ""
            upserter.add(
                (
                    external_id,
                    "",
                    account or None,
                    owner,
                    territory,
                    stage,
                    lost_from,
                    amount,
                    ZERO,
                    created_on,
                    closed_on,
                    None,
                    product,
                )
            )
            if account:
                self._first_deal(account, external_id, stage, created_on, closed_on, territory, owner)
        for (wrong, right), count in repairs.items():
            self.log.warn(
                name,
                None,
                "product",
                f"{wrong!r} is {right!r} in products.csv; read as {right!r} ({plural(count, 'deal', 'deals')})",
            )
        for stage_name, count in no_engage.items():
            self.log.warn(
                name,
                None,
                "engage_date",
                f"{plural(count, f'{stage_name} deal has', f'{stage_name} deals have')} no engage_date; "
                "kept with created_on unknown",
            )
        if no_account_open:
            self.log.warn(
                name,
                None,
                "account",
                f"{plural(no_account_open, 'open deal has', 'open deals have')} no account; kept with no customer",
            )
        if no_account_closed:
            self.log.warn(
                name,
                None,
                "account",
                f"{plural(no_account_closed, 'closed deal has', 'closed deals have')} no account; "
                "kept with no customer",
            )

    def _first_deal(self, account, external_id, stage, created_on, closed_on, territory, owner) -> None:
        first = self.first.setdefault(account, _FirstDeal())
        if stage == Stage.WON:
            candidate = (closed_on, external_id, territory, owner)
            if first.won is None or candidate[:2] < first.won[:2]:
                first.won = candidate
        candidate = (created_on is None, created_on or datetime.date.min, external_id, territory, owner)
        if first.any is None or candidate[:3] < first.any[:3]:
            first.any = candidate

    def _customers_plan(self) -> None:
        if "accounts.csv" not in self.files:
            return
        upserter = self.ctx.upserter(MAVEN_CUSTOMER, "accounts.csv")
        without_deals = 0
        for account, (_line, sector) in self.accounts.items():
            first = self.first.get(account)
            territory = owner = None
            if first is not None:
                territory, owner = (first.won or first.any)[-2:]
            else:
                without_deals += 1
            self.ctx.customer_territory[account] = territory
            upserter.add((account, account, territory, owner, sector))
        if without_deals and "sales_pipeline.csv" in self.files:
            self.log.warn(
                "accounts.csv",
                None,
                "account",
                f"{plural(without_deals, 'account has', 'accounts have')} no deals; kept with no territory or owner",
            )
