"""A small company for the API tests, built once per module, and clients for every kind of caller.

company > na (na-east, na-west), emea (uk)

- r-linked (login "rep-user") in na-east; r-west (no login) in na-west; r-uk (login "uk-rep-user") in uk.
- Logins: "boss" (superuser), "na-manager" (manages na), "emea-manager" (manages emea), the two reps,
  "nobody" (no role), and an API token for na-manager and for boss.
- Deals (all 2025):
  d-e1 na-east r-linked won 1000 created 01-10 closed 02-10
  d-e2 na-east r-linked won 3000 (refund 500) created 01-20 closed 03-05
  d-e3 na-east r-linked lost from proposal created 02-01 closed 03-15
  d-e4 na-east r-linked negotiation (open) created 03-01
  d-w1 na-west r-west won 2000 created 02-01 closed 04-10
  d-w2 na-west r-west lost created 04-01 closed 05-01
  d-u1 uk r-uk won 5000 created 01-05 closed 01-25
  d-u2 uk r-uk qualified (open) created 06-01
- Targets: na revenue 2025-Q1 = 12000 evenly; r-linked revenue 2025-01 = 2000.
- KPI snapshots recomputed as of 2025-12-31; one failed import run on record.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from metrics.models import KpiRun
from metrics.services.recompute import kpi_recompute
from metrics.services.targets import target_input_clean, target_scope_parse, targets_set
from sales.models import ImportRun
from tests.factories import AssignmentFactory, DealFactory, SalesRepFactory, UserFactory, territory_create

AS_OF = datetime.date(2025, 12, 31)
D = datetime.date

ROLES = ("admin", "manager", "other_manager", "rep", "other_rep", "nobody", "anonymous", "token")


@dataclass
class World:
    users: dict
    tokens: dict[str, str]
    territories: dict
    reps: dict
    deals: dict
    run: KpiRun
    import_run: ImportRun


def _deal(code: str, territory, owner, stage: str, amount: str, created, closed=None, **extra):
    return DealFactory(
        external_id=code,
        territory=territory,
        owner=owner,
        stage=stage,
        amount=Decimal(amount),
        created_on=created,
        closed_on=closed,
        **extra,
    )


def world_build() -> World:
    """Create the company described in this module's docstring (committed: call with the DB unblocked)."""
    na = territory_create("na", name="North America")
    emea = territory_create("emea", name="EMEA")
    t = {
        "na": na,
        "emea": emea,
        "na-east": territory_create("na-east", parent=na, name="NA East"),
        "na-west": territory_create("na-west", parent=na, name="NA West"),
        "uk": territory_create("uk", parent=emea, name="United Kingdom"),
    }
    users = {
        "admin": UserFactory(username="boss", is_staff=True, is_superuser=True),
        "manager": UserFactory(username="na-manager"),
        "other_manager": UserFactory(username="emea-manager"),
        "rep": UserFactory(username="rep-user"),
        "other_rep": UserFactory(username="uk-rep-user"),
        "nobody": UserFactory(username="nobody"),
    }
    t["na"].managers.add(users["manager"])
    t["emea"].managers.add(users["other_manager"])
    reps = {
        "r-linked": SalesRepFactory(external_id="r-linked", name="Linked Rep", user=users["rep"]),
        "r-west": SalesRepFactory(external_id="r-west", name="West Rep"),
        "r-uk": SalesRepFactory(external_id="r-uk", name="UK Rep", user=users["other_rep"]),
    }
    AssignmentFactory(rep=reps["r-linked"], territory=t["na-east"], start_date=D(2024, 1, 1))
    AssignmentFactory(rep=reps["r-west"], territory=t["na-west"], start_date=D(2024, 1, 1))
    AssignmentFactory(rep=reps["r-uk"], territory=t["uk"], start_date=D(2024, 1, 1))
    east, west, uk = t["na-east"], t["na-west"], t["uk"]
    linked, rwest, ruk = reps["r-linked"], reps["r-west"], reps["r-uk"]
    deals = {
        d.external_id: d
        for d in [
            _deal("d-e1", east, linked, "won", "1000", D(2025, 1, 10), D(2025, 2, 10)),
            _deal("d-e2", east, linked, "won", "3000", D(2025, 1, 20), D(2025, 3, 5), refunded_amount=Decimal(500)),
            _deal("d-e3", east, linked, "lost", "700", D(2025, 2, 1), D(2025, 3, 15), lost_from_stage="proposal"),
            _deal("d-e4", east, linked, "negotiation", "900", D(2025, 3, 1)),
            _deal("d-w1", west, rwest, "won", "2000", D(2025, 2, 1), D(2025, 4, 10)),
            _deal("d-w2", west, rwest, "lost", "400", D(2025, 4, 1), D(2025, 5, 1)),
            _deal("d-u1", uk, ruk, "won", "5000", D(2025, 1, 5), D(2025, 1, 25)),
            _deal("d-u2", uk, ruk, "qualified", "800", D(2025, 6, 1)),
        ]
    }
    for scope, period, value in [("territory:na", "2025-Q1", "12000"), ("rep:r-linked", "2025-01", "2000")]:
        entry = target_input_clean(scope=target_scope_parse(scope), kpi="revenue", period=period, value=value)
        targets_set(entry=entry, user=users["admin"])
    run = kpi_recompute(reason="api tests", as_of=AS_OF)
    import_run = ImportRun.objects.create(
        started_at=timezone.now(),
        finished_at=timezone.now(),
        source="command",
        format="generic",
        status=ImportRun.Status.FAILED,
        error_count=3,
        errors=[
            "deals.csv:3: amount: 'ten' is not a number",
            "deals.csv:4: the database refused the import, nothing was written: boom",
            "(import): no file to import; expected some of territories.csv",
        ],
        warnings=["reps.csv: colour: unknown column (ignored)"],
    )
    tokens = {
        "token": Token.objects.create(user=users["manager"]).key,
        "admin_token": Token.objects.create(user=users["admin"]).key,
    }
    return World(users, tokens, t, reps, deals, run, import_run)


def client_for(world: World, role: str) -> APIClient:
    """A client signed in as ``role``: a session for the people, a token for "token" (na-manager's token)."""
    client = APIClient()
    if role == "token":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens['token']}")
    elif role == "admin_token":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens['admin_token']}")
    elif role != "anonymous":
        client.force_login(world.users[role])
    return client
