"""Hostile next targets and credentials on the site's and the admin's login forms."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils.html import escape

from tests.factories import UserFactory
from tests.helpers.hostile import HOSTILE, assert_no_raw_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("as_of")]

UNSAFE_NEXT = [
    "https://evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "https:evil.example", " https://evil.example", "javascript:alert(1)", "https://evil.example@testserver/",
    "http://testserver@evil.example/",
]  # fmt: skip
PASSWORD = "pw-for-tests-1"


@pytest.fixture
def staff_login(db):
    """A superuser whose password was hashed with the tests' hasher (the module's users were not)."""
    return UserFactory(username="door", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(("login_url", "signed_in"), [("/login/", "/"), ("/admin/login/", "/admin/")])
def test_login_never_redirects_off_site(company, staff_login, login_url, signed_in):
    user = staff_login
    for index, target in enumerate(UNSAFE_NEXT):
        client = Client()
        form = client.get(login_url, {"next": target})
        assert form.status_code == 200
        assert 'name="next" value=""' in form.content.decode()  # the unsafe target is not even offered
        done = client.post(
            login_url, {"username": user.username, "password": PASSWORD, "next": target}, REMOTE_ADDR=f"10.0.0.{index}"
        )
        assert (done.status_code, done["Location"]) == (302, "/"), target  # LOGIN_REDIRECT_URL instead
        again = client.get(login_url, {"next": target})  # signed in: sent on, and still not off site
        assert (again.status_code, again["Location"]) == (302, signed_in), target
    client = Client()
    local = client.post(login_url, {"username": user.username, "password": PASSWORD, "next": "/company/"})
    assert local["Location"] == "/company/"
    crlf = Client().post(login_url, {"username": user.username, "password": PASSWORD, "next": "/\r\nSet-Cookie: x=1"})
    assert crlf["Location"] == "/%0D%0ASet-Cookie:%20x=1"  # percent-encoded: no header injection


def login_field_error(field: str, value: str) -> str | None:
    """The error a login form shows on ``field`` before anyone is looked up, or None."""
    if field == "username" and len(value) > 150:
        return f"Ensure this value has at most 150 characters (it has {len(value)})."
    return "Null characters are not allowed." if "\x00" in value else None


@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_hostile_credentials_re_render_the_login_form(company, staff_login, login_url):
    wrong = (
        "Please enter the correct username and password for a staff account. Note that both fields may be "
        "case-sensitive."
        if login_url.startswith("/admin/")
        else "Please enter a correct username and password. Note that both fields may be case-sensitive."
    )
    for field in ("username", "password"):
        for index, value in enumerate(HOSTILE.values()):
            client = Client()
            data = {"username": staff_login.username, "password": PASSWORD, field: value}
            attempts = AccessAttempt.objects.count()
            response = client.post(login_url, data, REMOTE_ADDR=f"10.1.{len(field)}.{index}")
            assert response.status_code == 200, (field, value[:20])
            html = response.content.decode()
            error = login_field_error(field, value)
            if error:  # refused by the form: axes is not even asked
                assert response.context["form"].errors == {field: [error]}
                assert escape(error) in html
                assert AccessAttempt.objects.count() == attempts
            else:
                assert response.context["form"].errors == {"__all__": [wrong]}
                assert AccessAttempt.objects.count() == attempts + 1
            assert "_auth_user_id" not in client.session
            assert_no_raw_payload(response)
