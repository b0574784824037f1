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


def _landing(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    return response["Location"]


def test_each_role_lands_on_its_own_page(client, tree, admin_user, manager_user, rep_user):
    assert _landing(client, admin_user) == reverse("dashboard", args=["company"])
    assert _landing(client, manager_user) == reverse("dashboard", args=["territories/na"])
    assert _landing(client, rep_user[0]) == reverse("my_scorecard")


def test_manager_of_two_branches_gets_a_picker(client, tree, manager_user):
    tree["uk"].managers.add(manager_user)
    assert _landing(client, manager_user) == reverse("territory_picker")


def test_user_with_no_role_is_told_what_to_ask_for(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    page = client.get(reverse("home")).content.decode()
    assert "not linked to a territory or a sales rep" in page


def test_logout_needs_post_and_ends_the_session(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
