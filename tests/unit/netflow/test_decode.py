"""The v5 decoder against datagrams crafted by scapy (an independent encoder) and garbage."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.netflow import NetflowHeader, NetflowHeaderV5, NetflowRecordV5

from collectors.netflow.decode import V5_MAX_RECORDS, V5Header, V5Packet, V5Record, decode
from soc.errors import ParseError

HEADER = {
    "sysUptime": 3_600_123,
    "unixSecs": 1_700_000_000,
    "unixNanoSeconds": 123_456_789,
    "flowSequence": 987_654,
    "engineType": 1,
    "engineID": 7,
    "samplingInterval": (1 << 14) | 512,
}
RECORDS = [
    {
        "src": "10.20.1.5",
        "dst": "203.0.113.9",
        "nexthop": "10.20.0.1",
        "input": 3,
        "output": 5,
        "dpkts": 42,
        "dOctets": 61_234,
        "first": 3_590_000,
        "last": 3_599_999,
        "srcport": 51_234,
        "dstport": 443,
        "tcpFlags": 0x1B,
        "prot": 6,
        "tos": 0xB8,
        "src_as": 64_512,
        "dst_as": 15_169,
        "src_mask": 16,
        "dst_mask": 24,
    },
    {
        "src": "10.30.7.7",
        "dst": "8.8.8.8",
        "nexthop": "10.30.0.1",
        "input": 1,
        "output": 2,
        "dpkts": 1,
        "dOctets": 76,
        "first": 3_600_000,
        "last": 3_600_000,
        "srcport": 40_000,
        "dstport": 53,
        "tcpFlags": 0,
        "prot": 17,
        "tos": 0,
        "src_as": 0,
        "dst_as": 0,
        "src_mask": 0,
        "dst_mask": 0,
    },
]


def craft(records: list[dict] = RECORDS, **header: int) -> bytes:
    packet = NetflowHeader(version=5) / NetflowHeaderV5(count=len(records), **{**HEADER, **header})
    for record in records:
        packet /= NetflowRecordV5(**record)
    return bytes(packet)


def test_every_header_and_record_field_round_trips() -> None:
    packet = decode(craft(), exporter="192.0.2.1:2055")

    assert packet.header == V5Header(
        version=5,
        count=2,
        sys_uptime=3_600_123,
        unix_secs=1_700_000_000,
        unix_nsecs=123_456_789,
        flow_sequence=987_654,
        engine_type=1,
        engine_id=7,
        sampling_interval=(1 << 14) | 512,
    )
    assert (packet.header.sampling_mode, packet.header.sampling_rate) == (1, 512)
    assert packet.records == [
        V5Record(
            src_addr=r["src"],
            dst_addr=r["dst"],
            next_hop=r["nexthop"],
            input_interface=r["input"],
            output_interface=r["output"],
            packets=r["dpkts"],
            octets=r["dOctets"],
            first=r["first"],
            last=r["last"],
            src_port=r["srcport"],
            dst_port=r["dstport"],
            tcp_flags=r["tcpFlags"],
            protocol=r["prot"],
            tos=r["tos"],
            src_as=r["src_as"],
            dst_as=r["dst_as"],
            src_mask=r["src_mask"],
            dst_mask=r["dst_mask"],
        )
        for r in RECORDS
    ]


def test_counters_are_unsigned_32_bit() -> None:
    # scapy's IntField is signed, so the top of the range is packed by hand.
    datagram = bytearray(craft(RECORDS[:1]))
    struct.pack_into("!II", datagram, 24 + 16, 0xFFFF_FFFF, 0x8000_0000)
    record = decode(bytes(datagram), exporter="x").records[0]
    assert (record.packets, record.octets) == (0xFFFF_FFFF, 0x8000_0000)


def test_a_datagram_with_no_records_is_empty_not_an_error() -> None:
    packet = decode(craft([]), exporter="x")
    assert packet.header.count == 0
    assert packet.records == []


def test_bytes_after_the_last_record_are_ignored() -> None:
    packet = decode(craft() + b"\0\0\0\0", exporter="x")
    assert len(packet.records) == 2


@pytest.mark.parametrize("cut", [0, 1, 2, 23, 24, 25, 71, 119])
def test_truncated_datagrams_raise_parse_error_naming_the_exporter(cut: int) -> None:
    with pytest.raises(ParseError) as raised:
        decode(craft()[:cut], exporter="192.0.2.1:2055")
    assert raised.value.where == "192.0.2.1:2055"
    assert "truncated" in str(raised.value) or "no version field" in str(raised.value)


def test_count_against_length_is_explained() -> None:
    with pytest.raises(ParseError, match=r"claims 2 records \(120 bytes\), received 100 bytes"):
        decode(craft()[:100], exporter="x")


def test_unsupported_version_is_rejected_with_the_supported_list() -> None:
    datagram = b"\x00\x07" + craft()[2:]
    with pytest.raises(ParseError, match=r"unsupported NetFlow version 7 \(supported: 5, 9, 10\)"):
        decode(datagram, exporter="x")


def test_a_count_beyond_the_v5_limit_is_garbage() -> None:
    datagram = bytearray(craft())
    struct.pack_into("!H", datagram, 2, V5_MAX_RECORDS + 1)
    with pytest.raises(ParseError, match="allows 30"):
        decode(bytes(datagram), exporter="x")


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_decode_or_raise_parse_error(datagram: bytes) -> None:
    try:
        packet = decode(datagram, exporter="x")
    except ParseError:
        return
    assert packet.header.version in (5, 9, 10)
    if isinstance(packet, V5Packet):
        assert len(packet.records) == packet.header.count


@given(st.data())
def test_garbled_v5_datagrams_decode_or_raise_parse_error(data: st.DataObject) -> None:
    datagram = bytearray(craft())
    for _ in range(data.draw(st.integers(0, 8))):
        position = data.draw(st.integers(0, len(datagram) - 1))
        datagram[position] = data.draw(st.integers(0, 255))
    datagram = datagram[: data.draw(st.integers(0, len(datagram)))]
    try:
        packet = decode(bytes(datagram), exporter="x")
    except ParseError:
        return
    if isinstance(packet, V5Packet):
        assert len(datagram) >= 24 + 48 * packet.header.count
