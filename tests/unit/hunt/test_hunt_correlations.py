"""Correlations in a hunt: the platform's own rules (SSH brute force is an event_count over
failed logins) over a real OpenSSH log from loghub, hunted and detected live; the same bursts,
with the same member events, and each correlation line carrying those events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from shared_data import SHARED_DATA

from collectors.files import read_events
from soc.detection.hunt import HuntMatch, compile_hunt_rules, run_hunt
from soc.model.event import Event
from soc.rules import Catalog, compile_rules, load_rules
from soc.storage import DuckDBEventStore

ROOT = Path(__file__).resolve().parents[3]
PIPELINES = ROOT / "rules" / "pipelines"
OPENSSH = SHARED_DATA / "syslog" / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
BRUTE_FORCE = "a18ed328-a35d-43ad-830b-1483954ae5fc"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def ssh_events() -> list[Event]:
    return list(read_events([OPENSSH], format="syslog"))


def copies(events: list[Event]) -> list[Event]:
    return [orjson.loads(orjson.dumps(event)) for event in events]


def live_rows(catalog: Catalog, events: list[Event]) -> dict[str, list[dict]]:
    store = DuckDBEventStore(":memory:")
    try:
        store.write_batch(copies(events))
        until = store.now()
        return {
            rule.id: store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=until)
            for rule in catalog.compiled
        }
    finally:
        store.close()


def _found(match: HuntMatch) -> tuple[str, dict | None, list[str]]:
    """A match without the times each hunt stamps (`event.ingested`)."""
    return match.rule.id, match.correlation, [e["event"]["id"] for e in match.events]


def test_correlation_matches_equal_live_detection(ssh_events: list[Event]) -> None:
    ruleset = load_rules([ROOT / "rules" / "soc"])
    live = live_rows(compile_rules(ruleset, [PIPELINES]), ssh_events)
    expected_bursts = {(row["group_key"], tuple(row["event_ids"])) for row in live[BRUTE_FORCE]}
    expected_single = {
        (rule_id, row["event_id"])
        for rule_id, rows in live.items()
        for row in rows
        if "event_id" in row
    }

    hunt_rules = compile_hunt_rules(ruleset, [PIPELINES])
    with run_hunt(hunt_rules, copies(ssh_events)) as result:
        matches = list(result.matches())
        summary = result.summary
    # In segments of 300 events the correlation still sees them all: the columns it reads are
    # kept when a segment's others go.
    with run_hunt(hunt_rules, copies(ssh_events), segment_events=300) as result:
        segmented = [_found(m) for m in result.matches()]
    assert segmented == [_found(m) for m in matches]
    bursts = [m for m in matches if m.correlation is not None]
    single = {(m.rule.id, m.events[0]["event"]["id"]) for m in matches if m.correlation is None}

    assert len(expected_bursts) >= 3  # loghub's sample holds several guessing bursts
    assert {
        (m.correlation["group_key"], tuple(e["event"]["id"] for e in m.events)) for m in bursts
    } == expected_bursts
    assert single == expected_single
    assert summary.matches == len(matches) == len(live[BRUTE_FORCE]) + len(expected_single)
    for match in bursts:
        assert match.rule.id == BRUTE_FORCE
        assert match.correlation["match_count"] >= 10
        assert all(e["source"]["ip"] == match.correlation["group_key"] for e in match.events)
        line = match.to_json()
        assert set(line) == {"rule", "correlation", "events"}
        assert line["events"][0]["log"]["file"]["path"] == str(OPENSSH)


FLAT_FIELD_CORRELATION = """\
title: Failed SSH Logins Per Syslog Host
id: 5f1d7c1e-93c4-4a57-9d0e-2b8f3c4e6a01
correlation:
    type: event_count
    rules:
        - sshd_failure
    group-by:
        - log.syslog.hostname
    timespan: 5m
    condition:
        gte: 10
level: medium
---
title: sshd Failure By Syslog App Name
id: 7a2e4b9d-1c3f-4e8a-b5d6-0f9e8d7c6b5a
name: sshd_failure
logsource:
    product: linux
detection:
    selection:
        log.syslog.appname: sshd
        event.outcome: failure
    condition: selection
level: low
"""


def test_a_correlation_over_flat_columns_sees_every_segment(
    ssh_events: list[Event], tmp_path: Path
) -> None:
    """Its group-by and its rule read fields kept only as flat columns: those columns outlive
    each segment's single-event matching, so the bursts are those of one whole hunt and of live
    detection."""
    (tmp_path / "rule.yml").write_text(FLAT_FIELD_CORRELATION)
    ruleset = load_rules([tmp_path])
    expected = {
        (row["group_key"], tuple(row["event_ids"]))
        for row in live_rows(compile_rules(ruleset, [PIPELINES]), ssh_events)[
            "5f1d7c1e-93c4-4a57-9d0e-2b8f3c4e6a01"
        ]
    }
    assert len(expected) >= 3
    hunt_rules = compile_hunt_rules(ruleset, [PIPELINES])
    for segment in (100_000, 300):
        with run_hunt(hunt_rules, copies(ssh_events), segment_events=segment) as result:
            bursts = {
                (m.correlation["group_key"], tuple(e["event"]["id"] for e in m.events))
                for m in result.matches()
                if m.correlation is not None
            }
        assert bursts == expected, segment
