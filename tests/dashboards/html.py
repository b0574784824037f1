"""Reading rendered pages in tests: the text of an element, table rows, figures."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser


class _Collector(HTMLParser):
    """Collect the text of every element matching (tag, attribute, value), nested tags included."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"}
    # Text runs on across these tags; every other tag separates words, as a browser shows them.
    INLINE = {"strong", "em", "span", "code", "time", "small", "abbr", "b", "i"}

    def __init__(self, tag: str, attr: str, value: str | None):
        super().__init__(convert_charrefs=True)
        self.tag, self.attr, self.value = tag, attr, value
        self.depth = 0
        self.parts: list[str] = []
        self.found: list[str] = []

    def _matches(self, tag, attrs) -> bool:
        if tag != self.tag:
            return False
        if not self.attr:  # any <tag>
            return True
        found = dict(attrs).get(self.attr)
        if self.value is None:
            return found is not None
        return found is not None and (found == self.value or self.value in found.split())

    def handle_starttag(self, tag, attrs):
        if self.depth and tag not in self.INLINE:
            self.parts.append(" ")
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif self._matches(tag, attrs):
            self.depth, self.parts = 1, []

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.depth:
            return
        if tag not in self.INLINE:
            self.parts.append(" ")
        self.depth -= 1
        if self.depth == 0:
            self.found.append(" ".join("".join(self.parts).split()))

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def texts(html: str, tag: str, attr: str, value: str | None = None) -> list[str]:
    """The whitespace-normalised text of every ``<tag attr="value">`` (or attr containing the class value)."""
    parser = _Collector(tag, attr, value)
    parser.feed(html)
    return parser.found


def text(html: str, tag: str, attr: str, value: str | None = None) -> str:
    found = texts(html, tag, attr, value)
    assert len(found) == 1, f"expected one <{tag} {attr}={value!r}>, found {len(found)}"
    return found[0]


def card(html: str, kpi: str) -> str:
    return text(html, "article", "data-kpi", kpi)


def figures(html: str) -> dict[str, dict]:
    """{figure id: Plotly figure} of every chart embedded in the page."""
    found = re.findall(r'<script id="(figure-[\w-]+)" type="application/json">(.*?)</script>', html, re.S)
    return {key: json.loads(body) for key, body in found}


def table_rows(html: str, table_class: str) -> list[list[str]]:
    """Rows of the first ``<table class=table_class>`` body, cell texts normalised."""
    match = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S)
    assert match, f"no table {table_class}"
    body = re.search(r"<tbody>(.*?)</tbody>", match.group(1), re.S).group(1)
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append([" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows
