"""Every KPI of ``spec/kpis.md``, described once.

The registry drives target entry, the engine, the charts and the API instead of
if/elif chains over KPI keys (Zulip's ``COUNT_STATS`` idea). Formulas live in
the engine's collectors (``metrics.collectors``, one per KPI family, each KPI
produced by exactly one); this module only says what each KPI *is*.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Unit(enum.StrEnum):
    CURRENCY = "currency"
    COUNT = "count"
    RATIO = "ratio"  # a fraction in [0, 1], shown as %
    DAYS = "days"
    SCORE = "score"  # NPS, -100..100
    MULTIPLE = "multiple"  # a plain factor, e.g. CLV/CAC 3.2x


class Kind(enum.StrEnum):
    LEADING = "leading"
    LAGGING = "lagging"


class TargetRule(enum.StrEnum):
    """How target(P) is read from the month targets of P (spec/kpis.md, "Targets and attainment").

    FLOW: a count or total of events; P's months sum, and territories roll up.
    STOCK: a level on a day; P's last month with a target, and territories roll up.
    MEAN: a rate, median or average; the mean of P's months, no roll-up.
    """

    FLOW = "flow"
    STOCK = "stock"
    MEAN = "mean"


class Interval(enum.StrEnum):
    NONE = ""
    WILSON = "wilson"
    NPS = "nps"


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    unit: Unit
    kind: Kind
    higher_is_better: bool = True
    targetable: bool = True
    target_rule: TargetRule = TargetRule.MEAN
    interval: Interval = Interval.NONE
    # Scopes the spec defines the KPI for ("rep" is left out of a few).
    for_reps: bool = True
    description: str = ""
    # The number opens as the list of deals or customers behind it (a drill-down).
    drillable: bool = False
    # An estimate is flagged low sample when its n is below KPI_MIN_SAMPLE; totals,
    # counts and stocks are exact whatever their n.
    estimate: bool = False
    # A KPI without an n is low sample when one of these (estimates) is.
    derived_from: tuple[str, ...] = ()

    @property
    def additive(self) -> bool:
        """A sum over months: a quarter's value (and target) is the sum of its months'."""
        return self.target_rule is TargetRule.FLOW

    @property
    def rolls_up(self) -> bool:
        """A territory without its own target takes the sum of its children's."""
        return self.target_rule in (TargetRule.FLOW, TargetRule.STOCK)


_C, _N, _R, _D, _S, _M = Unit.CURRENCY, Unit.COUNT, Unit.RATIO, Unit.DAYS, Unit.SCORE, Unit.MULTIPLE
_LEAD, _LAG = Kind.LEADING, Kind.LAGGING
_FLOW, _STOCK = TargetRule.FLOW, TargetRule.STOCK

KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "revenue",
        "Revenue",
        _C,
        _LAG,
        target_rule=_FLOW,
        drillable=True,
        description="Net amount of won deals closed in the period.",
    ),
    KpiDefinition("deals_won", "Deals won", _N, _LAG, target_rule=_FLOW, drillable=True),
    KpiDefinition("avg_deal_size", "Average deal size", _C, _LAG, estimate=True),
    KpiDefinition("win_rate", "Win rate", _R, _LAG, interval=Interval.WILSON, estimate=True),
    KpiDefinition("deals_created", "Deals created", _N, _LEAD, target_rule=_FLOW),
    KpiDefinition("lead_conversion_rate", "Lead conversion rate", _R, _LAG, interval=Interval.WILSON, estimate=True),
    KpiDefinition("sales_cycle_days", "Sales cycle (median days)", _D, _LAG, higher_is_better=False, estimate=True),
    KpiDefinition("revenue_growth", "Revenue growth", _R, _LAG, targetable=False, derived_from=("revenue",)),
    KpiDefinition("revenue_yoy", "Revenue vs last year", _R, _LAG, targetable=False, derived_from=("revenue",)),
    KpiDefinition("new_customers", "New customers", _N, _LAG, target_rule=_FLOW, drillable=True),
    KpiDefinition("customers_active", "Active customers", _N, _LAG, target_rule=_STOCK),
    KpiDefinition(
        "churn_rate", "Churn rate", _R, _LAG, higher_is_better=False, interval=Interval.WILSON, estimate=True
    ),
    KpiDefinition("retention_rate", "Retention rate", _R, _LAG, interval=Interval.WILSON, estimate=True),
    KpiDefinition("arpu", "Revenue per active customer", _C, _LAG, estimate=True),
    KpiDefinition("clv", "Customer lifetime value", _C, _LAG, estimate=True),
    KpiDefinition("clv_cac_ratio", "CLV / CAC", _M, _LAG, for_reps=False, derived_from=("clv", "cac")),
    KpiDefinition("cac", "Customer acquisition cost", _C, _LAG, higher_is_better=False, for_reps=False, estimate=True),
    KpiDefinition("csat", "CSAT", _R, _LAG, interval=Interval.WILSON, estimate=True),
    KpiDefinition("nps", "NPS", _S, _LAG, interval=Interval.NPS, estimate=True),
    KpiDefinition("quota_attainment", "Quota attainment", _M, _LAG, targetable=False),
    KpiDefinition("reps_at_quota", "Reps at quota", _R, _LAG, for_reps=False, estimate=True),
    KpiDefinition("pipeline_value", "Pipeline value", _C, _LEAD, target_rule=_STOCK, drillable=True),
    KpiDefinition("pipeline_coverage", "Pipeline coverage", _M, _LEAD, derived_from=("pipeline_value", "revenue")),
    KpiDefinition("calls", "Calls", _N, _LEAD, target_rule=_FLOW),
    KpiDefinition("meetings", "Meetings", _N, _LEAD, target_rule=_FLOW),
    KpiDefinition("emails", "Emails", _N, _LEAD, target_rule=_FLOW),
    KpiDefinition("follow_up_rate", "Follow-up rate", _R, _LEAD, interval=Interval.WILSON, estimate=True),
    KpiDefinition("rep_turnover_rate", "Rep turnover", _R, _LAG, higher_is_better=False, for_reps=False),
)

KPI_BY_KEY: dict[str, KpiDefinition] = {kpi.key: kpi for kpi in KPIS}
assert all(
    source in KPI_BY_KEY and not KPI_BY_KEY[source].derived_from for kpi in KPIS for source in kpi.derived_from
), "a KPI is derived from KPIs of the registry that are not derived themselves"
TARGETABLE_KPI_KEYS: tuple[str, ...] = tuple(kpi.key for kpi in KPIS if kpi.targetable)


def kpi_get(key: str) -> KpiDefinition:
    """Return the definition of ``key``; raise ``KeyError`` naming the known keys."""
    try:
        return KPI_BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown KPI {key!r}; known KPIs: {', '.join(KPI_BY_KEY)}") from None


def targetable_kpi_choices() -> list[tuple[str, str]]:
    return [(kpi.key, kpi.label) for kpi in KPIS if kpi.targetable]
