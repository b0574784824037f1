"""Scopes (company, territory subtree, rep) and rolling facts up to them.

A territory scope covers the facts stored on the territory or any descendant;
a rep scope the facts the rep owns; the company everything. Sums are rolled up
from per-territory sums (additive), never by averaging children's rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from reps.models import SalesRep
from territories.models import Territory

COMPANY = "company"
NO_TERRITORY = -1


class ScopeError(ValueError):
    """A scope string that names nothing; the message says what is expected."""


@dataclass(frozen=True)
class TerritoryNode:
    pk: int
    code: str
    name: str
    path: str
    depth: int
    parent_id: int | None


@dataclass(frozen=True)
class ScopeIndex:
    """The territory tree and the reps, loaded once per computation (two queries)."""

    territories: dict[int, TerritoryNode]
    reps: dict[int, str]  # pk -> external id
    rep_names: dict[int, str] = field(default_factory=dict)

    @property
    def territory_by_code(self) -> dict[str, TerritoryNode]:
        return {node.code: node for node in self.territories.values()}

    def territory_key(self, pk: int) -> str:
        return f"territory:{self.territories[pk].code}"

    def rep_key(self, pk: int) -> str:
        return f"rep:{self.reps[pk]}"

    def ancestors(self, pk: int) -> list[int]:
        """``pk`` and every territory above it."""
        node, chain = self.territories[pk], []
        while node is not None:
            chain.append(node.pk)
            node = self.territories.get(node.parent_id) if node.parent_id else None
        return chain

    def children(self, pk: int | None) -> list[int]:
        return sorted(
            (n.pk for n in self.territories.values() if n.parent_id == pk), key=lambda p: self.territories[p].code
        )

    def all_keys(self) -> list[str]:
        territory_keys = [
            self.territory_key(pk) for pk in sorted(self.territories, key=lambda p: self.territories[p].path)
        ]
        rep_keys = [self.rep_key(pk) for pk in sorted(self.reps, key=lambda p: self.reps[p])]
        return [COMPANY, *territory_keys, *rep_keys]

    def membership(self) -> pd.DataFrame:
        """Rows (territory_id, scope): each territory belongs to itself, its ancestors and the company."""
        rows = [(pk, self.territory_key(a)) for pk in self.territories for a in self.ancestors(pk)]
        rows += [(pk, COMPANY) for pk in self.territories] + [(NO_TERRITORY, COMPANY)]
        return pd.DataFrame(rows, columns=["territory_id", "scope"])

    def rep_scope_frame(self) -> pd.DataFrame:
        return pd.DataFrame([(pk, self.rep_key(pk)) for pk in self.reps], columns=["rep_id", "scope"])

    def scope_exists(self, key: str) -> bool:
        kind, _, ident = key.partition(":")
        if key == COMPANY:
            return True
        if kind == "territory":
            return ident in self.territory_by_code
        if kind == "rep":
            return ident in set(self.reps.values())
        return False


def scope_index_build() -> ScopeIndex:
    """Load the territory tree and the reps."""
    nodes = {}
    rows = list(Territory.objects.order_by("path").values_list("pk", "code", "name", "path", "depth"))
    by_path = {path: pk for pk, _, _, path, _ in rows}
    for pk, code, name, path, depth in rows:
        parent_id = by_path.get(path[: -Territory.steplen]) if depth > 1 else None
        nodes[pk] = TerritoryNode(pk, code, name, path, depth, parent_id)
    reps = dict(SalesRep.objects.values_list("pk", "external_id"))
    return ScopeIndex(territories=nodes, reps=reps)


def scope_validate(key: str, index: ScopeIndex) -> str:
    """Return ``key`` if it names a scope, else raise ``ScopeError``."""
    if not index.scope_exists(key):
        kind = key.partition(":")[0]
        if kind in ("territory", "rep"):
            raise ScopeError(f"unknown {kind} in scope {key!r}")
        raise ScopeError(f"scope {key!r} is not company, territory:<code> or rep:<external_id>")
    return key


def rollup(
    frame: pd.DataFrame,
    by: Sequence[str],
    values: Sequence[str],
    index: ScopeIndex,
    *,
    territory_col: str | None = "territory_id",
    rep_col: str | None = "rep_id",
) -> pd.DataFrame:
    """Sum ``values`` by (scope, *by) for every scope the rows belong to.

    Rows reach their territory's scope, every ancestor's, the company's (through
    the territory column) and their rep's (through the rep column).
    """
    by, values = list(by), list(values)
    columns = ["scope", *by, *values]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object" if c in ["scope", *by] else "int64") for c in columns})
    parts = []
    if territory_col is not None:
        own = frame.assign(territory_id=frame[territory_col].fillna(NO_TERRITORY).astype("int64"))
        own = own.groupby(["territory_id", *by], dropna=False, sort=False)[values].sum().reset_index()
        merged = own.merge(index.membership(), on="territory_id")
        parts.append(merged.groupby(["scope", *by], dropna=False, sort=False)[values].sum().reset_index())
    else:
        company = frame.groupby(by, dropna=False, sort=False)[values].sum().reset_index()
        parts.append(company.assign(scope=COMPANY)[columns])
    if rep_col is not None:
        with_rep = frame[frame[rep_col].notna()]
        if not with_rep.empty:
            own = with_rep.assign(rep_id=with_rep[rep_col].astype("int64"))
            own = own.groupby(["rep_id", *by], dropna=False, sort=False)[values].sum().reset_index()
            merged = own.merge(index.rep_scope_frame(), on="rep_id")
            parts.append(merged[columns])
    return pd.concat(parts, ignore_index=True)[columns]
