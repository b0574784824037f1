"""Who sees what, decided in one place.

Every page, API view, export and picker asks these selectors; nothing else in
the code decides visibility. Default deny: a user who is neither staff, nor a
territory manager, nor linked to a rep sees nothing.

- admin (staff or superuser): everything;
- manager: the subtrees of the territories they manage, and the reps assigned
  there at any time;
- rep: their own scorecard only.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from reps.models import SalesRep
from sales.models import Customer, Deal, ImportRun
from territories.models import Territory

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"
    NONE = "none"


def user_role(user: AbstractBaseUser | AnonymousUser | None) -> Role:
    """Return the strongest role of ``user`` (admin > manager > rep > none)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.NONE
    if user.is_staff or user.is_superuser:
        return Role.ADMIN
    if user.managed_territories.exists():
        return Role.MANAGER
    if _linked_rep_id(user) is not None:
        return Role.REP
    return Role.NONE


def _linked_rep_id(user) -> int | None:
    return SalesRep.objects.filter(user=user).values_list("pk", flat=True).first()


def territories_visible_to(*, user):
    """Return the territories ``user`` may see, as a queryset (possibly empty)."""
    role = user_role(user)
    if role is Role.ADMIN:
        return Territory.objects.all()
    if role is not Role.MANAGER:
        return Territory.objects.none()
    paths = list(user.managed_territories.values_list("path", flat=True))
    subtree = Q()
    for path in paths:
        subtree |= Q(path__startswith=path)
    return Territory.objects.filter(subtree)


def territory_ids_visible_to(*, user) -> set[int]:
    return set(territories_visible_to(user=user).values_list("pk", flat=True))


def reps_visible_to(*, user):
    """Return the reps whose scorecards ``user`` may see, as a queryset."""
    role = user_role(user)
    if role is Role.ADMIN:
        return SalesRep.objects.all()
    if role is Role.MANAGER:
        return SalesRep.objects.filter(assignments__territory__in=territories_visible_to(user=user)).distinct()
    if role is Role.REP:
        return SalesRep.objects.filter(user=user)
    return SalesRep.objects.none()


def rep_ids_visible_to(*, user) -> set[int]:
    return set(reps_visible_to(user=user).values_list("pk", flat=True))


def user_can_see_territory(*, user, territory_id: int) -> bool:
    return territories_visible_to(user=user).filter(pk=territory_id).exists()


def user_can_see_rep(*, user, rep_id: int) -> bool:
    return reps_visible_to(user=user).filter(pk=rep_id).exists()


def scope_keys_visible_to(*, user) -> set[str] | None:
    """Scope keys ``user`` may read; None means every scope (admins)."""
    role = user_role(user)
    if role is Role.ADMIN:
        return None
    keys = {f"territory:{code}" for code in territories_visible_to(user=user).values_list("code", flat=True)}
    keys |= {f"rep:{ext}" for ext in reps_visible_to(user=user).values_list("external_id", flat=True)}
    return keys


def user_can_see_scope(*, user, scope: str) -> bool:
    """Whether ``user`` may read KPIs of ``scope`` (company: admins only)."""
    if user_role(user) is Role.ADMIN:
        return True
    if scope == "company":
        return False
    visible = scope_keys_visible_to(user=user)
    return visible is not None and scope in visible


def _facts_visible_to(rows: QuerySet, *, user) -> QuerySet:
    """Facts with a ``territory`` and an ``owner``: admins all; managers those in their subtrees; reps their own."""
    role = user_role(user)
    if role is Role.ADMIN:
        return rows
    if role is Role.MANAGER:
        return rows.filter(territory__in=territories_visible_to(user=user))
    if role is Role.REP:
        return rows.filter(owner__user=user)
    return rows.none()


def deals_visible_to(*, user) -> QuerySet[Deal]:
    """Deals ``user`` may list: admins all; managers those stored in their subtrees; reps their own."""
    return _facts_visible_to(Deal.objects.all(), user=user)


def customers_visible_to(*, user) -> QuerySet[Customer]:
    """Customers ``user`` may list: by the customer's territory (managers) or owner (reps)."""
    return _facts_visible_to(Customer.objects.all(), user=user)


# --- pages: the object behind a URL, or 404 ---------------------------------------------------------


def company_visible_or_404(*, user) -> None:
    """Raise ``Http404`` unless ``user`` may see the company overview (admins only)."""
    if not user_can_see_scope(user=user, scope="company"):
        raise Http404("No such page.")


def territory_visible_or_404(*, user, code: str):
    """The territory ``code`` if ``user`` may see it, else ``Http404`` (unknown and hidden look the same)."""
    territory = territories_visible_to(user=user).filter(code=code).first()
    if territory is None:
        raise Http404("No such territory.")
    return territory


def rep_visible_or_404(*, user, rep_id: int):
    """The rep ``rep_id`` if ``user`` may see their scorecard, else ``Http404``."""
    rep = reps_visible_to(user=user).filter(pk=rep_id).first()
    if rep is None:
        raise Http404("No such rep.")
    return rep


def own_rep_or_404(*, user):
    """The rep linked to ``user`` if they may see its scorecard, else ``Http404``."""
    rep_id = _linked_rep_id(user) if user is not None and user.is_authenticated else None
    if rep_id is None:
        raise Http404("Your login is not linked to a sales rep.")
    return rep_visible_or_404(user=user, rep_id=rep_id)


# --- rows that belong to a scope: targets, the target change log, runs ---------------------------------
# Their models live above the facts (metrics); the rule is here, applied to the queryset the caller passes.


def owned_rows_visible_to(rows: QuerySet, *, user) -> QuerySet:
    """``rows`` (with ``territory`` and ``rep`` keys, e.g. targets) of the territories and reps ``user`` may see."""
    role = user_role(user)
    if role is Role.ADMIN:
        return rows
    if role is Role.NONE:
        return rows.none()
    return rows.filter(Q(territory__in=territories_visible_to(user=user)) | Q(rep__in=reps_visible_to(user=user)))


def scoped_rows_visible_to(rows: QuerySet, *, user, field: str = "scope") -> QuerySet:
    """``rows`` whose scope key (``field``) names a scope ``user`` may see (e.g. the target change log)."""
    visible = scope_keys_visible_to(user=user)
    if visible is None:
        return rows
    return rows.filter(**{f"{field}__in": sorted(visible)})


def admin_rows_visible_to(rows: QuerySet, *, user) -> QuerySet:
    """``rows`` only admins read (recompute runs hold every error), empty for anyone else."""
    return rows if user_role(user) is Role.ADMIN else rows.none()


def import_runs_visible_to(*, user):
    """CRM import runs ``user`` may read: admins only (runs hold every file name and error)."""
    return admin_rows_visible_to(ImportRun.objects.all(), user=user)
