"""Write the demo data set into an empty database (``manage.py seed_demo``).

``demo_data_seed`` checks, draws and writes in one transaction; the inserts
themselves are in ``sales.demo.writers``.
"""

from __future__ import annotations

import datetime
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import reset_queries, transaction

from metrics.services.recompute import facts_first_month, kpi_recompute_request
from reps.models import SalesRep
from sales.demo import plan
from sales.demo.facts import block_facts
from sales.demo.generate import rep_quota_plan, reps_plan, rng_for, territory_target_plan
from sales.demo.rows import Numbering
from sales.demo.selectors import DemoSeedError, DemoState, demo_data_check, demo_row_counts
from sales.demo.writers import (
    distributions_create,
    expenses_create,
    facts_write,
    products_create,
    reps_create,
    target_entries,
    targets_write,
    territories_create,
)

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

    def result(*, written: bool, logins: tuple[DemoLogin, ...], commit_seconds: float = 0.0) -> DemoSeedResult:
        return DemoSeedResult(
            written=written,
            scale=scale,
            seed=seed,
            reference_date=plan.REFERENCE_DATE,
            counts=demo_row_counts(),
            logins=logins,
            seconds=time.monotonic() - started,
            commit_seconds=commit_seconds,
        )

    if demo_data_check(scale=scale, seed=seed) is DemoState.PRESENT:
        say(f"The demo data set of --scale {scale} --seed {seed} is already there: nothing to write.")
        return result(written=False, logins=_logins())  # the seed made them, with the demo password
    if rep_quotas_in_bulk is None:
        rep_quotas_in_bulk = scale > SERVICE_QUOTAS_MAX_SCALE
    fiscal_start = settings.FISCAL_YEAR_START_MONTH

    with transaction.atomic():
        territories = territories_create()
        territory_ids = {code: t.pk for code, t in territories.items()}
        distributions = distributions_create()
        products_create()
        users, existed = _users_ensure(seed=seed)
        for manager in plan.MANAGERS:
            territories[manager.territory].managers.add(users[manager.username])
        say(f"territories, products, plans and logins ready ({len(territories)} territories)")

        reps = [rep for block in range(scale) for rep in reps_plan(seed=seed, block=block)]
        rep_objects = reps_create(reps, territories, users[plan.REP_USERNAME])
        say(f"{len(reps):,} reps and their territory assignments")

        lookups = {"reps": rep_objects, "territories": territories, "distributions": distributions}
        quotas = rep_quota_plan(reps=reps, fiscal_start_month=fiscal_start)
        targets_write(target_entries(quotas, **lookups), bulk=rep_quotas_in_bulk)
        territory_targets = territory_target_plan(reps=reps, fiscal_start_month=fiscal_start)
        targets_write(target_entries(territory_targets, **lookups), bulk=False)
        how = "in bulk" if rep_quotas_in_bulk else "through the target service"
        say(f"{len(quotas):,} rep quarter quotas ({how}) and {len(territory_targets)} territory targets")
        expenses = expenses_create(seed=seed, reps=reps, territories=territories)
        say(f"{expenses:,} monthly expenses")

        numbering = Numbering()
        for block in range(scale):
            block_reps = reps[block * plan.REPS_PER_BLOCK : (block + 1) * plan.REPS_PER_BLOCK]
            facts = block_facts(seed=seed, block=block, reps=block_reps, numbering=numbering)
            facts_write(facts, territory_ids)
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

    return result(written=True, logins=_logins(existed), commit_seconds=commit_seconds)
