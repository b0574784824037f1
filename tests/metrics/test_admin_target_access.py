"""Target admin pages are for staff only: other users are sent to the admin login."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.helpers.admin_targets import CHANGES, ENTRY, TARGETS

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin_client):
    return admin_client


@pytest.mark.parametrize("url", [ENTRY, TARGETS, CHANGES, reverse("admin:metrics_target_grid")])
def test_non_staff_users_are_sent_to_the_admin_login(client, url):
    client.logout()
    client.force_login(UserFactory(username="not-staff"))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"
