"""Write the demo data set into an empty database (``manage.py seed_demo``)."""

from __future__ import annotations

import datetime
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import reset_queries, transaction

from metrics.models import MONTH_FIELDS, Distribution, Target, TargetChange
from metrics.services.recompute import facts_first_month, kpi_recompute_request
from metrics.services.targets import TargetScope, target_input_clean, target_months, targets_set
from reps.models import SalesRep
from sales.demo import plan
from sales.demo.generate import (
    BlockFacts,
    Numbering,
    RepPlan,
    TargetPlan,
    block_facts,
    expenses_plan,
    rep_quota_plan,
    reps_plan,
    rng_for,
    territory_target_plan,
)
from sales.demo.selectors import DemoSeedError, DemoState, demo_data_check, demo_row_counts
from sales.models import Activity, Customer, Deal, Expense, Product, SurveyResponse
from territories.models import Territory, TerritoryAssignment

BATCH_SIZE = 5000
MAX_SCALE = 1000
# Above this scale rep quotas are inserted in bulk instead of one targets_set call
# per rep and quarter; the rows are the same either way (see the tests).
SERVICE_QUOTAS_MAX_SCALE = 1

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    existed: bool  # the account was there before: its password was left alone


@dataclass(frozen=True)
class DemoSeedResult:
    written: bool  # False when the database already held this data set
    scale: int
    seed: int
    reference_date: datetime.date
    counts: dict[str, int]
    logins: tuple[DemoLogin, ...]
    seconds: float  # in all
    commit_seconds: float = 0.0  # of which committing, with the KPI recompute when tasks run eagerly


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _batches(rows: list, size: int = BATCH_SIZE) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _logins(existing: Iterable[str] = ()) -> tuple[DemoLogin, ...]:
    existing = set(existing)
    linked = SalesRep.objects.filter(user__username=plan.REP_USERNAME).first()
    rep_role = f"rep {linked.name} ({linked.external_id})" if linked else "rep (not linked to a sales rep)"
    logins = [DemoLogin(plan.ADMIN_USERNAME, "admin: sees everything", plan.ADMIN_USERNAME in existing)]
    logins += [
        DemoLogin(m.username, f"manager of {plan.TERRITORY_BY_CODE[m.territory].name}", m.username in existing)
        for m in plan.MANAGERS
    ]
    logins.append(DemoLogin(plan.REP_USERNAME, rep_role, plan.REP_USERNAME in existing))
    return tuple(logins)


def _territories_create() -> dict[str, Territory]:
    created: dict[str, Territory] = {}
    for spec in plan.TERRITORIES:
        fields = {"code": spec.code, "name": spec.name}
        if spec.parent is None:
            created[spec.code] = Territory.objects.add_root(fields)
        else:
            parent = created[spec.parent]
            parent.refresh_from_db()  # adding a sibling may have moved the parent's path
            created[spec.code] = Territory.objects.add_child(parent, fields)
    return {t.code: t for t in Territory.objects.all()}


def _distributions_create() -> dict[str, Distribution]:
    rows = [
        Distribution(
            name=name,
            description=description,
            **{month: Decimal(p) for month, p in zip(MONTH_FIELDS, percentages, strict=True)},
        )
        for name, (description, percentages) in plan.DISTRIBUTIONS.items()
    ]
    Distribution.objects.bulk_create(rows)
    return {d.name: d for d in rows}


def _users_ensure(*, seed: int) -> tuple[dict[str, object], set[str]]:
    """Create the demo logins that do not exist yet; leave existing accounts alone."""
    user_model = get_user_model()
    wanted = [(plan.ADMIN_USERNAME, "Ada", "Admin", True)]
    wanted += [(m.username, m.first_name, m.last_name, False) for m in plan.MANAGERS]
    wanted.append((plan.REP_USERNAME, "", "", False))
    existing = user_model.objects.in_bulk([w[0] for w in wanted], field_name="username")
    missing = [w for w in wanted if w[0] not in existing]
    if missing:
        # One hash for all of them, with a salt drawn from the seed: hashing is
        # slow on purpose, and a fixed salt keeps the rows identical run to run.
        rng = rng_for(seed, "password")
        salt = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22))
        encoded = make_password(plan.DEMO_PASSWORD, salt=salt)
        joined = datetime.datetime.combine(plan.PERIOD_START, datetime.time(), tzinfo=datetime.UTC)
        user_model.objects.bulk_create(
            user_model(
                username=username,
                email=f"{username}@example.com",
                first_name=first,
                last_name=last,
                is_staff=admin,
                is_superuser=admin,
                password=encoded,
                date_joined=joined,
            )
            for username, first, last, admin in missing
        )
    users = user_model.objects.in_bulk([w[0] for w in wanted], field_name="username")
    return users, set(existing)


