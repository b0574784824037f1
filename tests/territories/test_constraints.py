"""Tree and assignment integrity, enforced by the database."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from treebeard.exceptions import InvalidMoveToDescendant

from territories.models import Territory, TerritoryAssignment
from tests.factories import AssignmentFactory, SalesRepFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def _tree_snapshot():
    return list(Territory.objects.order_by("path").values_list("code", "path", "depth", "numchild"))


def test_subtree_is_a_path_prefix(tree):
    na = tree["na"]
    codes = set(Territory.objects.filter(path__startswith=na.path).values_list("code", flat=True))
    assert codes == {"na", "na-east", "na-west"}
    assert Territory.objects.get_parent(tree["na-east"]).code == "na"


def test_moving_a_territory_under_its_own_descendant_is_refused(tree):
    before = _tree_snapshot()
    with pytest.raises(InvalidMoveToDescendant), transaction.atomic():
        Territory.objects.move(Territory.objects.get(code="na"), Territory.objects.get(code="na-east"), "sorted-child")
    assert _tree_snapshot() == before


def test_a_path_that_does_not_match_the_depth_is_refused(tree):
    # A hand-written row that claims to be at depth 1 but sits at depth 2 would
    # corrupt every subtree query; the check constraint refuses it.
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Territory.objects.create(code="bad", name="Bad", path="00010009", depth=1)
    assert "territory_path_matches_depth" in str(excinfo.value)
    assert not Territory.objects.filter(code="bad").exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((D(2024, 1, 1), D(2024, 6, 30)), (D(2024, 6, 30), D(2024, 12, 31))),  # shared last/first day
        ((D(2024, 1, 1), None), (D(2025, 1, 1), None)),  # open-ended first assignment
        ((None, D(2024, 6, 30)), (D(2024, 3, 1), D(2024, 3, 31))),  # since always
        ((D(2024, 1, 1), D(2024, 12, 31)), (D(2024, 5, 1), D(2024, 5, 31))),  # inside
    ],
)
def test_overlapping_assignments_of_one_rep_are_refused(tree, first, second):
    rep = SalesRepFactory()
    AssignmentFactory(rep=rep, territory=tree["uk"], start_date=first[0], end_date=first[1])
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=second[0], end_date=second[1])
    assert "assignment_no_overlap" in str(excinfo.value)
    assert TerritoryAssignment.objects.filter(rep=rep).count() == 1


def test_an_update_that_creates_an_overlap_is_refused(tree):
    rep = SalesRepFactory()
    AssignmentFactory(rep=rep, territory=tree["uk"], start_date=D(2024, 1, 1), end_date=D(2024, 5, 15))
    later = AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=D(2024, 5, 16), end_date=None)
    later.start_date = D(2024, 5, 15)
    with pytest.raises(IntegrityError), transaction.atomic():
        later.save()
    assert TerritoryAssignment.objects.get(pk=later.pk).start_date == D(2024, 5, 16)


def test_consecutive_assignments_and_other_reps_are_fine(tree):
    rep, other = SalesRepFactory(), SalesRepFactory()
    AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=D(2025, 1, 1), end_date=D(2025, 5, 15))
    AssignmentFactory(rep=rep, territory=tree["na-west"], start_date=D(2025, 5, 16), end_date=None)
    AssignmentFactory(rep=other, territory=tree["na-east"], start_date=D(2025, 1, 1), end_date=None)
    assert TerritoryAssignment.objects.count() == 3


def test_assignment_ending_before_it_starts_is_refused(tree):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        AssignmentFactory(territory=tree["uk"], start_date=D(2025, 2, 1), end_date=D(2025, 1, 31))
    assert "assignment_end_after_start" in str(excinfo.value)
    assert TerritoryAssignment.objects.count() == 0
