"""The Maven CRM export: the full public data set and a hand-written miniature."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, Sum

from reps.models import SalesRep
from sales.models import Customer, Deal, Product
from territories.models import Territory, TerritoryAssignment
from tests.sales.fixtures.importing import DATASETS, MAVEN, counts, db_counts, errors, run, warnings

pytestmark = pytest.mark.django_db

D = datetime.date
MAVEN_EXPORT = DATASETS / "maven-crm"


def test_full_maven_export(tmp_path):
    assert MAVEN_EXPORT.is_dir(), f"the Maven export is missing at {MAVEN_EXPORT}"
    result = run(MAVEN_EXPORT, format="maven")

    assert errors(result) == []
    assert warnings(result) == [
        "README.md: not a file of this format (ignored); its files are sales_teams.csv, products.csv, "
        "accounts.csv, sales_pipeline.csv",
        "accounts.csv: sector: 'technolgy' read as 'technology' (12 accounts)",
        "sales_pipeline.csv: product: 'GTXPro' is 'GTX Pro' in products.csv; read as 'GTX Pro' (1,480 deals)",
        "sales_pipeline.csv: engage_date: 500 Prospecting deals have no engage_date; kept with created_on unknown",
        "sales_pipeline.csv: account: 1,425 open deals have no account; kept with no customer",
        "sales_teams.csv: sales_agent: 5 agents have no deals; kept: Mei-Mei Johns, Elizabeth Anderson, "
        "Natalya Ivanova, Carol Thompson, Carl Lin",
    ]
    assert counts(result) == {
        "sales_teams.csv": {
            "territories": (3, 0, 0),
            "users": (6, 0, 0),
            "reps": (35, 0, 0),
            "assignments": (35, 0, 0),
        },
        "products.csv": {"products": (7, 0, 0)},
        "accounts.csv": {"customers": (85, 0, 0)},
        "sales_pipeline.csv": {"deals": (8800, 0, 0)},
    }

    # 3 top-level territories, each managed by its two managers (users without a password).
    offices = {
        t.code: (t.depth, sorted(u.username for u in t.managers.all()))
        for t in Territory.objects.prefetch_related("managers")
    }
    assert offices == {
        "central": (1, ["dustin-brinkmann", "melvin-marxen"]),
        "east": (1, ["cara-losch", "rocco-neubert"]),
        "west": (1, ["celia-rouche", "summer-sewald"]),
    }
    assert not any(u.has_usable_password() for u in get_user_model().objects.all())
    # 35 reps assigned to their office with no dates; 5 of them without deals.
    assert SalesRep.objects.count() == 35
    assert TerritoryAssignment.objects.filter(start_date=None, end_date=None).count() == 35
    assert SalesRep.objects.get(external_id="anna-snelling").assignments.get().territory.code == "central"
    assert sorted(SalesRep.objects.annotate(n=Count("deals")).filter(n=0).values_list("external_id", flat=True)) == [
        "carl-lin",
        "carol-thompson",
        "elizabeth-anderson",
        "mei-mei-johns",
        "natalya-ivanova",
    ]
    assert Customer.objects.count() == 85
    assert Customer.objects.filter(sector="technolgy").count() == 0
    assert Customer.objects.filter(sector="technology").count() == 12
    assert Product.objects.get(name="GTX Pro").list_price == Decimal("4821")

    # 8,800 deals; won at close_value, the others at their product's list price (sums worked out with awk).
    by_stage = {
        row["stage"]: (row["n"], row["total"])
        for row in Deal.objects.values("stage").annotate(n=Count("id"), total=Sum("amount"))
    }
    assert by_stage == {
        "won": (4238, Decimal("10005534.00")),
        "lost": (2473, Decimal("5946468.00")),
        "qualified": (1589, Decimal("3892229.00")),
        "lead": (500, Decimal("1073986.00")),
    }
    assert Deal.objects.filter(created_on=None).count() == 500
    assert Deal.objects.filter(customer=None).count() == 1425
    assert Deal.objects.filter(stage="lost", lost_from_stage="qualified").count() == 2473
    assert Deal.objects.filter(product="GTXPro").count() == 0

    def deal(external_id):
        return Deal.objects.filter(external_id=external_id).values_list(
            "owner__external_id",
            "territory__code",
            "customer__external_id",
            "stage",
            "lost_from_stage",
            "amount",
            "created_on",
            "closed_on",
            "product",
        )[0]

    assert deal("1C1I7A6R") == (
        "moses-frase", "central", "Cancity", "won", "", Decimal("1054"), D(2016, 10, 20), D(2017, 3, 1),
        "GTX Plus Basic",
    )  # fmt: skip
    assert deal("KWVA7VR1") == (
        "gladys-colclough", "central", "Genco Pura Olive Oil Company", "lost", "qualified", Decimal("4821"),
        D(2016, 11, 4), D(2017, 3, 18), "GTX Pro",
    )  # fmt: skip
    assert deal("HAXMC4IX") == (
        "james-ascencio", "west", None, "qualified", "", Decimal("3393"), D(2016, 11, 3), None, "MG Advanced",
    )  # fmt: skip
    assert deal("6CWZFOHJ") == (
        "anna-snelling", "central", "Green-Plus", "lead", "", Decimal("550"), None, None, "GTX Basic",
    )  # fmt: skip
    assert sorted(result.affected_months)[0] == D(2016, 10, 1)
    assert sorted(result.affected_months)[-1] == D(2017, 12, 1)

    # Importing the same export again changes nothing.
    before = db_counts()
    again = run(MAVEN_EXPORT, format="maven")
    assert again.totals().created == 0 and again.totals().updated == 0
    assert again.totals().unchanged == 3 + 6 + 35 + 35 + 7 + 85 + 8800
    assert db_counts() == before


def test_customer_takes_territory_and_owner_of_its_first_won_deal_else_its_first_deal():
    result = run(MAVEN, format="maven")
    assert errors(result) == []
    # Acme: two won deals closed the same day -> the smaller external id (OPP001, Anna, Central).
    # Betatech: no won deal -> its earliest created deal (OPP004, Moses, Central).
    assert sorted(Customer.objects.values_list("external_id", "territory__code", "owner__external_id", "sector")) == [
        ("Acme Corporation", "central", "anna-snelling", "technology"),
        ("Betatech", "central", "moses-frase", "medical"),
    ]
    assert sorted(Deal.objects.values_list("external_id", "territory__code", "customer__external_id")) == [
        ("OPP001", "central", "Acme Corporation"),
        ("OPP002", "west", "Acme Corporation"),
        ("OPP003", "central", "Betatech"),
        ("OPP004", "central", "Betatech"),
        ("OPP005", "central", None),
    ]
    assert warnings(result) == [
        "accounts.csv: sector: 'technolgy' read as 'technology' (1 account)",
        "sales_pipeline.csv: product: 'GTXPro' is 'GTX Pro' in products.csv; read as 'GTX Pro' (1 deal)",
        "sales_pipeline.csv: engage_date: 1 Prospecting deal has no engage_date; kept with created_on unknown",
        "sales_pipeline.csv: account: 1 open deal has no account; kept with no customer",
        "sales_teams.csv: sales_agent: 1 agent has no deals; kept: Idle Agent",
    ]


def test_maven_errors_name_the_maven_columns(tmp_path):
    folder = tmp_path / "maven"
    folder.mkdir()
    for name in ("sales_teams.csv", "products.csv", "accounts.csv"):
        (folder / name).write_bytes((MAVEN / name).read_bytes())
    (folder / "sales_pipeline.csv").write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "X1,Nobody Here,GTX Pro,Betatech,Won,2017-01-05,2017-02-01,10\n"
        "X2,Zane Levy,GTX Pro,Nowhere Inc,Won,2017-01-05,2017-02-01,10\n"
        "X3,Zane Levy,GTX Pro,Betatech,Closed,2017-01-05,2017-02-01,10\n"
        "X4,Zane Levy,Unknown Box,Betatech,Lost,2017-01-05,2017-02-01,0\n"
        "X5,Zane Levy,GTX Pro,Betatech,Won,2017-01-05,,10\n"
        "X6,Zane Levy,GTX Pro,Betatech,Won,2017-01-05,2017-02-01,\n"
        "X6,Zane Levy,GTX Pro,Betatech,Engaging,2017-01-05,,\n"
    )
    before = db_counts()
    result = run(folder, format="maven")
    assert errors(result) == [
        "sales_pipeline.csv:2: sales_agent: unknown sales agent 'Nobody Here' (not in sales_teams.csv)",
        "sales_pipeline.csv:3: account: unknown account 'Nowhere Inc' (not in accounts.csv)",
        "sales_pipeline.csv:4: deal_stage: unknown stage 'Closed' (expected Prospecting, Engaging, Won or Lost)",
        "sales_pipeline.csv:5: product: unknown product 'Unknown Box' (a lost or open deal's amount is its list price)",
        "sales_pipeline.csv:6: close_date: required for a closed (Won) deal",
        "sales_pipeline.csv:7: close_value: required value is missing",
        "sales_pipeline.csv:8: opportunity_id: duplicate external id 'X6' (first on line 7)",
    ]
    assert db_counts() == before
