"""Who sees what: roles and the scoping selectors (default deny)."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.access import (
    Role,
    rep_ids_visible_to,
    territories_visible_to,
    user_can_see_rep,
    user_can_see_territory,
    user_role,
)
from tests.factories import AssignmentFactory, SalesRepFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree, admin_user, manager_user, rep_user):
    user, linked = rep_user
    AssignmentFactory(rep=linked, territory=tree["na-east"], start_date=datetime.date(2024, 1, 1))
    uk_rep = SalesRepFactory(external_id="r-uk")
    AssignmentFactory(rep=uk_rep, territory=tree["uk"])
    return {"admin": admin_user, "manager": manager_user, "rep": user, "linked": linked, "uk_rep": uk_rep}


def codes(user):
    return set(territories_visible_to(user=user).values_list("code", flat=True))


def test_roles(people):
    assert user_role(people["admin"]) is Role.ADMIN
    assert user_role(people["manager"]) is Role.MANAGER
    assert user_role(people["rep"]) is Role.REP
    assert user_role(UserFactory(username="nobody")) is Role.NONE
    assert user_role(AnonymousUser()) is Role.NONE
    inactive = UserFactory(username="gone", is_staff=True, is_active=False)
    assert user_role(inactive) is Role.NONE


def test_admin_sees_everything(people):
    assert codes(people["admin"]) == {"na", "na-east", "na-west", "emea", "uk"}
    assert rep_ids_visible_to(user=people["admin"]) == {people["linked"].pk, people["uk_rep"].pk}


def test_manager_sees_the_subtree_and_its_reps_only(people, tree):
    assert codes(people["manager"]) == {"na", "na-east", "na-west"}
    assert rep_ids_visible_to(user=people["manager"]) == {people["linked"].pk}
    assert user_can_see_territory(user=people["manager"], territory_id=tree["na-west"].pk)
    assert not user_can_see_territory(user=people["manager"], territory_id=tree["uk"].pk)
    assert not user_can_see_rep(user=people["manager"], rep_id=people["uk_rep"].pk)


def test_manager_of_two_branches_sees_their_union(people, tree):
    tree["uk"].managers.add(people["manager"])
    assert codes(people["manager"]) == {"na", "na-east", "na-west", "uk"}
    assert rep_ids_visible_to(user=people["manager"]) == {people["linked"].pk, people["uk_rep"].pk}


def test_rep_sees_only_their_own_scorecard(people, tree):
    assert codes(people["rep"]) == set()
    assert rep_ids_visible_to(user=people["rep"]) == {people["linked"].pk}
    assert not user_can_see_rep(user=people["rep"], rep_id=people["uk_rep"].pk)


def test_unlinked_user_sees_nothing(people):
    nobody = UserFactory(username="nobody")
    assert codes(nobody) == set()
    assert rep_ids_visible_to(user=nobody) == set()


def test_scope_keys_and_facts_follow_the_same_rules(people, tree):
    from accounts.access import customers_visible_to, deals_visible_to, scope_keys_visible_to, user_can_see_scope
    from tests.factories import CustomerFactory, DealFactory

    east_deal = DealFactory(owner=people["linked"], territory=tree["na-east"])
    uk_deal = DealFactory(owner=people["uk_rep"], territory=tree["uk"])
    CustomerFactory(external_id="c-na", territory=tree["na-west"], owner=people["uk_rep"])
    CustomerFactory(external_id="c-uk", territory=tree["uk"], owner=people["linked"])

    assert scope_keys_visible_to(user=people["admin"]) is None
    assert scope_keys_visible_to(user=people["manager"]) == {
        "territory:na",
        "territory:na-east",
        "territory:na-west",
        "rep:r-linked",
    }
    assert scope_keys_visible_to(user=people["rep"]) == {"rep:r-linked"}
    assert user_can_see_scope(user=people["admin"], scope="company")
    assert not user_can_see_scope(user=people["manager"], scope="company")
    assert user_can_see_scope(user=people["manager"], scope="territory:na-west")
    assert not user_can_see_scope(user=people["manager"], scope="rep:r-uk")
    assert not user_can_see_scope(user=people["rep"], scope="territory:na-east")

    assert set(deals_visible_to(user=people["admin"])) == {east_deal, uk_deal}
    assert set(deals_visible_to(user=people["manager"])) == {east_deal}
    assert set(deals_visible_to(user=people["rep"])) == {east_deal}
    assert not deals_visible_to(user=UserFactory(username="nobody")).exists()
    assert set(customers_visible_to(user=people["manager"]).values_list("external_id", flat=True)) == {"c-na"}
    assert set(customers_visible_to(user=people["rep"]).values_list("external_id", flat=True)) == {"c-uk"}
