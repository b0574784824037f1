"""Hostile admin change list parameters, autocomplete searches and values in admin URL paths."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver, reverse

from territories.models import Territory
from tests.helpers.hostile import HOSTILE, assert_no_raw_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("as_of")]

NUL_REASON = "which no text in the database holds."
ADMIN_VALUES = {
    "NUL": "a\x00b",
    "10^30": HOSTILE["10^30"],
    "superscript two": "\u00b2",  # str.isdigit() says yes, int() says no
    "payload": "'; DROP TABLE metrics_target; --<script>alert(1)</script>",
}


def admin_changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    ]


def test_the_admin_registry_is_walked():
    urls = set(admin_changelists())
    assert len(urls) == 28
    assert {"/admin/territories/territory/", "/admin/metrics/target/", "/admin/sales/importrun/"} <= urls


def test_hostile_change_list_parameters_answer_400_or_the_admins_own_fallback(company, admin_client):
    for url in admin_changelists():
        changelist = admin_client.get(url).context["cl"]
        names = ["q", "o", "p"] + [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
        if changelist.date_hierarchy:
            names += [f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day")]
        for name in names:
            for label, value in ADMIN_VALUES.items():
                response = admin_client.get(url, {name: value})
                if "\x00" in value:
                    message = f"The query parameter {name!r} contains a NUL character, {NUL_REASON}"
                elif re.search(r"__(year|month|day)$", name) and not re.fullmatch("[0-9]{1,4}", value):
                    message = f"The query parameter {name!r} is not a year, month or day: {value[:40]!r}."
                else:  # shown filtered, or Django's own answer to a lookup it cannot make: back to ?e=1
                    assert response.status_code in (200, 302), (url, name, label)
                    if response.status_code == 302:
                        assert response["Location"] == f"{url}?e=1", (url, name, label)
                    assert_no_raw_payload(response)
                    continue
                assert response.status_code == 400, (url, name, label)
                assert response["Content-Type"] == "text/plain; charset=utf-8"
                assert response.content.decode() == message


def autocomplete_fields() -> list[tuple[object, str]]:
    """(model admin or inline, field name) of every autocomplete field of the admin."""
    found = []
    request = RequestFactory().get("/")
    for model_admin in admin.site._registry.values():
        for owner in [model_admin, *(inline(model_admin.model, admin.site) for inline in model_admin.inlines)]:
            found += [(owner, name) for name in owner.get_autocomplete_fields(request)]
    return found


def test_autocomplete_searches_refuse_nul_and_find_nothing_for_payloads(company, admin_client):
    fields = autocomplete_fields()
    assert len(fields) == 18
    for owner, name in fields:
        meta = owner.model._meta
        query = {"app_label": meta.app_label, "model_name": meta.model_name, "field_name": name}
        for value in HOSTILE.values():
            response = admin_client.get("/admin/autocomplete/", {**query, "term": value})
            if "\x00" in value:
                assert response.status_code == 400
                continue
            assert response.status_code == 200, (owner, name)
            found = response.json()
            assert found["pagination"] == {"more": False}
            # Only what the text names ("-1" finds deal d-1); every payload finds nothing.
            assert all(value.lower() in row["text"].lower() for row in found["results"]), (owner, name, value[:20])
            if not re.fullmatch(r"-?[0-9]+", value):
                assert found["results"] == [], (owner, name, value[:20])


def test_every_autocomplete_field_re_renders_a_refused_value_instead_of_failing(company, rf):
    request = rf.post("/")
    request.user = company["admin"]
    for owner, name in autocomplete_fields():
        inline = isinstance(owner, admin.options.InlineModelAdmin)
        form_class = owner.get_formset(request).form if inline else owner.get_form(request)
        many = form_class.base_fields[name].widget.widget.allow_multiple_selected
        for value in HOSTILE.values():
            form = form_class(data={name: [value] if many else value})
            assert not form.is_valid()
            assert form.errors[name] == [autocomplete_error(value, many=many)], (owner, name)
            html = str(form[name])  # Django's own widget failed here on text for an integer id
            assert f'name="{name}"' in html
            assert "<script>alert(1)" not in html


def autocomplete_error(value: str, *, many: bool) -> str:
    if "\x00" in value:
        return "Null characters are not allowed."
    if not many:
        return "Select a valid choice. That choice is not one of the available choices."
    try:
        int(value)
    except ValueError:
        return f"“{value}” is not a valid value."
    return f"Select a valid choice. {value} is not one of the available choices."


PATH_VALUES = {"NUL": "a\x00b", "10^30": HOSTILE["10^30"], "superscript two": "\u00b2", "SQL or": "' OR 1=1 --",
               "RTL override": "\u202eevil"}  # fmt: skip


def admin_routes() -> list[str]:
    """Every admin route with a parameter, as written in the URL conf (admin/…/<converter:name>/…)."""

    def walk(patterns, prefix: str):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif "<" in route and "(?P" not in route:
                yield route

    admin_resolver = next(e for e in get_resolver().url_patterns if str(e.pattern) == "admin/")
    return sorted(set(walk(admin_resolver.url_patterns, "/admin/")))


def test_hostile_values_in_every_admin_url_parameter_are_a_redirect_or_a_refusal(company, admin_client):
    routes = admin_routes()
    # Each model's change, delete, history and object redirect; a user's password; the tree's children; "view on site".
    assert len(routes) == 4 * 28 + 3
    for route in routes:
        for label, value in PATH_VALUES.items():
            response = admin_client.get(re.sub(r"<[^>]+>", quote(value, safe=""), route))
            # Django's admin sends an unknown object back to the list with a message; read-only admins refuse a
            # delete (403); the rest answer 404.
            assert response.status_code in (302, 403, 404), (route, label)
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/"), (route, label)


def test_tree_moves_naming_no_territory_are_refused_and_move_nothing(company, admin_client):
    na = company["tree"]["na"]
    paths = dict(Territory.objects.values_list("code", "path"))
    for value in PATH_VALUES.values():
        for node, target in ((value, na.pk), (na.pk, value)):
            response = admin_client.post(
                "/admin/territories/territory/move/", {"node": node, "target": target, "relation": "sorted-child"}
            )
            assert (response.status_code, response.content) == (400, b"Invalid form data provided")
    assert dict(Territory.objects.values_list("code", "path")) == paths
