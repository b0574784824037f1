"""Writing targets: validation shared by every entry point, spreading, change log.

The admin form, the quota grid, the importer and the API all go through
``target_input_clean`` (validation at the edge) and ``targets_set`` /
``targets_grid_save`` (atomic writes that log every change).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from accounts.audit import audit_record
from metrics.models import Distribution, Target, TargetChange
from metrics.periods import Period, PeriodError, period_parse
from metrics.registry import KPI_BY_KEY, KpiDefinition
from metrics.services.recompute import kpi_recompute_request
from reps.models import SalesRep
from territories.models import Territory

CENT = Decimal("0.01")


class TargetInputError(ValueError):
    """Invalid target input; ``field`` names what is wrong, ``message`` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TargetScope:
    territory: Territory | None = None
    rep: SalesRep | None = None

    @property
    def key(self) -> str:
        return f"territory:{self.territory.code}" if self.territory else f"rep:{self.rep.external_id}"

    def filter_kwargs(self) -> dict:
        return {"territory": self.territory, "rep": None} if self.territory else {"rep": self.rep, "territory": None}


@dataclass(frozen=True)
class TargetInput:
    scope: TargetScope
    kpi: KpiDefinition
    period: Period
    value: Decimal
    distribution: Distribution | None

    @property
    def note(self) -> str:
        how = f"by {self.distribution.name}" if self.distribution else "evenly"
        return self.period.label if self.period.kind == "month" else f"{self.period.label} {how}"


@dataclass(frozen=True)
class TargetWriteResult:
    created: int
    updated: int
    unchanged: int
    months: dict[datetime.date, Decimal]


def target_scope_parse(text: str) -> TargetScope:
    """Read ``territory:<code>`` or ``rep:<external_id>``."""
    kind, _, ident = (text or "").strip().partition(":")
    if kind == "territory" and ident:
        territory = Territory.objects.filter(code=ident).first()
        if territory is None:
            raise TargetInputError("scope", f"unknown territory {ident!r}")
        return TargetScope(territory=territory)
    if kind == "rep" and ident:
        rep = SalesRep.objects.filter(external_id=ident).first()
        if rep is None:
            raise TargetInputError("scope", f"unknown rep {ident!r}")
        return TargetScope(rep=rep)
    raise TargetInputError("scope", f"{text!r} is not territory:<code> or rep:<external_id>")


