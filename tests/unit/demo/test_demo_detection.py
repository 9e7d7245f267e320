"""The demo's promise to `soc demo`: through the real listeners into a real DuckDB file, each
attack scenario fires its shipped Sigma rule for the agency attacked, and the background alone
fires none."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import collectors.netflow
import collectors.syslog
from collectors.deadletter import DeadLetter
from collectors.demo import DEMO_AGENCIES, DemoTraffic
from collectors.sink import BatchingSink
from soc.config import NetflowSettings, SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.rules import Catalog, load_catalog
from soc.storage.duckdb_store import DuckDBEventStore

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Shipped rule id -> the agency the first attack round targets with its scenario.
EXPECTED = {
    "a18ed328-a35d-43ad-830b-1483954ae5fc": "so-tttt",  # SSH brute force
    "f210b801-69d5-4185-9b59-6bb7730c311f": "so-yte",  # port scan
    "f339a58b-8176-4934-8df6-5054d5696c9e": "ubnd-haichau",  # web shell
    "e6f6ad6c-5f63-438b-a8ec-01a8b38067b9": "so-gddt",  # suspicious PowerShell
    "9e8f6035-88bf-4a63-96b6-b17c0508257e": "so-tttt",  # SigmaHQ's Cisco Disabling Logging
    "dcfc2931-f723-4eee-ac2d-a2530e6d9bf2": "so-yte",  # remote access brute force (VPN spray)
    "518ab95f-6254-4072-ae98-b4b96975ba6c": "so-yte",  # password spraying (VPN spray)
}
CISCO = RULES_DIR / "sigmahq" / "rules" / "network" / "cisco"  # live by default, as all SigmaHQ


@dataclass
class Platform:
    store: DuckDBEventStore
    sink: BatchingSink
    dead_letter: DeadLetter
    traffic: DemoTraffic

    def ingest(self) -> None:
        """Wait (not a timing assertion) until every event the generator sent is stored."""
        self.traffic.close()
        expected = sum(self.traffic.sent.values())
        deadline = time.monotonic() + 30
        while self.store.count() < expected and time.monotonic() < deadline:
            self.sink.flush()
            time.sleep(0.05)
        assert self.dead_letter.count == 0
        assert self.store.count() == expected

    def alerts(self, catalog: Catalog) -> dict[str, list[dict]]:
        return {
            rule.id: self.store.run_rule(
                rule.sql, ingested_after=EPOCH, ingested_until=self.store.now()
            )
            for rule in catalog.compiled
        }


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    loaded = load_catalog([RULES_DIR / "soc", CISCO], pipelines=[RULES_DIR / "pipelines"])
    assert set(EXPECTED) <= {rule.id for rule in loaded.compiled}
    return loaded


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=500, flush_interval_seconds=0.05)
    dead_letter = DeadLetter(tmp_path / "dead-letter.ndjson")
    parts = {"sink": sink, "tagger": AgencyTagger(DEMO_AGENCIES), "dead_letter": dead_letter}
    syslog = collectors.syslog.start(
        SyslogSettings(host="127.0.0.1", udp_port=0, tcp_port=0), **parts
    )
    netflow = collectors.netflow.start(NetflowSettings(host="127.0.0.1", port=0), **parts)
    traffic = DemoTraffic(
        syslog=syslog.udp_address,
        syslog_tcp=syslog.tcp_address,
        netflow=netflow.addresses[0],
        seed=2026,
    )
    yield Platform(store, sink, dead_letter, traffic)
    traffic.close()
    syslog.close()
    netflow.close()
    sink.close()
    store.close()


def _clear_of_a_window_boundary(timespan_seconds: int = 300, margin_seconds: float = 5) -> None:
    """Correlations count in tumbling windows aligned to the epoch: a burst sent just after a
    boundary would be split in two windows, each under the threshold. Wait the boundary out."""
    into_window = time.time() % timespan_seconds
    if into_window < margin_seconds:
        time.sleep(margin_seconds - into_window)


def test_each_attack_scenario_fires_its_rule_for_the_attacked_agency(
    platform: Platform, catalog: Catalog
) -> None:
    platform.traffic.send_background(40)
    _clear_of_a_window_boundary()
    platform.traffic.send_attacks()
    platform.ingest()

    alerts = platform.alerts(catalog)
    for rule_id, agency in EXPECTED.items():
        rows = alerts[rule_id]
        assert len(rows) == 1, (rule_id, rows)
        assert rows[0]["organization_id"] == agency


def test_background_traffic_alone_fires_no_rule(platform: Platform, catalog: Catalog) -> None:
    for _ in range(15):
        platform.traffic.send_background(40)
    platform.ingest()

    assert platform.store.count() > 500
    assert {rule_id: rows for rule_id, rows in platform.alerts(catalog).items() if rows} == {}
