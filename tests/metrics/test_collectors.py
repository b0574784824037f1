"""The collectors cover the KPI registry: each KPI has exactly one collector, and what it needs comes before it."""

import dataclasses
from collections import Counter

from metrics.collectors import COLLECTORS
from metrics.fetch import Facts
from metrics.registry import KPIS


def test_every_kpi_is_produced_by_exactly_one_collector():
    produced = Counter(key for collector in COLLECTORS for key in collector.produces)
    assert {key for key, count in produced.items() if count > 1} == set()
    assert set(produced) == {kpi.key for kpi in KPIS}


def test_collector_names_and_provided_values_are_unique_and_not_kpi_keys():
    assert len({c.name for c in COLLECTORS}) == len(COLLECTORS)
    provided = [key for collector in COLLECTORS for key in collector.provides]
    assert len(set(provided)) == len(provided)
    assert set(provided).isdisjoint(kpi.key for kpi in KPIS)


def test_a_collector_needs_only_what_earlier_collectors_produce_or_provide():
    available: set[str] = set()
    for collector in COLLECTORS:
        assert set(collector.needs) <= available, collector.name
        available |= set(collector.produces) | set(collector.provides)


def test_collectors_read_facts_fields():
    fields = {f.name for f in dataclasses.fields(Facts)}
    for collector in COLLECTORS:
        assert set(collector.reads) <= fields, collector.name
