"""What an answer of benchmarks/load.py must hold, and the tally of answers, errors and reads that differ."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

from load_plan import API_KPIS, API_SERIES, DRILL, PAGES


@dataclass(frozen=True)
class Reading:
    """What one answer showed: whether it has its content, a digest to compare reads, and what it lists."""

    complete: bool
    digest: str
    summary: str
    items: tuple[str, ...] = ()


MAIN = re.compile(rb'<main id="content">(.*)</main>', re.S)
CARD = re.compile(rb'data-kpi="([\w-]+)"')
DRILL_SUB = re.compile(rb'<p class="sub">.*?<strong>(.*?)</strong>\s*\xc2\xb7 ([\d,]+) rows? listed', re.S)


def counted(n: int, noun: str, plural: str = "") -> str:
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reading_of(endpoint: str, body: bytes) -> Reading:
    """Pages: their ``<main>`` (KPI cards, charts, leaderboard, drill-down rows); the API: its whole JSON."""
    if endpoint in PAGES or endpoint == DRILL:
        main = MAIN.search(body)
        if main is None:
            return Reading(False, "", "no <main> element")
        if endpoint == DRILL:
            sub = DRILL_SUB.search(main[1])
            if sub is None:
                return Reading(False, _digest(main[1]), "no value and row count")
            return Reading(True, _digest(main[1]), f"{sub[1].decode()}, {sub[2].decode()} rows listed")
        cards = tuple(key.decode() for key in CARD.findall(main[1]))
        return Reading(bool(cards), _digest(main[1]), counted(len(cards), "KPI card"), cards)
    try:
        data = json.loads(body)
    except ValueError:
        return Reading(False, "", "not JSON")
    digest = _digest(json.dumps(data, sort_keys=True).encode())
    if endpoint == API_KPIS:
        kpis = data.get("kpis") if isinstance(data, dict) else None
        listed = tuple(kpis) if isinstance(kpis, dict) else ()
        return Reading(bool(listed), digest, counted(len(listed), "KPI"), listed)
    if endpoint == API_SERIES:
        points = data.get("points") if isinstance(data, dict) else None
        listed = tuple(str(p.get("period")) for p in points) if isinstance(points, list) else ()
        return Reading(bool(listed), digest, counted(len(listed), "point"), listed)
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return Reading(False, digest, "no results list")
    return Reading(True, digest, counted(len(results), "deal"), tuple(str(r.get("external_id")) for r in results))


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    compared: Counter[str] = field(default_factory=Counter)
    mismatches: Counter[str] = field(default_factory=Counter)
    mismatch_examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, endpoint: str, millis: float) -> None:
        with self.lock:
            self.latencies.setdefault(endpoint, []).append(millis)

    def error(self, endpoint: str, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[endpoint, kind] += 1
            if len(self.error_examples) < 10:
                self.error_examples.append(f"{endpoint}: {kind}: {detail}")

    def compare(self, endpoint: str, expected: Reading, seen: Reading, where: str) -> None:
        with self.lock:
            self.compared[endpoint] += 1
            if seen.digest == expected.digest:
                return
            self.mismatches[endpoint] += 1
            if len(self.mismatch_examples) < 10:
                missing = [i for i in expected.items if i not in set(seen.items)]
                note = f"; missing {', '.join(missing[:8])}" if missing else "; other content"
                self.mismatch_examples.append(f"{where}: baseline {expected.summary}, read {seen.summary}{note}")