def target_input_clean(
    *,
    scope: TargetScope,
    kpi: str,
    period: str,
    value: str | Decimal | int,
    distribution: Distribution | str | None = None,
) -> TargetInput:
    """Validate one target entry; raise ``TargetInputError`` naming the bad field."""
    definition = KPI_BY_KEY.get((kpi or "").strip())
    if definition is None:
        raise TargetInputError("kpi", f"unknown KPI {kpi!r}")
    if not definition.targetable:
        raise TargetInputError("kpi", f"{definition.key} is derived from other KPIs and cannot have a target")
    if not definition.for_reps and scope.rep is not None:
        raise TargetInputError("kpi", f"{definition.key} is defined for territories and the company, not for a rep")

    try:
        parsed_period = period_parse(period, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    except PeriodError as exc:
        raise TargetInputError("period", str(exc)) from None
    if parsed_period.kind == "range":
        raise TargetInputError("period", "a target is set for a month (YYYY-MM), a quarter (YYYY-Qn) or a year (YYYY)")

    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise TargetInputError("value", f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise TargetInputError("value", f"{value!r} is not a number")
    if amount < 0:
        raise TargetInputError("value", "a target cannot be negative")
    if amount >= Decimal("1e13"):
        raise TargetInputError("value", "is too large (at most 13 digits before the decimal point)")
    if definition.additive and amount != amount.quantize(CENT):
        raise TargetInputError("value", "use at most 2 decimals (values are spread over months in cents)")
    if amount != amount.quantize(Decimal("0.0001")):
        raise TargetInputError("value", "use at most 4 decimals")

    if isinstance(distribution, str):
        name = distribution.strip()
        distribution = Distribution.objects.filter(name=name).first() if name else None
        if name and distribution is None:
            raise TargetInputError("distribution", f"unknown distribution {name!r}")
    if distribution is not None:
        if parsed_period.kind == "month":
            raise TargetInputError("distribution", "a month's target is not spread: leave the distribution empty")
        if not definition.additive:
            raise TargetInputError(
                "distribution",
                f"{definition.key} is not a sum over months, so it is not spread: "
                "its value applies to every month; leave the distribution empty",
            )
        total = sum(distribution.percentages(), Decimal("0"))
        if total != Decimal("100"):
            raise TargetInputError("distribution", f"{distribution.name} adds up to {total}%, not 100%")
        if not any(distribution.weight(m.month) for m in parsed_period.months):
            raise TargetInputError(
                "distribution", f"{distribution.name} gives 0% to every month of {parsed_period.label}"
            )
    return TargetInput(scope, definition, parsed_period, amount, distribution)


def targets_spread(
    *, total: Decimal, months: Sequence[datetime.date], weights: Sequence[Decimal] | None = None
) -> dict[datetime.date, Decimal]:
    """Split ``total`` over ``months`` in cents, proportionally to ``weights`` (even if None).

    Largest-remainder rounding: each month gets the floor of its exact share in
    cents, and the cents left over go to the months with the largest remainders,
    earlier months first on ties. The result always sums to ``total`` exactly.
    """
    if weights is None:
        weights = [Decimal(1)] * len(months)
    if len(weights) != len(months) or not months:
        raise ValueError("one weight per month, and at least one month")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("weights must not all be zero")
    total_cents = int((total / CENT).to_integral_value())
    exact = [Decimal(total_cents) * w / weight_sum for w in weights]
    cents = [int(share.to_integral_value(rounding=ROUND_FLOOR)) for share in exact]
    left = total_cents - sum(cents)
    by_remainder = sorted(range(len(months)), key=lambda i: (-(exact[i] - cents[i]), i))
    for i in by_remainder[:left]:
        cents[i] += 1
    return {month: Decimal(c) * CENT for month, c in zip(months, cents, strict=True)}


def target_months(entry: TargetInput) -> dict[datetime.date, Decimal]:
    """The month values an entry resolves to (what the admin sees before saving)."""
    months = entry.period.months
    if not entry.kpi.additive or len(months) == 1:
        return dict.fromkeys(months, entry.value)
    weights = [entry.distribution.weight(m.month) for m in months] if entry.distribution else None
    return targets_spread(total=entry.value, months=months, weights=weights)


def _write_months(
    *,
    scope: TargetScope,
    kpi: str,
    values: Mapping[datetime.date, Decimal | None],
    user,
    source: str,
    note: str = "",
    entered_as: str = "",
    distribution: Distribution | None = None,
) -> TargetWriteResult:
    """Upsert (or delete, for None) one scope's month targets, logging each change."""
    existing = {
        t.month: t
        for t in Target.objects.select_for_update().filter(kpi=kpi, month__in=list(values), **scope.filter_kwargs())
    }
    created = updated = unchanged = 0
    changes: list[TargetChange] = []
    user = user if getattr(user, "is_authenticated", False) else None
    for month, value in sorted(values.items()):
        target = existing.get(month)
        old = target.value if target else None
        if value is None:
            if target is None:
                unchanged += 1
                continue
            target.delete()
            target = None
            updated += 1
        elif target is None:
            target = _target_new(scope, kpi, month, value, entered_as=entered_as, distribution=distribution)
            target.save(force_insert=True)
            created += 1
        elif target.value == value:
            unchanged += 1
            continue
        else:
            target.value = value
            target.entered_as = entered_as
            target.distribution = distribution
            target.save(update_fields=["value", "entered_as", "distribution", "updated_at"])
            updated += 1
        changes.append(_change_new(target, scope, kpi, month, old, value, user=user, source=source, note=note))
    TargetChange.objects.bulk_create(changes)
    if changes:
        audit_record(
            actor=user,
            action="delete" if note == "deleted" else "update",
            object_type="target",
            object_id=f"{scope.key} {kpi}",
            summary=f"targets of {scope.key} {kpi}: {len(changes)} months {'deleted' if note == 'deleted' else 'set'}",
            detail={"source": source, "months": {c.month.isoformat(): _json_value(c.new_value) for c in changes}},
        )
        kpi_recompute_request(months=[c.month for c in changes], reason=f"target change ({scope.key} {kpi})")
    return TargetWriteResult(created, updated, unchanged, {m: v for m, v in values.items() if v is not None})


def _json_value(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _target_new(
    scope: TargetScope,
    kpi: str,
    month: datetime.date,
    value: Decimal,
    *,
    entered_as: str,
    distribution: Distribution | None,
) -> Target:
    return Target(
        kpi=kpi, month=month, value=value, entered_as=entered_as, distribution=distribution, **scope.filter_kwargs()
    )


def _change_new(
    target: Target | None,
    scope: TargetScope,
    kpi: str,
    month: datetime.date,
    old: Decimal | None,
    new: Decimal | None,
    *,
    user,
    source: str,
    note: str,
) -> TargetChange:
    return TargetChange(
        target=target,
        scope=scope.key,
        kpi=kpi,
        month=month,
        old_value=old,
        new_value=new,
        changed_by=user,
        source=source,
        note=note,
    )


def target_rows_new(entry: TargetInput, *, source: str) -> list[tuple[Target, TargetChange]]:
    """The unsaved rows ``targets_set`` writes for an entry whose scope has no target in those months yet.

    One Target per month and one TargetChange from nothing to its value, for
    callers that insert many entries in bulk (the target ids are set on save).
    """
    rows = []
    for month, value in sorted(target_months(entry).items()):
        scope, kpi = entry.scope, entry.kpi.key
        target = _target_new(scope, kpi, month, value, entered_as=entry.period.label, distribution=entry.distribution)
        change = _change_new(target, scope, kpi, month, None, value, user=None, source=source, note=entry.note)
        rows.append((target, change))
    return rows


@transaction.atomic
def targets_set(*, entry: TargetInput, user=None, source: str = TargetChange.Source.ADMIN) -> TargetWriteResult:
    """Store a validated entry as month targets, replacing those months' values."""
    return _write_months(
        scope=entry.scope,
        kpi=entry.kpi.key,
        values=target_months(entry),
        user=user,
        source=source,
        note=entry.note,
        entered_as=entry.period.label,
        distribution=entry.distribution,
    )


@transaction.atomic
def targets_delete(*, targets: Iterable[Target], user=None, source: str = TargetChange.Source.ADMIN) -> int:
    """Delete targets, logging each deletion; return how many were deleted."""
    deleted = 0
    for target in targets:
        scope = TargetScope(territory=target.territory) if target.territory_id else TargetScope(rep=target.rep)
        deleted += _write_months(
            scope=scope, kpi=target.kpi, values={target.month: None}, user=user, source=source, note="deleted"
        ).updated
    return deleted


@transaction.atomic
def targets_grid_save(
    *,
    kpi: str,
    cells: Mapping[tuple[int, datetime.date], Decimal | None],
    user=None,
) -> TargetWriteResult:
    """Save a reps × months grid of one KPI: each cell a month value or None (no target)."""
    reps = SalesRep.objects.in_bulk({rep_id for rep_id, _ in cells})
    totals = [0, 0, 0]
    for rep_id, rep in reps.items():
        result = _write_months(
            scope=TargetScope(rep=rep),
            kpi=kpi,
            values={month: value for (r, month), value in cells.items() if r == rep_id},
            user=user,
            source=TargetChange.Source.GRID,
            note="quota grid",
        )
        totals[0] += result.created
        totals[1] += result.updated
        totals[2] += result.unchanged
    return TargetWriteResult(*totals, months={})
