"""Which captured UDP datagrams are read as exports or syslog, and that no datagram, however
mangled, stops a capture from being read."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netflow_craft import (
    data_set,
    flowset,
    ipfix_message,
    ipfix_template,
    ipfix_template_set,
    ipv4,
    v9_packet,
    v9_template_set,
)
from scapy.layers.inet import UDP
from scapy.utils import rdpcap
from shared_data import SHARED_DATA

from collectors.files.captured_exports import CapturedExports, is_syslog, netflow_version
from collectors.netflow.community_id import CommunityId

FIELDS = ((8, 4), (12, 4), (2, 4))  # source and destination IPv4 address, packets
RECORD = ipv4("10.1.2.3") + ipv4("10.9.8.7") + struct.pack("!I", 5)
V9 = v9_packet(v9_template_set((256, FIELDS)), data_set(256, RECORD, RECORD))
IPFIX = ipfix_message(ipfix_template_set(ipfix_template(256, FIELDS)), data_set(256, RECORD))
V5 = struct.pack("!HHIIIIBBH", 5, 1, 1000, 1_700_000_000, 0, 0, 0, 0, 0) + bytes(48)


def test_exports_of_each_version_are_recognised() -> None:
    assert netflow_version(V5, len(V5)) == 5
    assert netflow_version(V9, len(V9)) == 9
    assert netflow_version(IPFIX, len(IPFIX)) == 10
    padded = V9 + bytes(12)  # Palo Alto fills its datagrams with zeros after the last set
    assert netflow_version(padded, len(padded)) == 9
    # What the capture kept of a longer datagram, cut after whole sets or inside one.
    assert netflow_version(V9[:-5], len(V9)) == 9


@pytest.mark.parametrize(
    "payload",
    [
        V5[:-1],  # a record short
        V5 + bytes(48),  # a record more than the header counts
        V9[:20] + b"\x00\x00\x00\x02",  # a set shorter than its own header
        V9[:20] + flowset(7, b"abcd"),  # set ids 2-255 are reserved in v9
        V9 + b"\x01",  # a stray byte after the last set
        IPFIX[:2] + struct.pack("!H", len(IPFIX) + 4) + IPFIX[4:],  # its length field is wrong
        b"\x00\x09" + bytes(18),  # a header and nothing else
    ],
)
def test_datagrams_that_only_look_like_exports_are_not(payload: bytes) -> None:
    assert netflow_version(payload, len(payload)) is None


def test_other_udp_in_real_captures_stays_packets() -> None:
    """DNS and the rest of the shared captures' UDP: neither export nor syslog."""
    payloads = [
        bytes(frame[UDP].payload)
        for name in ("dns_icmp.pcap", "http.pcap", "nb6-http.pcap", "truncated_dns.pcap")
        for frame in rdpcap(str(SHARED_DATA / "pcap" / name))
        if UDP in frame
    ]
    assert len(payloads) > 5
    for payload in payloads:
        assert netflow_version(payload, len(payload)) is None
        assert not is_syslog(payload)


def test_syslog_needs_a_priority_a_sender_could_write() -> None:
    assert is_syslog(b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed")
    assert is_syslog(b"<191>1 2024-01-01T00:00:00Z h a - - - m")
    assert not is_syslog(b"<192>Oct 11 22:14:15 host x: y")  # facility 24 does not exist
    assert not is_syslog(b"<?xml version='1.0'?>")
    assert not is_syslog(b"Oct 11 22:14:15 host x: no priority")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from([V5, V9, IPFIX, b"<13>Oct 11 22:14:15 host app: message"]),
    cut=st.integers(min_value=0, max_value=200),
    flips=st.lists(st.tuples(st.integers(0, 199), st.integers(0, 255)), max_size=6),
    declared_extra=st.integers(min_value=0, max_value=64),
)
def test_no_datagram_stops_the_reading(
    base: bytes, cut: int, flips: list[tuple[int, int]], declared_extra: int
) -> None:
    payload = bytearray(base[:cut] if cut < len(base) else base)
    for at, value in flips:
        if at < len(payload):
            payload[at] = value
    exports = CapturedExports(CommunityId())
    declared = len(payload) + declared_extra
    events = exports.take(bytes(payload), declared, ("10.0.0.1", 2055), 1_700_000_000.0)
    events = [*(events or ()), *(exports.take(V9, len(V9), ("10.0.0.1", 2055), 1.7e9) or ())]
    exports.finish()
    # The good export after the mangled one is always read whole.
    assert sum(e["event"]["dataset"] == "netflow.log" for e in events) >= 2
    for reason, _ in exports.problems:
        assert reason


def test_a_capture_time_past_any_date_is_a_problem_not_a_crash() -> None:
    """pcapng keeps 64-bit times: a broken block can put a packet in the year 3,000,000."""
    exports = CapturedExports(CommunityId())
    line = b"<13>Oct 11 22:14:15 host app: message"
    assert exports.take(line, len(line), ("10.0.0.1", 514), 1e14) == []
    [(reason, raw)] = exports.problems
    assert reason.startswith("syslog from 10.0.0.1: internal error: ValueError(")
    assert raw == line
