"""A flow's `network.direction` from the agencies' networks (`AgencyTagger.tag`, and the
columnar path's `perimeter_direction`): the field the exfiltration and horizontal scan rules
read, which exporters cannot give (they send nothing, or their interface's direction)."""

from __future__ import annotations

import socket

import pytest

from collectors.netflow.columnar_v5 import V5Columns
from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import V5_HEADER, V5_RECORD, decode_v5
from collectors.netflow.ecs import Export, flow_event
from collectors.netflow.normalize import normalize_v5
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency

TAGGER = AgencyTagger(
    [
        Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)),
        Agency("so-gddt", "Sở Giáo dục và Đào tạo", ("10.30.0.0/16",)),
    ]
)
CASES = [  # source, destination, direction
    ("10.20.5.7", "203.0.113.9", "outbound"),
    ("203.0.113.9", "10.20.5.7", "inbound"),
    ("10.20.5.7", "10.20.5.8", "internal"),
    ("10.20.5.7", "10.30.1.1", "internal"),  # two agencies: still inside the province
    ("198.51.100.1", "203.0.113.9", "unknown"),  # neither: as exported
]


def _v5(pairs: list[tuple[str, str]]) -> bytes:
    raw = V5_HEADER.pack(5, len(pairs), 600_000, 1_765_094_400, 0, 0, 0, 0, 0)
    for src, dst in pairs:
        addresses = [socket.inet_aton(a) for a in (src, dst, "0.0.0.0")]
        raw += V5_RECORD.pack(*addresses, 1, 2, 10, 1000, 0, 0, 49152, 443, 0x1B, 6, 0, 0, 0, 0, 0)
    return raw


def test_v5_flows_get_the_perimeter_direction_on_both_paths() -> None:
    raw = _v5([(src, dst) for src, dst, _ in CASES])
    ids = CommunityId()
    events = normalize_v5(
        decode_v5(raw, "x"), exporter_ip="10.20.0.1", exporter_port=2055, community_id=ids
    )
    assert [TAGGER.tag(e)["network"]["direction"] for e in events] == [c[2] for c in CASES]
    columns = V5Columns(ids)
    columns.add(raw, len(CASES), "10.20.0.1", 2055)
    batch = columns.take(TAGGER.ipv4_prefixes(), TAGGER.lookup)
    assert batch is not None
    assert [e["network"]["direction"] for e in batch.to_events()] == [c[2] for c in CASES]


def _flow(src: str, dst: str, flow_direction: int) -> dict:
    fields = {
        "source_ipv4_address": src,
        "destination_ipv4_address": dst,
        "protocol_identifier": 6,
        "flow_direction": flow_direction,
    }
    export = Export.of("10.20.0.1", 1_765_094_400_000_000_000, None, {"address": "10.20.0.1:2055"})
    return flow_event(fields, export, options=None, rate=1, community_id=CommunityId())


@pytest.mark.parametrize("interface", [0, 1])  # ingress, egress
def test_the_perimeter_replaces_the_interface_direction(interface: int) -> None:
    """flowDirection says which way the packets crossed the exporter's interface, not where
    the addresses are; `netflow.flow_direction` keeps it."""
    event = TAGGER.tag(_flow("10.20.5.7", "203.0.113.9", interface))
    assert event["network"]["direction"] == "outbound"
    assert event["netflow"]["flow_direction"] == interface


def test_a_flow_between_two_outside_addresses_keeps_the_exported_direction() -> None:
    event = TAGGER.tag(_flow("198.51.100.1", "203.0.113.9", 0))
    assert event["network"]["direction"] == "inbound"


def test_other_events_are_left_as_their_parser_made_them() -> None:
    """A firewall's log line names its own direction, or none."""
    event = {
        "source": {"ip": "10.20.5.7"},
        "destination": {"ip": "203.0.113.9"},
        "network": {"transport": "tcp"},
    }
    assert "direction" not in TAGGER.tag(event)["network"]
