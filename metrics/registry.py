"""Every KPI of ``spec/kpis.md``, described once.

The registry drives target entry, the engine, the charts and the API instead of
if/elif chains over KPI keys (Zulip's ``COUNT_STATS`` idea). Formulas live in
the engine; this module only says what each KPI *is*.
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
    # Additive KPIs sum over months (a quarter's revenue target is the sum of its
    # months'); the others (rates, medians, averages) do not.
    additive: bool = False
    interval: Interval = Interval.NONE
    # Scopes the spec defines the KPI for ("rep" is left out of a few).
    for_reps: bool = True
    description: str = ""
    # The number opens as the list of deals or customers behind it (a drill-down).
    drillable: bool = False


_C, _N, _R, _D, _S, _M = Unit.CURRENCY, Unit.COUNT, Unit.RATIO, Unit.DAYS, Unit.SCORE, Unit.MULTIPLE
_LEAD, _LAG = Kind.LEADING, Kind.LAGGING

KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "revenue",
        "Revenue",
        _C,
        _LAG,
        additive=True,
        drillable=True,
        description="Net amount of won deals closed in the period.",
    ),
    KpiDefinition("deals_won", "Deals won", _N, _LAG, additive=True, drillable=True),
    KpiDefinition("avg_deal_size", "Average deal size", _C, _LAG),
    KpiDefinition("win_rate", "Win rate", _R, _LAG, interval=Interval.WILSON),
    KpiDefinition("deals_created", "Deals created", _N, _LEAD, additive=True),
    KpiDefinition("lead_conversion_rate", "Lead conversion rate", _R, _LAG, interval=Interval.WILSON),
    KpiDefinition("sales_cycle_days", "Sales cycle (median days)", _D, _LAG, higher_is_better=False),
    KpiDefinition("revenue_growth", "Revenue growth", _R, _LAG, targetable=False),
    KpiDefinition("revenue_yoy", "Revenue vs last year", _R, _LAG, targetable=False),
    KpiDefinition("new_customers", "New customers", _N, _LAG, additive=True, drillable=True),
    KpiDefinition("customers_active", "Active customers", _N, _LAG),
    KpiDefinition("churn_rate", "Churn rate", _R, _LAG, higher_is_better=False, interval=Interval.WILSON),
    KpiDefinition("retention_rate", "Retention rate", _R, _LAG, interval=Interval.WILSON),
    KpiDefinition("arpu", "Revenue per active customer", _C, _LAG),
    KpiDefinition("clv", "Customer lifetime value", _C, _LAG),
    KpiDefinition("clv_cac_ratio", "CLV / CAC", _M, _LAG, for_reps=False),
    KpiDefinition("cac", "Customer acquisition cost", _C, _LAG, higher_is_better=False, for_reps=False),
    KpiDefinition("csat", "CSAT", _R, _LAG, interval=Interval.WILSON),
    KpiDefinition("nps", "NPS", _S, _LAG, interval=Interval.NPS),
    KpiDefinition("quota_attainment", "Quota attainment", _M, _LAG, targetable=False),
    KpiDefinition("reps_at_quota", "Reps at quota", _R, _LAG, for_reps=False),
    KpiDefinition("pipeline_value", "Pipeline value", _C, _LEAD, drillable=True),
    KpiDefinition("pipeline_coverage", "Pipeline coverage", _M, _LEAD),
    KpiDefinition("calls", "Calls", _N, _LEAD, additive=True),
    KpiDefinition("meetings", "Meetings", _N, _LEAD, additive=True),
    KpiDefinition("emails", "Emails", _N, _LEAD, additive=True),
    KpiDefinition("follow_up_rate", "Follow-up rate", _R, _LEAD, interval=Interval.WILSON),
    KpiDefinition("rep_turnover_rate", "Rep turnover", _R, _LAG, higher_is_better=False, for_reps=False),
)

KPI_BY_KEY: dict[str, KpiDefinition] = {kpi.key: kpi for kpi in KPIS}
TARGETABLE_KPI_KEYS: tuple[str, ...] = tuple(kpi.key for kpi in KPIS if kpi.targetable)


def kpi_get(key: str) -> KpiDefinition:
    """Return the definition of ``key``; raise ``KeyError`` naming the known keys."""
    try:
        return KPI_BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown KPI {key!r}; known KPIs: {', '.join(KPI_BY_KEY)}") from None


def targetable_kpi_choices() -> list[tuple[str, str]]:
    return [(kpi.key, kpi.label) for kpi in KPIS if kpi.targetable]
