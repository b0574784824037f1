"""Hostile query parameters on every page of the URL conf (the admin and the API aside)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape

from dashboards.converters import ScopeRef
from dashboards.page import BAD_INPUT_MESSAGE_MAX
from tests.helpers.hostile import HOSTILE, assert_no_raw_payload, period_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("as_of")]

LEADERBOARD_SORTS = "rank, name, territory, revenue, target, attainment, deals_won, win_rate"
DRILL_SORTS = "deal, customer, owner, territory, stage, created, closed, amount, refunded, net"
# url name → the query parameters the page reads. A page missing here fails the walk.
PAGE_READS: dict[str, tuple[str, ...]] = {
    "home": (), "healthz": (), "login": (), "logout": (),
    "dashboard": ("period",), "cards_csv": ("period",),
    "leaderboard": ("period", "sort", "page"), "leaderboard_csv": ("period",),
    "territory_picker": ("scope", "period"),
    "my_scorecard": ("period",), "scorecard": ("period",),
    "drill": ("period", "sort", "page"), "drill_csv": ("period", "sort"),
}  # fmt: skip
# What each page answers when nothing is wrong (signed in as an admin; /me/ as a rep).
PAGE_STATUS = {"home": 302, "login": 302, "logout": 405}


def page_routes() -> list[tuple[str, str | None, tuple[str, ...]]]:
    """(url name, kind of scope, its URL parameters) of every page of the URL conf, once per kind of scope the page
    takes (the admin and the API have their own walks)."""

    def walk(resolver: URLResolver, prefix: str = ""):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if route.lstrip("^").startswith(("admin/", "api/")):
                continue
            if isinstance(entry, URLResolver):
                yield from walk(entry, route)
            elif isinstance(entry, URLPattern):
                yield entry.name, entry.pattern.converters

    routes = []
    for name, converters in walk(get_resolver()):
        kinds = getattr(converters.get("scope"), "kinds", (None,))
        routes.extend((name, kind, tuple(converters)) for kind in kinds)
    return routes


def bad_page(response, field: str, message: str) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    if len(message) > BAD_INPUT_MESSAGE_MAX:  # the quote of a refused megabyte is cut, not sent back
        message = message[: BAD_INPUT_MESSAGE_MAX - 1] + "…"
        assert len(response.content) < 16 * BAD_INPUT_MESSAGE_MAX
    assert f"The <code>{field}</code> parameter is wrong: {escape(message)}</p>" in html
    assert_no_raw_payload(response)


def test_every_page_is_walked():
    assert {name for name, _, _ in page_routes()} == set(PAGE_READS)


def test_hostile_query_parameters_on_every_page_get_a_4xx_naming_them_or_a_fallback(company):
    client = Client()
    scopes = {"company": ScopeRef("company"), "territory": ScopeRef("territory", "na"),
              "rep": ScopeRef("rep", company["ana"].pk)}  # fmt: skip
    for name, kind, params in page_routes():
        user = company["rep_a"] if name == "my_scorecard" else company["admin"]
        client.force_login(user)
        kwargs = {"scope": scopes.get(kind), "pk": company["ana"].pk, "kpi": "revenue"}
        url = reverse(name, kwargs={p: kwargs[p] for p in params})
        ok = PAGE_STATUS.get(name, 200)
        reads = PAGE_READS[name]
        for value in HOSTILE.values():
            text = value.strip()
            if not reads:  # a page without parameters ignores them
                assert client.get(url, {"period": value, "sort": value}).status_code == ok, name
            if "period" in reads and name != "territory_picker":
                bad_page(client.get(url, {"period": value}), "period", period_error(text))
            if "sort" in reads:
                columns = LEADERBOARD_SORTS if "leaderboard" in name else DRILL_SORTS
                message = f"{text!r} is not a column; sort by one of {columns}"
                bad_page(client.get(url, {"sort": value}), "sort", message)
            if "page" in reads:  # Django's paginator falls back to the first (or the last) page
                response = client.get(url, {"page": value})
                assert response.status_code == 200
                assert (response.context["page"].number, response.context["page"].paginator.num_pages) == (1, 1)
                assert_no_raw_payload(response)
            if "scope" in reads:
                assert client.get(url, {"scope": value}).status_code == 404
                moved = client.get(url, {"scope": "company", "period": value})
                location = f"/company/?{urlencode({'period': text})}"
                if len(location) > 2048:  # Django refuses to redirect that far (DisallowedRedirect)
                    assert moved.status_code == 400
                else:
                    assert (moved.status_code, moved["Location"]) == (302, location)


@pytest.mark.parametrize(("period", "status"), [
    ("0001", 400), ("0001-Q1", 400), ("0001-01", 400), ("9999", 400), ("9999-Q4", 400), ("9999-12", 400),
    ("0002-01", 200), ("9998-12", 200), ("9998-Q4", 200),
])  # fmt: skip
def test_periods_at_the_ends_of_the_calendar_are_refused_not_a_500(company, client, period, status):
    client.force_login(company["admin"])
    pages = ["/company/", "/company/leaderboard/", "/company/cards.csv", "/company/leaderboard.csv",
             f"/reps/{company['ana'].pk}/", "/company/drill/revenue/", "/company/drill/revenue.csv"]  # fmt: skip
    for page in pages:
        response = client.get(page, {"period": period})
        if status == 400:
            bad_page(response, "period", f"{period} is out of range: dashboards show the years 2 to 9998")
        else:
            assert response.status_code == 200, page
