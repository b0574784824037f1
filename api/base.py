"""The base of every API view: thin callers of the selectors and services, all scoped through ``ApiView``.

``ApiView`` owns ``get_queryset`` and ``get_object`` (a subclass that tries to
override them is refused at import), so rows only ever come from an
accounts.access selector, and KPI scopes only through ``scope_visible``.
Anything outside what the caller may see answers 404, exactly like something
that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated

from accounts.access import user_can_see_scope
from api.serializers import scope_syntax_check

_BIGINT = 2**63 - 1


class ApiView(GenericAPIView):
    """Base of every endpoint. Rows come from ``visible_to`` (an accounts.access selector); scopes from
    ``scope_visible``. Subclasses narrow rows with ``narrow`` and never see anything else."""

    permission_classes = [IsAuthenticated]
    visible_to: Callable[..., QuerySet] | None = None  # set as staticmethod(<access selector>)
    lookup_noun = "object"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("get_queryset", "get_object"):
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} must not override {name}: set visible_to, narrow with narrow()")

    def get_queryset(self) -> QuerySet:
        if self.visible_to is None:
            raise ImproperlyConfigured(f"{type(self).__name__} reads rows but names no visible_to selector")
        return self.narrow(self.visible_to(user=self.request.user))

    def narrow(self, queryset: QuerySet) -> QuerySet:
        """Joins, ordering, fixed filters: applied to the rows the user may see."""
        return queryset

    def get_object(self):
        field = self.lookup_url_kwarg or self.lookup_field
        value = self.kwargs[field]
        # An id beyond the database's integers, or text with a NUL byte, names nothing; the database
        # would refuse the query itself.
        out_of_range = isinstance(value, int) and not 0 < value <= _BIGINT
        found = None
        if not out_of_range and "\x00" not in str(value):
            found = self.get_queryset().filter(**{self.lookup_field: value}).first()
        if found is None:
            raise NotFound(f"No {self.lookup_noun} {str(value)[:100]!r} among those you may see.")
        self.check_object_permissions(self.request, found)
        return found

    def scope_visible(self, scope: str) -> str:
        """``scope`` if the user may read its KPIs; a malformed one is a 400, a hidden or unknown one a 404."""
        scope = scope_syntax_check(scope)
        if not user_can_see_scope(user=self.request.user, scope=scope):
            raise NotFound(f"No scope {scope[:100]!r} among those you may see.")
        return scope

    def query_params(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
