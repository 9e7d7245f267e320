"""rules/soc/network/mr_fortigate_port_scan.yml: 20 denied destination ports per source in 5m."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soc.model.event import Event, isoformat
from soc.rules import Catalog

PORT_SCAN = "f210b801-69d5-4185-9b59-6bb7730c311f"
DENIED = "9dc187dc-3c45-4030-bc94-ea6d5f4a0012"
WINDOW = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


def fortigate(ip: str, port: int, seconds: int = 0, *, action: str = "deny") -> Event:
    return {
        "@timestamp": isoformat(WINDOW + timedelta(seconds=seconds)),
        "event": {
            "dataset": "fortinet.firewall",
            "module": "fortinet",
            "action": action,
            "outcome": "failure" if action == "deny" else "success",
        },
        "observer": {"vendor": "Fortinet", "product": "FortiGate", "name": "FGT-TINH"},
        "source": {"ip": ip, "port": 51000 + seconds},
        "destination": {"ip": "10.20.0.15", "port": port},
        "network": {"transport": "tcp", "iana_number": "6"},
        "rule": {"id": "12"},
        "organization": {"id": "so-tttt"},
        "fortinet": {"firewall": {"action": action, "dstport": str(port), "policyid": "12"}},
    }


def scan(ip: str, ports: range | list[int]) -> list[Event]:
    return [fortigate(ip, port, seconds=i) for i, port in enumerate(ports)]


def test_twenty_denied_ports_from_one_source_alert(run_rule) -> None:
    rows = run_rule(PORT_SCAN, scan("198.51.100.23", range(1000, 1020)))
    assert len(rows) == 1
    assert rows[0]["group_key"] == "198.51.100.23"
    assert rows[0]["value_count"] == 20
    assert len(rows[0]["event_ids"]) == 20


def test_nineteen_ports_stay_below_the_threshold(run_rule) -> None:
    assert run_rule(PORT_SCAN, scan("198.51.100.23", range(1000, 1019))) == []


def test_repeated_ports_count_once(run_rule) -> None:
    # 38 denied connections, but only 19 different ports.
    ports = list(range(1000, 1019)) * 2
    assert run_rule(PORT_SCAN, scan("198.51.100.23", ports)) == []


def test_accepted_connections_do_not_count(run_rule) -> None:
    events = scan("198.51.100.23", range(1000, 1019)) + [
        fortigate("198.51.100.23", 2000 + i, seconds=100 + i, action="accept") for i in range(5)
    ]
    assert run_rule(PORT_SCAN, events) == []


def test_sources_are_counted_separately(run_rule) -> None:
    events = scan("198.51.100.23", range(1000, 1020)) + scan("192.0.2.50", range(1000, 1019))
    assert [r["group_key"] for r in run_rule(PORT_SCAN, events)] == ["198.51.100.23"]


def test_action_matches_whatever_its_case(run_rule) -> None:
    events = [
        *scan("198.51.100.23", range(1000, 1019)),
        fortigate("198.51.100.23", 3000, seconds=60, action="DENY"),
    ]
    assert [r["value_count"] for r in run_rule(PORT_SCAN, events)] == [20]


def test_other_datasets_do_not_count(run_rule) -> None:
    events = scan("198.51.100.23", range(1000, 1019))
    netflow = fortigate("198.51.100.23", 4000, seconds=90)
    netflow["event"]["dataset"] = "netflow.log"
    assert run_rule(PORT_SCAN, [*events, netflow]) == []


def test_a_single_denied_connection_is_not_an_alert_on_its_own(shipped: Catalog) -> None:
    assert shipped.get(DENIED) is None
