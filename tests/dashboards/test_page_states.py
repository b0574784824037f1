"""Landing redirects, empty states, freshness banners and the period in progress."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from metrics.models import KpiRun, KpiSnapshot
from metrics.services.recompute import kpi_recompute
from tests.dashboards.html import card, text
from tests.factories import UserFactory, territory_create
from tests.helpers.worlds import login


@pytest.mark.parametrize(
    ("role", "location"),
    [("admin", "/company/"), ("manager_a", "/territories/na/"), ("manager_b", "/territories/emea/"), ("rep_a", "/me/")],
)
def test_home_sends_each_role_to_its_page(world, client, role, location):
    response = login(client, world[role]).get("/")
    assert (response.status_code, response["Location"]) == (302, location)


def test_manager_of_two_branches_gets_a_picker_and_of_nested_ones_the_outer(world, client):
    manager = world["manager_a"]
    world["tree"]["na-east"].managers.add(manager)  # inside na: still lands on na
    assert login(client, manager).get("/")["Location"] == "/territories/na/"
    world["tree"]["uk"].managers.add(manager)
    assert client.get("/")["Location"] == "/territories/"
    html = client.get("/territories/").content.decode()
    assert text(html, "ul", "class", "tree") == (
        "United Kingdom uk you manage it North America na you manage it NA East na-east you manage it NA West na-west"
    )


def test_user_without_a_role_is_told_what_to_ask_for(world, client):
    html = login(client, UserFactory(username="nobody")).get("/").content.decode()
    assert "Your account is not linked to a territory or a sales rep yet" in html
    assert client.get("/me/").status_code == 404


def test_login_then_role_redirect(world, client):
    response = client.post("/login/", {"username": "na-manager", "password": "pw-for-tests-1"}, follow=True)
    assert response.redirect_chain == [("/", 302), ("/territories/na/", 302)]
    assert response.status_code == 200


def test_new_install_explains_how_to_get_numbers(db, client, settings):
    admin = UserFactory(username="first-admin", is_staff=True)
    html = login(client, admin).get("/company/").content.decode()
    assert text(html, "div", "class", "freshness") == "No KPIs computed yet"
    assert text(html, "section", "class", "empty-state") == (
        "No KPIs have been computed yet The dashboards read KPI snapshots, and there are none. To fill them: "
        "Import your CRM data: Admin → Import runs → Upload, or python manage.py import_crm (for a demo company, "
        "python manage.py seed_demo). Compute the KPIs: python manage.py recompute_kpis. After that they are "
        "recomputed every night and after every import or target change."
    )
    assert "js-plot" not in html


def test_territory_with_no_deals_at_all(db, client):
    admin = UserFactory(username="first-admin", is_staff=True)
    territory_create("lonely", name="Lonely Land")
    UserFactory(username="other")
    kpi_recompute(as_of=datetime.date(2025, 12, 31))  # no facts: no periods, a run that succeeded
    html = login(client, admin).get("/territories/lonely/").content.decode()
    assert "No KPIs stored for 2025-Q4" in text(html, "section", "class", "empty-state")


def test_failed_recompute_shows_a_banner(computed, client):
    KpiRun.objects.create(kind="full", as_of=datetime.date(2025, 12, 31), status="failed",
                          error="OperationalError: the database went away", finished_at=timezone.now())  # fmt: skip
    html = login(client, computed["manager_a"]).get("/territories/na/").content.decode()
    assert text(html, "div", "class", "banner").startswith(
        "The last KPI recompute failed (OperationalError: the database went away). The numbers shown are those "
        "computed "
    )


def test_numbers_older_than_26_hours_show_a_banner(computed, client):
    old = timezone.now() - datetime.timedelta(hours=27)
    KpiRun.objects.update(finished_at=old)
    html = login(client, computed["rep_a"]).get("/me/").content.decode()
    assert text(html, "div", "class", "banner") == (
        f"The numbers were computed {old:%Y-%m-%d %H:%M} UTC, more than 26 hours ago: the nightly recompute may "
        "not be running. An administrator can run it with `python manage.py recompute_kpis`."
    )
    KpiRun.objects.update(finished_at=timezone.now() - datetime.timedelta(hours=25))
    assert 'class="banner' not in client.get("/me/").content.decode()


def test_period_in_progress_shows_pace_and_compares_like_with_like(world, client, settings):
    """Rendering of a period in progress, from snapshots written by hand (as of 15 November 2025).

    46 of Q4's 92 days have passed: half the 10,000 target, 5,000, is expected by now; revenue so far is
    2,500 against 1,000 in Q3's first 46 days.
    """
    as_of = datetime.date(2025, 11, 15)
    settings.KPI_AS_OF = as_of
    run = KpiRun.objects.create(kind="full", as_of=as_of, status="succeeded", finished_at=timezone.now())
    q4 = {"period": "2025-Q4", "period_kind": "quarter", "period_start": datetime.date(2025, 10, 1),
          "period_end": datetime.date(2025, 12, 31), "computed_at": timezone.now(), "run": run}  # fmt: skip
    KpiSnapshot.objects.create(
        scope="territory:na-east",
        kpi="revenue",
        value=2500,
        n=2,
        target=10000,
        attainment=0.25,
        extra={"previous_to_date": 1000, "last_year_to_date": None},
        **q4,
    )
    KpiSnapshot.objects.create(scope="territory:na-east", kpi="deals_won", value=2, target=2, attainment=1.0,
                               extra={"previous_to_date": 1, "last_year_to_date": 0}, **q4)  # fmt: skip
    html = login(client, world["manager_a"]).get("/territories/na-east/").content.decode()
    assert "in progress, 15 Nov 2025 so far" in html
    assert card(html, "revenue") == (
        "Revenue USD 2,500.00 n = 2 Target USD 10,000.00 · 25.0% Behind pace: USD 5,000.00 expected by now "
        "+150.0% vs same days of 2025-Q3 no data vs same days of 2024-Q4 List the deals behind Revenue"
    )
    assert card(html, "deals_won").startswith("Deals won 2 Target 2 · 100.0% Ahead of pace: 1 expected by now "
                                              "+100.0% vs same days of 2025-Q3")  # fmt: skip
    assert "is in progress: amounts and counts are compared with the same number of elapsed days" in text(
        html, "p", "class", "note"
    )


def test_in_progress_target_is_the_whole_periods_target(world, client, settings):
    as_of = datetime.date(2025, 11, 15)
    settings.KPI_AS_OF = as_of
    settings.KPI_MIN_SAMPLE = 1
    kpi_recompute(as_of=as_of)
    html = login(client, world["manager_a"]).get("/territories/na-east/").content.decode()
    assert card(html, "revenue").startswith(
        "Revenue USD 2,500.00 n = 2 Target USD 10,000.00 · 25.0% Behind pace: USD 5,000.00 expected by now"
    )


def test_fiscal_periods_when_the_year_starts_in_july(world, client, settings):
    # FISCAL_YEAR_START_MONTH = 7: 2025-12-31 falls in fiscal 2026-Q2 (October to December 2025).
    settings.FISCAL_YEAR_START_MONTH = 7
    settings.KPI_MIN_SAMPLE = 1
    kpi_recompute(as_of=datetime.date(2025, 12, 31))
    html = login(client, world["manager_a"]).get("/territories/na-east/").content.decode()
    assert text(html, "h1", "") == "NA East 2026-Q2"
    assert "1 Oct 2025 – 31 Dec 2025" in html
    assert text(html, "p", "class", "fiscal") == (
        "Fiscal years start on 1 July and are named by the year they end in; quarters count from there."
    )
    assert card(html, "revenue").startswith(
        "Revenue USD 6,500.00 n = 3 Target USD 10,000.00 · 65.0% +550.0% vs 2026-Q1"
    )
    html = client.get("/territories/na-east/?period=2026").content.decode()
    # Fiscal 2026 so far: July to December 2025, Q3's 1,000 and Q4's 6,500.
    assert card(html, "revenue").startswith("Revenue USD 7,500.00")
