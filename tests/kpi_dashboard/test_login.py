"""Login, logout and the landing page for every role."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_page_renders_and_rejects_a_wrong_password(client, admin_user):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "boss", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.parametrize(
    ("fixture", "expected", "absent"),
    [
        ("admin_user", ["You are an administrator", "NA East", "United Kingdom"], []),
        ("manager_user", ["Territories you can see", "NA East", "NA West"], ["United Kingdom", "EMEA"]),
    ],
)
def test_landing_page_shows_what_the_role_may_see(client, request, tree, fixture, expected, absent):
    user = request.getfixturevalue(fixture)
    assert client.login(username=user.username, password="pw-for-tests-1")
    page = client.get(reverse("home")).content.decode()
    for text in expected:
        assert text in page
    for text in absent:
        assert text not in page


def test_rep_lands_on_their_own_record_only(client, rep_user, tree):
    user, rep = rep_user
    assert client.login(username=user.username, password="pw-for-tests-1")
    page = client.get(reverse("home")).content.decode()
    assert "Your scorecard" in page and "Linked Rep" in page
    assert "NA East" not in page


def test_logout_needs_post_and_ends_the_session(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
