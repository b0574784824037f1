import pytest

from tests.factories import SalesRepFactory, UserFactory, territory_create


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the local-memory one lives as long as the test process)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def tree(db):
    """company > na (na-east, na-west), emea (uk): a small territory tree."""
    na = territory_create("na", name="North America")
    emea = territory_create("emea", name="EMEA")
    return {
        "na": na,
        "emea": emea,
        "na-east": territory_create("na-east", parent=na, name="NA East"),
        "na-west": territory_create("na-west", parent=na, name="NA West"),
        "uk": territory_create("uk", parent=emea, name="United Kingdom"),
    }


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def manager_user(tree):
    user = UserFactory(username="na-manager")
    tree["na"].managers.add(user)
    return user


@pytest.fixture
def rep_user(tree):
    user = UserFactory(username="rep-user")
    rep = SalesRepFactory(external_id="r-linked", name="Linked Rep", user=user)
    return user, rep
