"""Writing the demo rows: territories, plans, reps, targets, expenses and each block's facts.

Every writer inserts in batches of ``BATCH_SIZE`` and copies the new primary
keys back to the drawn rows that later inserts refer to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Model

from metrics.models import MONTH_FIELDS, Distribution, Target, TargetChange
from metrics.services.targets import TargetScope, target_input_clean, target_rows_new, targets_set
from reps.models import SalesRep
from sales.demo import plan
from sales.demo.generate import expenses_plan
from sales.demo.rows import BlockFacts, RepPlan, TargetPlan
from sales.models import Activity, Customer, Deal, Expense, Product, SurveyResponse
from territories.models import Territory, TerritoryAssignment

BATCH_SIZE = 5000


def cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def batches(rows: list, size: int = BATCH_SIZE) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert(model: type[Model], rows: list, build: Callable[[Any], Model], *, keep_pks: bool = False) -> None:
    """Insert ``build(row)`` for every row, a batch at a time; ``keep_pks`` copies the new primary keys to the rows."""
    for chunk in batches(rows):
        objects = [build(row) for row in chunk]
        model.objects.bulk_create(objects)
        if keep_pks:
            for row, obj in zip(chunk, objects, strict=True):
                row.pk = obj.pk


def territories_create() -> dict[str, Territory]:
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


def distributions_create() -> dict[str, Distribution]:
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


def products_create() -> None:
    Product.objects.bulk_create(
        Product(name=p.name, series=p.series, list_price=cents(p.list_price_cents)) for p in plan.PRODUCTS
    )


def reps_create(reps: list[RepPlan], territories: dict[str, Territory], rep_user) -> dict[str, SalesRep]:
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


def target_entries(
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


def targets_write(entries: Iterable, *, bulk: bool) -> None:
    """Store validated target entries: through targets_set, or in bulk with the same rows."""
    if not bulk:
        for entry in entries:
            targets_set(entry=entry, source=TargetChange.Source.SEED)
        return
    # Exactly what targets_set writes for a scope without targets yet (target_rows_new).
    targets: list[Target] = []
    changes: list[TargetChange] = []

    def flush() -> None:
        Target.objects.bulk_create(targets)
        TargetChange.objects.bulk_create(changes)  # after, so each change has its target's id
        targets.clear()
        changes.clear()

    for entry in entries:
        for target, change in target_rows_new(entry, source=TargetChange.Source.SEED):
            targets.append(target)
            changes.append(change)
        if len(targets) >= BATCH_SIZE:
            flush()
    flush()


def expenses_create(*, seed: int, reps: list[RepPlan], territories: dict[str, Territory]) -> int:
    rows = [
        Expense(territory=territories[e.territory], month=e.month, category=e.category, amount=cents(e.amount))
        for e in expenses_plan(seed=seed, reps=reps)
    ]
    Expense.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def facts_write(facts: BlockFacts, territory_ids: dict[str, int]) -> None:
    """Insert one block's facts; each insert sets the primary keys the next one refers to."""
    insert(
        Customer,
        facts.customers,
        lambda c: Customer(
            external_id=c.external_id,
            name=c.name,
            sector=c.sector,
            territory_id=territory_ids[c.territory],
            owner_id=c.rep.pk,
            churned_on=c.churned_on,
        ),
        keep_pks=True,
    )
    insert(
        Deal,
        facts.deals,
        lambda d: Deal(
            external_id=d.external_id,
            name=d.name,
            owner_id=d.rep.pk,
            customer_id=d.customer.pk if d.customer else None,
            territory_id=territory_ids[d.territory],
            stage=d.stage,
            lost_from_stage=d.lost_from_stage,
            amount=cents(d.amount),
            refunded_amount=cents(d.refunded),
            created_on=d.created_on,
            closed_on=d.closed_on,
            ends_on=d.ends_on,
            product=d.product,
        ),
        keep_pks=True,
    )
    insert(
        Activity,
        facts.activities,
        lambda a: Activity(
            external_id=a.external_id,
            rep_id=a.rep.pk,
            territory_id=territory_ids[a.territory],
            kind=a.kind,
            occurred_on=a.occurred_on,
            deal_id=a.deal.pk if a.deal else None,
            customer_id=a.customer.pk if a.customer else None,
        ),
    )
    insert(
        SurveyResponse,
        facts.surveys,
        lambda s: SurveyResponse(
            external_id=s.external_id,
            customer_id=s.customer.pk,
            rep_id=s.rep.pk,
            territory_id=territory_ids[s.territory],
            kind=s.kind,
            score=s.score,
            responded_on=s.responded_on,
        ),
    )
