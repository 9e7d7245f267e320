"""Shipped rules against sample events in a real DuckDB event store.

Each test writes ECS events as the parsers produce them (docs/CONTRACTS.md) and runs one
compiled rule over everything ingested, exactly as the scheduler would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from soc.model.event import Event, stamp
from soc.rules import Catalog, load_catalog
from soc.storage import DuckDBEventStore

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

RunRule = Callable[[str, Iterable[Event]], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def shipped() -> Catalog:
    catalog = load_catalog([RULES_DIR / "soc"], pipelines=[RULES_DIR / "pipelines"])
    assert catalog.errors == []
    return catalog


@pytest.fixture
def store(tmp_path: Path) -> Iterable[DuckDBEventStore]:
    events = DuckDBEventStore(tmp_path / "events.duckdb")
    yield events
    events.close()


@pytest.fixture
def run_rule(shipped: Catalog, store: DuckDBEventStore) -> RunRule:
    """Write the events, then run the rule over all of them; returns the rule's rows."""

    def run(rule_id: str, events: Iterable[Event]) -> list[dict[str, Any]]:
        rule = shipped.get(rule_id)
        assert rule is not None, f"rule {rule_id} not shipped"
        batch = [stamp(event, dataset=event["event"]["dataset"]) for event in events]
        store.write_batch(batch)
        return store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=store.now())

    return run
