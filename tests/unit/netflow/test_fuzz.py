"""Truncated and garbled v9/IPFIX: nothing but ParseError, and state stays usable.

The whole receive path after the socket (decode, template state, ECS) runs on hypothesis
input; a problem inside a packet must come back as a dead-letter `Problem`, never an exception.
"""

from __future__ import annotations

import json
import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from netflow_craft import (
    data_set,
    ipfix_message,
    ipfix_options_template_set,
    ipfix_template,
    ipfix_template_set,
    ipv4,
    v9_options_template_set,
    v9_packet,
    v9_template_set,
    varlen,
)

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import V5Packet, decode
from collectors.netflow.normalize import normalize_flows
from collectors.netflow.session import Sessions
from soc.errors import ParseError

V9_GOOD = v9_packet(
    v9_template_set((300, [(8, 4), (12, 4), (1, 4), (2, 4), (4, 1), (22, 4), (21, 4)])),
    v9_options_template_set(400, [(1, 4)], [(34, 4), (82, 8)]),
    data_set(400, b"\0\0\0\0" + struct.pack("!I", 10) + b"eth0\0\0\0\0"),
    data_set(300, (ipv4("10.0.0.1") + ipv4("10.0.0.2") + struct.pack("!IIBII", 9, 1, 6, 1, 2)) * 3),
)
IPFIX_GOOD = ipfix_message(
    ipfix_template_set(
        ipfix_template(256, [(27, 16), (28, 16), (1, 8), (96, 0xFFFF), (7, 2, 9), (152, 8)]),
        ipfix_template(257, [(7, 2), (11, 2)]),
        ipfix_template(258, [(4, 1), (292, 0xFFFF), (291, 0xFFFF)]),
    ),
    ipfix_options_template_set(259, 1, [(149, 4), (160, 8), (305, 4), (306, 4)]),
    data_set(259, struct.pack("!IQII", 1, 1_699_999_000_000, 1, 1), pad=False),
    data_set(
        256,
        bytes(16)
        + bytes(15)
        + b"\x01"
        + struct.pack("!Q", 5)
        + varlen(b"http")
        + b"ab"
        + struct.pack("!Q", 1_700_000_000_000),
        pad=False,
    ),
    data_set(
        258,
        b"\x11"
        + varlen(b"\x03\x01\x01" + struct.pack("!HH", 80, 443))
        + varlen(b"\x03" + struct.pack("!HH", 483, 4) + struct.pack("!I", 65000)),
        pad=False,
    ),
)


def receive(state: Sessions, datagram: bytes) -> int:
    """The listener's path after the socket; returns the events made."""
    try:
        packet = decode(datagram, exporter="fuzz")
    except ParseError:
        return 0
    if isinstance(packet, V5Packet):
        return len(packet.records)
    outcome = state.process(packet, ip="192.0.2.1", port=9, now=0)
    for problem in outcome.problems:
        assert isinstance(problem.reason, str) and isinstance(problem.raw, bytes)
    events = normalize_flows(outcome.flows, community_id=CommunityId())
    json.dumps(events)  # everything in an event is JSON
    return len(events)


def new_state() -> Sessions:
    return Sessions(pending_max_records=50, pending_max_age_seconds=60)


def test_the_good_packets_decode_fully() -> None:
    state = new_state()
    assert receive(state, V9_GOOD) == 3
    assert receive(state, IPFIX_GOOD) == 2


@settings(max_examples=300)
@given(st.sampled_from([9, 10]), st.binary(max_size=600))
def test_arbitrary_bytes_after_a_v9_or_ipfix_version(version: int, rest: bytes) -> None:
    receive(new_state(), struct.pack("!H", version) + rest)


@settings(max_examples=400)
@given(st.sampled_from([V9_GOOD, IPFIX_GOOD]), st.data())
def test_garbled_and_truncated_packets(good: bytes, data: st.DataObject) -> None:
    datagram = bytearray(good)
    for _ in range(data.draw(st.integers(0, 10))):
        position = data.draw(st.integers(2, len(datagram) - 1))
        datagram[position] = data.draw(st.integers(0, 255))
    datagram = datagram[: data.draw(st.integers(0, len(datagram)))]
    state = new_state()
    receive(state, good)  # templates known, so garbled data is decoded, not just buffered
    receive(state, bytes(datagram))
    saved = json.loads(json.dumps(state.to_json()))
    assert new_state().restore(saved) == 0
    assert receive(state, good) >= 0  # the state still works after the garbage
