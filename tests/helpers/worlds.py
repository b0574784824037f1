"""A small company with hand-countable numbers for the dashboard tests.

na (manager_a) > na-east (Ana Alpha r-a, Ben Beta r-a2), na-west;
emea (manager_b) > uk (Cara Gamma r-b). As of 2025-12-31, 2025-Q4:

- na-east: won 1,000 (10-10, Ana), 2,000 with 500 refunded (11-15, Ana), 4,000 (12-05, Ben, a new
  customer); lost from proposal (12-01, Ana); open negotiation 7,000 (created 12-10, Ben).
  2025-Q3: won 1,000 (08-01, Ana). Revenue Q4 = 6,500 against a target of 10,000 (65%).
- uk: won 800 (10-20, Cara), a new customer whose name starts with "=" (formula injection).
- rep targets Q4: Ana 2,000 (attains 125%), Ben 8,000 (50%); Cara none.
"""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from django.db import transaction
from django.test import override_settings

from metrics.services.recompute import kpi_recompute
from tests.factories import (
    AssignmentFactory,
    CustomerFactory,
    DealFactory,
    SalesRepFactory,
    TargetFactory,
    UserFactory,
    territory_create,
)

AS_OF = datetime.date(2025, 12, 31)
ROLES = ("admin", "manager_a", "manager_b", "rep_a", "rep_b", "anonymous")


def day(month: int, d: int, year: int = 2025) -> datetime.date:
    return datetime.date(year, month, d)


def month_targets(*, kpi: str = "revenue", values: dict[int, str], **scope) -> None:
    """Month targets of 2025 (month number → value) for a territory or rep."""
    for month, value in values.items():
        TargetFactory(kpi=kpi, month=day(month, 1), value=Decimal(value), **scope)


def world_build() -> dict:
    """Write the company described in the module docstring; return its users, reps and territories."""
    na = territory_create("na", name="North America")
    emea = territory_create("emea", name="EMEA")
    tree = {
        "na": na, "emea": emea, "na-east": territory_create("na-east", parent=na, name="NA East"),
        "na-west": territory_create("na-west", parent=na, name="NA West"),
        "uk": territory_create("uk", parent=emea, name="United Kingdom"),
    }  # fmt: skip
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    manager_a, manager_b = UserFactory(username="na-manager"), UserFactory(username="emea-manager")
    tree["na"].managers.add(manager_a)
    tree["emea"].managers.add(manager_b)
    user_a, user_b = UserFactory(username="rep-a"), UserFactory(username="rep-b")
    ana = SalesRepFactory(external_id="r-a", name="Ana Alpha", user=user_a)
    ben = SalesRepFactory(external_id="r-a2", name="Ben Beta")
    cara = SalesRepFactory(external_id="r-b", name="Cara Gamma", user=user_b)
    AssignmentFactory(rep=ana, territory=tree["na-east"], start_date=day(1, 1, 2024))
    AssignmentFactory(rep=ben, territory=tree["na-east"], start_date=day(1, 1, 2024))
    AssignmentFactory(rep=cara, territory=tree["uk"], start_date=day(1, 1, 2024))
    old = CustomerFactory(external_id="c-old", name="Old Client", territory=tree["na-east"], owner=ana)
    fresh = CustomerFactory(external_id="c-new", name="Fresh Co", territory=tree["na-east"], owner=ben)
    risky = CustomerFactory(external_id="c-eq", name='=HYPERLINK("http://x")', territory=tree["uk"], owner=cara)
    east, uk = tree["na-east"], tree["uk"]

    def deal(external_id, owner, territory, stage, amount, created, closed=None, **extra):
        return DealFactory(external_id=external_id, owner=owner, territory=territory, stage=stage,
                           amount=Decimal(amount), created_on=created, closed_on=closed, **extra)  # fmt: skip

    deal("d-q3", ana, east, "won", "1000", day(7, 1), day(8, 1), customer=old)
    deal("d-1", ana, east, "won", "1000", day(10, 1), day(10, 10), customer=old)
    deal("d-2", ana, east, "won", "2000", day(11, 1), day(11, 15), customer=old, refunded_amount=Decimal("500"))
    deal("d-3", ana, east, "lost", "3000", day(11, 20), day(12, 1), lost_from_stage="proposal")
    deal("d-4", ben, east, "won", "4000", day(12, 1), day(12, 5), customer=fresh)
    deal("d-5", ben, east, "negotiation", "7000", day(12, 10))
    deal("d-6", cara, uk, "won", "800", day(9, 25), day(10, 20), customer=risky)
    month_targets(values={10: "3000", 11: "3000", 12: "4000"}, territory=east)
    month_targets(values={10: "500", 11: "500", 12: "1000"}, rep=ana)
    month_targets(values={10: "2000", 11: "3000", 12: "3000"}, rep=ben)
    return {
        "tree": tree, "admin": admin, "manager_a": manager_a, "manager_b": manager_b,
        "rep_a": user_a, "rep_b": user_b, "ana": ana, "ben": ben, "cara": cara,
    }  # fmt: skip


def world_compute() -> None:
    """Recompute the snapshots as of 2025-12-31 with a minimum sample of 1, so the tiny reps can be ranked."""
    with override_settings(KPI_MIN_SAMPLE=1, KPI_AS_OF=AS_OF):
        kpi_recompute(as_of=AS_OF, reason="test")


@contextlib.contextmanager
def world_held(django_db_blocker, change=None):
    """The company with its snapshots, in a transaction held open, then rolled back.

    ``change(built)`` edits the company before the snapshots are computed. Tests run
    in savepoints inside the transaction (pytest-django's own), so nothing leaks out.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        built = world_build()
        if change is not None:
            change(built)
        world_compute()
        yield built
        transaction.set_rollback(True)


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client