def _reps_create(reps: list[RepPlan], territories: dict[str, Territory], rep_user) -> dict[str, SalesRep]:
    link_rep = reps[plan.LINKED_REP_INDEX].external_id if not SalesRep.objects.filter(user=rep_user).exists() else None
    objects = [
        SalesRep(
            external_id=r.external_id,
            name=r.name,
            email=r.email,
            hired_on=r.hired_on,
            left_on=r.left_on,
            user=rep_user if r.external_id == link_rep else None,
        )
        for r in reps
    ]
    SalesRep.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    for row, obj in zip(reps, objects, strict=True):
        row.pk = obj.pk
    assignments = [
        TerritoryAssignment(rep_id=r.pk, territory=territories[s.territory], start_date=s.start, end_date=s.end)
        for r in reps
        for s in r.stints
    ]
    TerritoryAssignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
    return {obj.external_id: obj for obj in objects}


def _target_entries(
    targets: list[TargetPlan],
    *,
    reps: dict[str, SalesRep],
    territories: dict[str, Territory],
    distributions: dict[str, Distribution],
):
    for target in targets:
        kind, _, key = target.scope.partition(":")
        scope = TargetScope(rep=reps[key]) if kind == "rep" else TargetScope(territory=territories[key])
        yield target_input_clean(
            scope=scope,
            kpi=target.kpi,
            period=target.period,
            value=target.value,
            distribution=distributions[target.distribution] if target.distribution else None,
        )


def _targets_write(entries: Iterable, *, bulk: bool) -> None:
    """Store validated target entries: through targets_set, or in bulk with the same rows."""
    if not bulk:
        for entry in entries:
            targets_set(entry=entry, source=TargetChange.Source.SEED)
        return
    # Exactly what targets_set writes for a scope without targets yet: one
    # Target per month and one TargetChange from nothing to the value.
    targets: list[Target] = []
    changes: list[TargetChange] = []

    def flush() -> None:
        Target.objects.bulk_create(targets)
        TargetChange.objects.bulk_create(changes)  # after, so each change has its target's id
        targets.clear()
        changes.clear()

    for entry in entries:
        for month, value in sorted(target_months(entry).items()):
            target = Target(
                kpi=entry.kpi.key,
                month=month,
                value=value,
                entered_as=entry.period.label,
                distribution=entry.distribution,
                **entry.scope.filter_kwargs(),
            )
            targets.append(target)
            changes.append(
                TargetChange(
                    target=target,
                    scope=entry.scope.key,
                    kpi=entry.kpi.key,
                    month=month,
                    old_value=None,
                    new_value=value,
                    source=TargetChange.Source.SEED,
                    note=entry.note,
                )
            )
        if len(targets) >= BATCH_SIZE:
            flush()
    flush()


def _expenses_create(*, seed: int, reps: list[RepPlan], territories: dict[str, Territory]) -> int:
    rows = [
        Expense(territory=territories[e.territory], month=e.month, category=e.category, amount=_cents(e.amount))
        for e in expenses_plan(seed=seed, reps=reps)
    ]
    Expense.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def _facts_write(facts: BlockFacts, territory_ids: dict[str, int]) -> None:
    """Insert one block's facts; each insert sets the primary keys the next one refers to."""
    for chunk in _batches(facts.customers):
        objects = [
            Customer(
                external_id=c.external_id,
                name=c.name,
                sector=c.sector,
                territory_id=territory_ids[c.territory],
                owner_id=c.rep.pk,
                churned_on=c.churned_on,
            )
            for c in chunk
        ]
        Customer.objects.bulk_create(objects)
        for row, obj in zip(chunk, objects, strict=True):
            row.pk = obj.pk
    for chunk in _batches(facts.deals):
        objects = [
            Deal(
                external_id=d.external_id,
                name=d.name,
                owner_id=d.rep.pk,
                customer_id=d.customer.pk if d.customer else None,
                territory_id=territory_ids[d.territory],
                stage=d.stage,
                lost_from_stage=d.lost_from_stage,
                amount=_cents(d.amount),
                refunded_amount=_cents(d.refunded),
                created_on=d.created_on,
                closed_on=d.closed_on,
                ends_on=d.ends_on,
                product=d.product,
            )
            for d in chunk
        ]
        Deal.objects.bulk_create(objects)
        for row, obj in zip(chunk, objects, strict=True):
            row.pk = obj.pk
    for chunk in _batches(facts.activities):
        Activity.objects.bulk_create(
            Activity(
                external_id=a.external_id,
                rep_id=a.rep.pk,
                territory_id=territory_ids[a.territory],
                kind=a.kind,
                occurred_on=a.occurred_on,
                deal_id=a.deal.pk if a.deal else None,
                customer_id=a.customer.pk if a.customer else None,
            )
            for a in chunk
        )
    for chunk in _batches(facts.surveys):
        SurveyResponse.objects.bulk_create(
            SurveyResponse(
                external_id=s.external_id,
                customer_id=s.customer.pk,
                rep_id=s.rep.pk,
                territory_id=territory_ids[s.territory],
                kind=s.kind,
                score=s.score,
                responded_on=s.responded_on,
            )
            for s in chunk
        )


