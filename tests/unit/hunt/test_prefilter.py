"""Live detection with the batched pre-check: the scheduler skips the statements of rules that
have nothing in their window, and still raises exactly the alerts running every statement
raises. SigmaHQ Windows rules, real EVTX events, the real event store and case store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from shared_data import SHARED_DATA

from collectors.files import read_events
from soc.cases import CaseService
from soc.detection import Scheduler
from soc.detection.alerts import alerts_from_rows
from soc.detection.prefilter import quiet_rules, split_conditions, statement_frame
from soc.model.agency import Principal
from soc.rules import Catalog
from soc.storage import DuckDBEventStore

SAMPLES = SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "EVTX-to-MITRE-Attack"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ANALYST = Principal(user_id=1, username="analyst", role="analyst")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEventStore]:
    events = DuckDBEventStore(tmp_path_factory.mktemp("prefilter") / "events.duckdb")
    events.write_batch(
        [orjson.loads(orjson.dumps(e)) for e in read_events([SAMPLES], format="evtx")]
    )
    yield events
    events.close()


@pytest.fixture(scope="module")
def expected(store: DuckDBEventStore, windows_live: Catalog) -> set[tuple[str, str]]:
    """Every rule's own statement over everything stored: what the scheduler always did."""
    catalog = windows_live
    until = store.now()
    return {
        (alert.rule_id, event_id)
        for rule in catalog.compiled
        for alert in alerts_from_rows(
            rule, store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=until), ran_at=until
        )
        for event_id in alert.event_ids
    }


def test_quiet_rules_are_exactly_the_rules_without_matches(
    store: DuckDBEventStore, windows_live: Catalog, expected: set[tuple[str, str]]
) -> None:
    matched = {rule_id for rule_id, _ in expected}
    quiet = quiet_rules(store, windows_live.compiled, after=EPOCH, until=store.now())
    conditions, _ = split_conditions(windows_live.compiled, statement_frame())
    assert len(matched) > 50
    assert quiet.isdisjoint(matched)
    assert quiet | matched == {c.key for c in conditions}
    assert (
        store.match_rules(conditions, ingested_after=EPOCH, ingested_until=store.now(), max_rows=10)
        is None
    )  # too large a window: one by one


def test_scheduler_pass_raises_the_same_alerts(
    store: DuckDBEventStore, windows_live: Catalog, expected: set[tuple[str, str]], tmp_path: Path
) -> None:
    cases = CaseService(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    cases.migrate()
    try:
        report = Scheduler(store, windows_live, cases, cases).run_once()
        stored, total = cases.list_alerts(ANALYST, limit=1000)
        while len(stored) < total:
            stored += cases.list_alerts(ANALYST, limit=1000, offset=len(stored))[0]
    finally:
        cases.close()
    assert report.failed == {}
    assert total == report.new_alerts == len(expected)
    assert {(a.rule_id, e) for a in stored for e in a.event_ids} == expected
