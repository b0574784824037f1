"""URL path converters for what a page is about: the company, a territory or a rep.

``<scope:scope>`` matches ``company``, ``territories/<code>`` and ``reps/<id>``;
``<area:scope>`` matches the first two only (pages that exist for the company and
territories, not for a rep). Both turn the path into a ``ScopeRef``, a plain
reference: whether the user may see it is decided by the view (dashboards.page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPANY, TERRITORY, REP = "company", "territory", "rep"


@dataclass(frozen=True)
class ScopeRef:
    """The scope a URL names: ``kind`` and the territory code or rep id (None for the company)."""

    kind: str
    code_or_pk: str | int | None = None


class ScopeConverter:
    """``company``, ``territories/<slug>`` or ``reps/<int>``."""

    regex = r"company|territories/[-a-zA-Z0-9_]+|reps/[0-9]+"
    kinds = (COMPANY, TERRITORY, REP)

    def to_python(self, value: str) -> ScopeRef:
        if value == "company":
            return ScopeRef(COMPANY)
        prefix, _, rest = value.partition("/")
        if prefix == "territories":
            return ScopeRef(TERRITORY, rest)
        return ScopeRef(REP, int(rest))

    def to_url(self, value) -> str:
        """The path of a ``ScopeRef``, of anything with a ``ref`` (a ``PageScope``), or the path text itself."""
        if isinstance(value, str):
            path = value
        else:
            ref = value if isinstance(value, ScopeRef) else value.ref
            if ref.kind not in self.kinds:
                raise ValueError(f"no {ref.kind} page here")
            path = {COMPANY: "company", TERRITORY: f"territories/{ref.code_or_pk}", REP: f"reps/{ref.code_or_pk}"}[
                ref.kind
            ]
        if not re.fullmatch(self.regex, path):
            raise ValueError(f"{path!r} is not a scope of this page")
        return path


class AreaConverter(ScopeConverter):
    """``company`` or ``territories/<slug>``: the scopes with sub-territories and a leaderboard."""

    regex = r"company|territories/[-a-zA-Z0-9_]+"
    kinds = (COMPANY, TERRITORY)
