"""The proof that `soc hunt` finds what live detection finds: every SigmaHQ Windows rule over
the 16,801 events of the real EVTX samples, once through the live event store the way the
scheduler runs rules (each compiled statement over an ingest window, rows to alerts), once
through the hunt, whole and in segments. Same rule ids, same event ids, nothing failing on
either side."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from soc.detection.alerts import alerts_from_rows
from soc.detection.hunt import HuntRules, run_hunt
from soc.model.event import Event
from soc.rules import Catalog
from soc.storage import DuckDBEventStore

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def copies(events: list[Event]) -> list[Event]:
    """Stores stamp `event.ingested` into the documents they get: each side gets its own."""
    return [orjson.loads(orjson.dumps(event)) for event in events]


def live_detection(catalog: Catalog, events: list[Event]) -> set[tuple[str, str]]:
    store = DuckDBEventStore(":memory:")
    try:
        store.write_batch(copies(events))
        until = store.now()
        found: set[tuple[str, str]] = set()
        for rule in catalog.compiled:
            rows = store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=until)
            for alert in alerts_from_rows(rule, rows, ran_at=until):
                found.update((alert.rule_id, event_id) for event_id in alert.event_ids)
        return found
    finally:
        store.close()


def test_hunt_equals_live_detection_on_sigmahq_windows_rules_and_real_evtx(
    windows_live: Catalog, windows_hunt: HuntRules, evtx_events: list[Event]
) -> None:
    assert len(evtx_events) == 16801
    assert {r.id for r in windows_hunt.catalog.compiled} == {r.id for r in windows_live.compiled}
    assert len(windows_live.compiled) > 2000

    live = live_detection(windows_live, evtx_events)
    with run_hunt(windows_hunt, copies(evtx_events)) as result:
        hunted = {(m.rule.id, m.events[0]["event"]["id"]) for m in result.matches()}
        summary = result.summary

    assert not [s for s in summary.skipped if s.reason.startswith("failed to run")]
    assert len(live) > 3000  # a real workload: thousands of matches ...
    assert len({rule_id for rule_id, _ in live}) > 150  # ... from many different rules
    assert hunted == live
    assert summary.matches == len(live)
    assert summary.events == 16801

    # In segments (the rules run after every 4,000 events, the DuckDB-run rules too): the same.
    with run_hunt(windows_hunt, copies(evtx_events), segment_events=4000) as result:
        assert {(m.rule.id, m.events[0]["event"]["id"]) for m in result.matches()} == live
        assert result.summary.events == 16801
