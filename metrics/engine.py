"""The KPI engine: fetch → pure KPI functions → roll-ups, for every scope × period at once.

``kpis_compute`` is the one computation behind snapshots (``recompute_kpis``)
and live reports (``kpi_report --live``), so the two agree exactly. It drives
the scope × period grid; the roll-ups it reads are in ``metrics.rollups`` and
the table it returns is laid out by ``metrics.kpi_table``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings

from metrics.fetch import CENTS, Facts, Grain, facts_fetch
from metrics.kpi_table import COLUMNS, kpi_table_assemble
from metrics.kpis.customers import active_matrix, distinct_in_windows
from metrics.kpis.stats import histogram_quantiles, nps_interval, ratio, wilson
from metrics.kpis.targets import targets_resolve
from metrics.kpis.team import reps_at_quota, turnover
from metrics.periods import Period, month_add, month_end, period_last_year, period_previous
from metrics.rollups import (
    WindowSums,
    funnel_reached,
    pipeline_open,
    rep_attainment,
    to_date_comparisons,
    window_buckets,
)
from metrics.scopes import ScopeIndex, rollup, scope_index_build


@dataclass(frozen=True)
class KpiResult:
    """Long table of KPI values: one row per (scope, period, kpi), plus the funnel per (scope, period)."""

    as_of: datetime.date
    periods: tuple[Period, ...]
    table: pd.DataFrame  # COLUMNS
    funnel: pd.DataFrame  # scope, period, <stage>_n …


def as_of_date() -> datetime.date:
    """The as-of date: the ``KPI_AS_OF`` setting, else today."""
    return settings.KPI_AS_OF or datetime.date.today()


def kpis_compute(
    *,
    periods: Sequence[Period],
    as_of: datetime.date | None = None,
    grain: Grain = "month",
    scopes: Sequence[str] | None = None,
    facts: Facts | None = None,
    index: ScopeIndex | None = None,
) -> KpiResult:
    """Compute every KPI for every scope (or ``scopes``) × ``periods`` from the facts.

    Periods that start after the as-of date are skipped. Month, quarter and year
    periods use month buckets; ``start..end`` ranges need ``grain="day"``.
    """
    as_of = as_of or as_of_date()
    fiscal = settings.FISCAL_YEAR_START_MONTH
    periods = tuple(p for p in periods if p.start <= as_of)
    index = index or scope_index_build()
    facts = facts or facts_fetch(as_of=as_of, grain=grain)
    all_scopes = index.all_keys()
    scope_list = list(scopes) if scopes is not None else all_scopes
    labels = [p.label for p in periods]
    grid = pd.MultiIndex.from_product([scope_list, labels], names=["scope", "period"])
    if not periods:
        return KpiResult(as_of, periods, pd.DataFrame(columns=COLUMNS), pd.DataFrame())

    # Windows: each period, the one before it, the same one last year, and its 12-month CLV window.
    windows: dict[str, tuple[datetime.date, datetime.date]] = {}
    for p in periods:
        windows[p.label] = (p.start, p.end)
        prev, last_year = period_previous(p, fiscal_start_month=fiscal), period_last_year(p, fiscal_start_month=fiscal)
        windows["prev|" + p.label] = (prev.start, prev.end)
        windows["ly|" + p.label] = (last_year.start, last_year.end)
        end_month = p.end.replace(day=1)
        windows["W|" + p.label] = (month_add(end_month, -11), month_end(end_month))
    window_map = pd.DataFrame(
        [(key, b) for key, (s, e) in windows.items() for b in window_buckets(s, min(e, as_of), grain)],
        columns=["window", "bucket"],
    )
    period_map = window_map[window_map["window"].isin(labels)]

    def by_window(frame: pd.DataFrame, values: list[str], *, only_periods: bool = False, **kw) -> WindowSums:
        rolled = rollup(frame, ["bucket"], values, index, **kw)
        rolled = rolled.merge(period_map if only_periods else window_map, on="bucket")
        return WindowSums(rolled.groupby(["scope", "window"], sort=False)[values].sum().reset_index(), grid)

    is_rep = np.array([s.startswith("rep:") for s in grid.get_level_values(0)])
    out: dict[str, dict[str, np.ndarray]] = {}

    def put(key, value, n=None, low=None, high=None, provisional=None, extra=None):
        size = len(grid)
        out[key] = {
            "value": np.asarray(value, dtype="float64"),
            "n": np.full(size, np.nan) if n is None else np.asarray(n, dtype="float64"),
            "ci_low": np.full(size, np.nan) if low is None else np.asarray(low, dtype="float64"),
            "ci_high": np.full(size, np.nan) if high is None else np.asarray(high, dtype="float64"),
            "provisional": np.zeros(size, dtype=bool) if provisional is None else np.asarray(provisional, dtype=bool),
            "extra": extra,
        }

    # --- deals closed: revenue, deals won, average size, win rate, growth --------------------
    closed = by_window(facts.closed, ["won_n", "won_cents", "lost_n"])
    won, cents, lost = closed.take("won_n"), closed.take("won_cents"), closed.take("lost_n")
    revenue = cents / CENTS
    put("revenue", revenue, n=won)
    put("deals_won", won)
    put("avg_deal_size", ratio(revenue, won), n=won)
    low, high = wilson(won, won + lost)
    put("win_rate", ratio(won, won + lost), n=won + lost, low=low, high=high)
    previous = closed.take("won_cents", "prev|") / CENTS
    last_year = closed.take("won_cents", "ly|") / CENTS
    put("revenue_growth", ratio(revenue - previous, previous))
    put("revenue_yoy", ratio(revenue - last_year, last_year))

    # --- sales cycle: median (p75, p90) from additive histograms ------------------------------
    cycle = rollup(facts.cycle, ["bucket", "days"], ["n"], index).merge(period_map, on="bucket")
    quantiles = histogram_quantiles(cycle, ["scope", "window"], "days", "n", (0.5, 0.75, 0.9))
    quantiles = quantiles.set_index(["scope", "window"]).reindex(grid)
    put("sales_cycle_days", quantiles["q0.5"], n=quantiles["n"].fillna(0),
        extra=[None if pd.isna(a) else {"p75": float(a), "p90": float(b)}
               for a, b in zip(quantiles["q0.75"], quantiles["q0.9"], strict=True)])  # fmt: skip

    # --- deals created: volume, conversion cohort, follow-up ------------------------------------
    created = by_window(facts.created, ["created_n", "won_n", "open_n", "followed_n"], only_periods=True)
    created_n = created.take("created_n")
    put("deals_created", created_n)
    won_cohort = created.take("won_n")
    low, high = wilson(won_cohort, created_n)
    put("lead_conversion_rate", ratio(won_cohort, created_n), n=created_n, low=low, high=high,
        provisional=created.take("open_n") > 0)  # fmt: skip
    # An installation that holds no activity up to the as-of date does not record activities: its
    # activity KPIs are "no data", not 0.
    no_activities = np.full(len(grid), facts.activities.empty)
    followed = created.take("followed_n")
    low, high = wilson(followed, created_n)
    put("follow_up_rate", np.where(no_activities, np.nan, ratio(followed, created_n)), n=created_n,
        low=np.where(no_activities, np.nan, low), high=np.where(no_activities, np.nan, high))  # fmt: skip

    # --- activities ----------------------------------------------------------------------------
    activities = pd.DataFrame(columns=["territory_id", "rep_id", "bucket"])
    if not facts.activities.empty:
        activities = facts.activities.pivot_table(
            index=["territory_id", "rep_id", "bucket"], columns="kind", values="n", aggfunc="sum", fill_value=0
        ).reset_index()
    kinds = [k for k in ("call", "meeting", "email") if k in activities.columns]
    acts = by_window(activities, kinds, only_periods=True) if kinds else None
    for kind, key in (("call", "calls"), ("meeting", "meetings"), ("email", "emails")):
        counts = acts.take(kind) if acts is not None and kind in kinds else np.zeros(len(grid))
        put(key, np.where(no_activities, np.nan, counts))

    # --- surveys -----------------------------------------------------------------------------------
    surveys = facts.surveys
    csat = by_window(surveys[surveys["kind"] == "csat"], ["n", "good"], only_periods=True)
    nps = by_window(surveys[surveys["kind"] == "nps"], ["n", "promoters", "detractors"], only_periods=True)
    csat_n, good = csat.take("n"), csat.take("good")
    low, high = wilson(good, csat_n)
    put("csat", ratio(good, csat_n), n=csat_n, low=low, high=high)
    nps_n, promoters, detractors = nps.take("n"), nps.take("promoters"), nps.take("detractors")
    low, high = nps_interval(promoters, detractors, nps_n)
    put("nps", 100 * ratio(promoters - detractors, nps_n), n=nps_n, low=low, high=high)

    # --- new customers, CAC ------------------------------------------------------------------------
    new = by_window(facts.first_won.assign(one=1), ["one"], only_periods=True)
    new_customers = new.take("one")
    put("new_customers", new_customers)
    expenses = facts.expenses.rename(columns={"month": "bucket"}).assign(rep_id=None, recorded=1)
    spent = by_window(expenses, ["cents", "recorded"], only_periods=True, rep_col=None)
    spend = spent.take("cents") / CENTS
    # No expense row for the scope in the period: expenses are not recorded there ("no data"); a row of 0.00 is 0.
    cac = np.where(spent.take("recorded") > 0, ratio(spend, new_customers), np.nan)
    put("cac", cac, n=new_customers)

    # --- customer activity: active, churn, retention, ARPU, CLV -------------------------------------
    start_days = [p.start - datetime.timedelta(days=1) for p in periods]
    end_days = [min(p.end, as_of) for p in periods]
    clv_start_days = [month_add(p.end.replace(day=1), -11) - datetime.timedelta(days=1) for p in periods]
    dates = sorted(set(start_days) | set(end_days) | set(clv_start_days))
    column = {d: i for i, d in enumerate(dates)}
    customers = facts.customers.reset_index(drop=True)
    matrix = active_matrix(customers, facts.customer_deals, dates)
    starts = matrix[:, [column[d] for d in start_days]]
    ends = matrix[:, [column[d] for d in end_days]]
    clv_starts = matrix[:, [column[d] for d in clv_start_days]]
    per_customer = {}
    for j, label in enumerate(labels):
        per_customer[f"S|{label}"] = starts[:, j]
        per_customer[f"E|{label}"] = ends[:, j]
        per_customer[f"C|{label}"] = starts[:, j] & ~ends[:, j]
        per_customer[f"WS|{label}"] = clv_starts[:, j]
        per_customer[f"WC|{label}"] = clv_starts[:, j] & ~ends[:, j]
    customer_frame = pd.concat(
        [customers[["territory_id", "rep_id"]], pd.DataFrame(per_customer, dtype="int64")], axis=1
    )
    value_columns = list(per_customer)
    rolled = rollup(customer_frame.assign(bucket=0), ["bucket"], value_columns, index).set_index("scope")
    rolled = rolled.reindex(scope_list).fillna(0)

    def customer_take(prefix: str) -> np.ndarray:
        wide = rolled[[f"{prefix}|{label}" for label in labels]].to_numpy(dtype="float64")
        return wide.reshape(-1)  # grid order: scope-major, then period

    active_start, active_end, churned = customer_take("S"), customer_take("E"), customer_take("C")
    put("customers_active", active_end)
    churn = ratio(churned, active_start)
    low, high = wilson(churned, active_start)
    put("churn_rate", churn, n=active_start, low=low, high=high)
    put("retention_rate", 1 - churn, n=active_start, low=1 - high, high=1 - low)
    put("arpu", ratio(revenue, active_end), n=active_end)

    window_revenue = closed.take("won_cents", "W|") / CENTS
    won_customers = facts.won_customers
    month_index = won_customers["month"].map(lambda d: d.year * 12 + d.month - 1) if len(won_customers) else []
    by_scope = pd.concat(
        [
            won_customers.assign(
                month_index=month_index, territory_id=won_customers["territory_id"].astype("int64")
            ).merge(index.membership(), on="territory_id")[["scope", "customer_id", "month_index"]],
            won_customers.assign(month_index=month_index).merge(index.rep_scope_frame(), on="rep_id")[
                ["scope", "customer_id", "month_index"]
            ],
        ]
    ).drop_duplicates()
    end_months = {label: p.end.year * 12 + p.end.month - 1 for label, p in zip(labels, periods, strict=True)}
    distinct = distinct_in_windows(by_scope, 12, list(end_months.values())).set_index(["scope", "end"])["customers"]
    distinct_n = distinct.reindex(
        pd.MultiIndex.from_arrays([grid.get_level_values(0), [end_months[p] for p in grid.get_level_values(1)]])
    ).fillna(0).to_numpy(dtype="float64")  # fmt: skip
    window_churn = ratio(customer_take("WC"), customer_take("WS"))
    value_per_customer = ratio(window_revenue, distinct_n)
    clv = ratio(value_per_customer, np.where(window_churn > 0, window_churn, np.nan))
    put("clv", clv, n=distinct_n)
    put("clv_cac_ratio", ratio(clv, cac))

    # --- pipeline ------------------------------------------------------------------------------------
    pipeline_value, pipeline_n, pipeline_before = pipeline_open(facts, index, grid, periods, as_of, grain)
    put("pipeline_value", pipeline_value, n=pipeline_n)

    # --- funnel --------------------------------------------------------------------------------------
    funnel = funnel_reached(facts, index, period_map, grid)

    # --- like for like: the period in progress against the same elapsed days before ------------------
    to_date = to_date_comparisons(periods, as_of, index, grid, fiscal)
    for key, (previous_td, last_year_td) in to_date.items():
        extras = out[key]["extra"] or [None] * len(grid)
        out[key]["extra"] = [
            ({**(e or {}), "previous_to_date": p, "last_year_to_date": y} if not (np.isnan(p) and np.isnan(y)) else e)
            for e, p, y in zip(extras, previous_td, last_year_td, strict=True)
        ]
    if "revenue" in to_date:
        # Growth of the period in progress compares like with like, never a part-period with a whole one.
        previous_td, last_year_td = to_date["revenue"]
        in_progress = ~np.isnan(previous_td)
        growth, yoy = out["revenue_growth"]["value"], out["revenue_yoy"]["value"]
        growth[in_progress] = ratio(revenue - previous_td, previous_td)[in_progress]
        yoy[in_progress] = ratio(revenue - last_year_td, last_year_td)[in_progress]

    # --- targets, attainment, quota, team --------------------------------------------------------------
    # A target covers the whole period, also while the period is in progress (pace compares against it).
    month_map = pd.DataFrame(
        [(p.label, m) for p in periods for m in p.months if m >= p.start], columns=["window", "bucket"]
    )
    targets = targets_resolve(facts.targets, month_map, index)
    scope_order = list(dict.fromkeys(grid.get_level_values(0)))
    target_arrays: dict[str, np.ndarray] = {}
    if not targets.empty:
        scope_code = pd.Index(scope_order).get_indexer(targets["scope"])
        label_code = pd.Index(labels).get_indexer(targets["period"])
        for kpi, rows in targets.assign(s=scope_code, p=label_code).groupby("kpi"):
            rows = rows[(rows["s"] >= 0) & (rows["p"] >= 0)]
            array = np.full((len(scope_order), len(labels)), np.nan)
            array[rows["s"].to_numpy(), rows["p"].to_numpy()] = rows["target"].to_numpy(dtype="float64")
            target_arrays[kpi] = array.reshape(-1)

    def target_take(kpi: str) -> np.ndarray:
        return target_arrays[kpi] if kpi in target_arrays else np.full(len(grid), np.nan)

    revenue_target = target_take("revenue")
    put("quota_attainment", ratio(revenue, revenue_target))
    put("pipeline_coverage", ratio(pipeline_before, revenue_target))

    attained = rep_attainment(facts, period_map, month_map)
    at_quota = reps_at_quota(facts.reps, facts.assignments, periods, attained, index, as_of)
    at_quota = at_quota.set_index(["scope", "period"]).reindex(grid)
    with_target = at_quota["reps_with_target"].to_numpy(dtype="float64")
    put("reps_at_quota", ratio(at_quota["reps_at_quota"].to_numpy(dtype="float64"), with_target), n=with_target)
    team = turnover(facts.reps, facts.assignments, periods, as_of, index).set_index(["scope", "period"]).reindex(grid)
    headcount = (team["headcount_start"].fillna(0) + team["headcount_end"].fillna(0)).to_numpy() / 2
    put("rep_turnover_rate", ratio(team["leavers"].fillna(0).to_numpy(), headcount))

    table = kpi_table_assemble(out, grid, is_rep, target_take)
    return KpiResult(as_of, periods, table, funnel)


__all__ = ["KpiResult", "kpis_compute", "as_of_date"]
