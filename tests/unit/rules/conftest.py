"""Compile a rule written inline and run it on events in a real DuckDB store."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from soc.detection.hunt import compile_hunt_rules, run_hunt
from soc.model.event import Event, stamp
from soc.rules import Catalog, load_catalog, load_rules
from soc.storage import DuckDBEventStore

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TEST_PIPELINE = """\
name: unit-test
priority: 10
transformations:
  - id: logsource_test
    type: add_condition
    conditions: {event.dataset: test}
    rule_conditions: [{type: logsource, product: test}]
"""

Matches = Callable[[dict[str, Any], Iterable[Event]], list[str]]
MatchesWithFiles = Callable[[dict[str, str], Iterable[Event]], list[str]]


@pytest.fixture
def pipeline_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "test.yml").write_text(TEST_PIPELINE)
    return folder


@pytest.fixture
def compile_files(tmp_path: Path, pipeline_dir: Path) -> Callable[[dict[str, str]], Catalog]:
    """Write {relative path: YAML text} under a rules folder and compile it."""

    def compile_(files: dict[str, str]) -> Catalog:
        rules = tmp_path / "rules"
        for name, text in files.items():
            (rules / name).parent.mkdir(parents=True, exist_ok=True)
            (rules / name).write_text(textwrap.dedent(text))
        return load_catalog([rules], pipelines=[pipeline_dir])

    return compile_


@pytest.fixture
def store(tmp_path: Path) -> Iterable[DuckDBEventStore]:
    events = DuckDBEventStore(tmp_path / "events.duckdb")
    yield events
    events.close()


@pytest.fixture(params=["live", "hunt"])
def matches_with_files(
    request: pytest.FixtureRequest, compile_files, tmp_path: Path, pipeline_dir: Path, store
) -> MatchesWithFiles:
    """Ids of the events (dataset `test`) that the one rule compiled from `files` matches:
    as live detection runs it, and as `soc hunt` does (its own layout, the same answer)."""

    def live(files: dict[str, str], events: Iterable[Event]) -> list[str]:
        catalog = compile_files(files)
        assert catalog.errors == []
        [rule] = catalog.compiled
        store.write_batch([stamp(e, dataset="test") for e in events])
        rows = store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=store.now())
        return sorted(row["event_id"] for row in rows)

    def hunt(files: dict[str, str], events: Iterable[Event]) -> list[str]:
        compile_files(files)  # writes the files
        rules = compile_hunt_rules(load_rules([tmp_path / "rules"]), [pipeline_dir])
        assert rules.catalog.errors == []
        with run_hunt(rules, [stamp(e, dataset="test") for e in events]) as result:
            assert not result.summary.skipped
            return sorted(m.events[0]["event"]["id"] for m in result.matches())

    return live if request.param == "live" else hunt


@pytest.fixture
def matches(matches_with_files: MatchesWithFiles) -> Matches:
    """Ids of the events (dataset `test`) that a rule with this `detection` matches."""

    def run(detection: dict[str, Any], events: Iterable[Event]) -> list[str]:
        rule = {
            "title": "unit test rule",
            "id": "0b5e3a44-5c1d-4d7e-9a61-2f3b4c5d6e7f",
            "logsource": {"product": "test"},
            "detection": detection,
        }
        return matches_with_files({"rule.yml": yaml.safe_dump(rule)}, events)

    return run