def _validate(scale: int, seed: int) -> None:
    if not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise DemoSeedError(f"--scale must be a whole number from 1 to {MAX_SCALE}, got {scale!r}.")
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise DemoSeedError(f"--seed must be a whole number from 0 to 2**63 - 1, got {seed!r}.")


def demo_data_seed(
    *,
    scale: int = 1,
    seed: int = 42,
    progress: Progress | None = None,
    rep_quotas_in_bulk: bool | None = None,
) -> DemoSeedResult:
    """Fill an empty database with the demo data set of ``scale`` and ``seed``.

    On a database that already holds this very data set, write nothing. Anything
    else (other data, another scale or seed) raises ``DemoSeedError`` before any
    write. All writes happen in one transaction: a failure leaves nothing behind.
    """
    _validate(scale, seed)
    say = progress or (lambda message: None)
    started = time.monotonic()
    if demo_data_check(scale=scale, seed=seed) is DemoState.PRESENT:
        say(f"The demo data set of --scale {scale} --seed {seed} is already there: nothing to write.")
        return DemoSeedResult(
            written=False,
            scale=scale,
            seed=seed,
            reference_date=plan.REFERENCE_DATE,
            counts=demo_row_counts(),
            logins=_logins(),  # the seed made them, with the demo password
            seconds=time.monotonic() - started,
        )
    if rep_quotas_in_bulk is None:
        rep_quotas_in_bulk = scale > SERVICE_QUOTAS_MAX_SCALE
    fiscal_start = settings.FISCAL_YEAR_START_MONTH

    with transaction.atomic():
        territories = _territories_create()
        territory_ids = {code: t.pk for code, t in territories.items()}
        distributions = _distributions_create()
        Product.objects.bulk_create(
            Product(name=p.name, series=p.series, list_price=_cents(p.list_price_cents)) for p in plan.PRODUCTS
        )
        users, existed = _users_ensure(seed=seed)
        for manager in plan.MANAGERS:
            territories[manager.territory].managers.add(users[manager.username])
        say(f"territories, products, plans and logins ready ({len(territories)} territories)")

        reps = [rep for block in range(scale) for rep in reps_plan(seed=seed, block=block)]
        rep_objects = _reps_create(reps, territories, users[plan.REP_USERNAME])
        say(f"{len(reps):,} reps and their territory assignments")

        lookups = {"reps": rep_objects, "territories": territories, "distributions": distributions}
        quotas = rep_quota_plan(reps=reps, fiscal_start_month=fiscal_start)
        _targets_write(_target_entries(quotas, **lookups), bulk=rep_quotas_in_bulk)
        territory_targets = territory_target_plan(reps=reps, fiscal_start_month=fiscal_start)
        _targets_write(_target_entries(territory_targets, **lookups), bulk=False)
        how = "in bulk" if rep_quotas_in_bulk else "through the target service"
        say(f"{len(quotas):,} rep quarter quotas ({how}) and {len(territory_targets)} territory targets")
        expenses = _expenses_create(seed=seed, reps=reps, territories=territories)
        say(f"{expenses:,} monthly expenses")

        numbering = Numbering()
        for block in range(scale):
            block_reps = reps[block * plan.REPS_PER_BLOCK : (block + 1) * plan.REPS_PER_BLOCK]
            facts = block_facts(seed=seed, block=block, reps=block_reps, numbering=numbering)
            _facts_write(facts, territory_ids)
            # With DEBUG on, Django keeps every query's SQL; a block's inserts are
            # megabytes of it, so drop them to keep memory flat at any scale.
            reset_queries()
            say(
                f"block {block + 1}/{scale}: {numbering.customer - 1:,} customers, {numbering.deal - 1:,} deals, "
                f"{numbering.activity - 1:,} activities, {numbering.survey - 1:,} survey responses"
            )

        # The facts went in with bulk_create, which asks for no recompute: ask once
        # for everything, as an import does. It runs when the transaction commits.
        kpi_recompute_request(months=[facts_first_month()], reason=f"demo data set (--scale {scale} --seed {seed})")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            say("committing; the KPI snapshots are recomputed now (no worker configured: tasks run in this process)")
        else:
            say("committing; a worker will recompute the KPI snapshots")
        committing = time.monotonic()
    commit_seconds = time.monotonic() - committing
    say(f"committed in {commit_seconds:.1f}s")

    return DemoSeedResult(
        written=True,
        scale=scale,
        seed=seed,
        reference_date=plan.REFERENCE_DATE,
        counts=demo_row_counts(),
        logins=_logins(existed),
        seconds=time.monotonic() - started,
        commit_seconds=commit_seconds,
    )
