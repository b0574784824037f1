"""Territories: the tree the caller may see, and one territory with its visible subtree."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.access import territories_visible_to
from api.base import ApiView
from territories.models import Territory


class TerritoryNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    scope = serializers.CharField()
    parent = serializers.CharField(allow_null=True, help_text="Code of the parent territory (null for a top one).")
    depth = serializers.IntegerField(help_text="1 for a top-level territory.")
    children = serializers.ListField(child=serializers.DictField(), help_text="The same shape, one level down.")


def _territory_tree(rows: list[dict]) -> list[dict]:
    """Nest territories (ordered by path) under their parents; a node whose parent is hidden is a root."""
    by_path: dict[str, dict] = {}
    roots: list[dict] = []
    for row in rows:
        parent = by_path.get(row["path"][: -Territory.steplen])
        node = {
            "code": row["code"],
            "name": row["name"],
            "scope": f"territory:{row['code']}",
            "parent": parent["code"] if parent else None,
            "depth": row["depth"],
            "children": [],
        }
        by_path[row["path"]] = node
        (parent["children"] if parent else roots).append(node)
    return roots


class TerritoryListView(ApiView):
    visible_to = staticmethod(territories_visible_to)

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by("path")

    @extend_schema(summary="The territory tree the caller may see", responses=TerritoryNodeSerializer(many=True))
    def get(self, request):
        return Response(_territory_tree(list(self.get_queryset().values("code", "name", "path", "depth"))))


class TerritoryDetailView(ApiView):
    visible_to = staticmethod(territories_visible_to)
    lookup_field = "code"
    lookup_noun = "territory"

    @extend_schema(
        summary="One territory and the part of its subtree the caller may see", responses=TerritoryNodeSerializer
    )
    def get(self, request, code: str):
        territory = self.get_object()
        rows = self.get_queryset().filter(path__startswith=territory.path).order_by("path")
        return Response(_territory_tree(list(rows.values("code", "name", "path", "depth")))[0])
