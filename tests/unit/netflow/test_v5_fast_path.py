"""The specialised v5 mapping (`normalize._v5_event`) against the generic one (`ecs.flow_event`
over the record renamed to IPFIX names): the same documents, key order included."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import V5Header, V5Packet, V5Record
from collectors.netflow.ecs import Export, flow_event
from collectors.netflow.normalize import V5_NAMES, normalize_v5

IDS = CommunityId()
u8, u16, u32 = (st.integers(0, (1 << bits) - 1) for bits in (8, 16, 32))
addresses = st.sampled_from(["10.20.1.5", "203.0.113.9", "0.0.0.0", "255.255.255.255"])
records = st.builds(
    V5Record,
    addresses,
    addresses,
    addresses,
    u16,
    u16,
    u32,
    u32,
    u32,
    u32,
    u16,
    u16,
    u8,
    st.sampled_from([0, 1, 6, 17, 47, 58, 132, 250]),
    u8,
    u16,
    u16,
    u8,
    u8,
)
headers = st.builds(
    V5Header,
    st.just(5),
    st.just(1),
    u32,
    st.integers(0, 4_000_000_000),
    st.integers(0, 999_999_999),
    u32,
    u8,
    u8,
    u16,
)


def generic(packet: V5Packet) -> list[dict]:
    """What normalize_v5 produced before the fast path: flow_event per record."""
    header = packet.header
    export = Export.of(
        "192.0.2.1",
        header.unix_secs * 1_000_000_000 + header.unix_nsecs,
        header.sys_uptime,
        {
            "address": "192.0.2.1:2055",
            "version": header.version,
            "uptime_millis": header.sys_uptime,
            "flow_sequence": header.flow_sequence,
            "engine_type": header.engine_type,
            "engine_id": header.engine_id,
            "sampling_mode": header.sampling_mode,
            "sampling_interval": header.sampling_rate,
        },
    )
    rate = max(header.sampling_rate, 1)
    return [
        flow_event(
            dict(zip(V5_NAMES, r, strict=True)), export, options=None, rate=rate, community_id=IDS
        )
        for r in packet.records
    ]


@settings(max_examples=400, deadline=None)
@given(headers, st.lists(records, min_size=1, max_size=30))
def test_fast_v5_mapping_equals_the_generic_one(header: V5Header, recs: list[V5Record]) -> None:
    packet = V5Packet(header._replace(count=len(recs)), recs)
    fast = normalize_v5(packet, exporter_ip="192.0.2.1", exporter_port=2055, community_id=IDS)
    # Byte-equal serializations: same keys, same values, same order.
    assert [orjson.dumps(e) for e in fast] == [orjson.dumps(e) for e in generic(packet)]
