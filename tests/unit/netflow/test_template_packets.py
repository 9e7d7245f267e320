"""v9 and IPFIX packets to templates and raw data sets: framing, padding, bad parts."""

from __future__ import annotations

import struct

import pytest
from netflow_craft import (
    data_set,
    flowset,
    ipfix_message,
    ipfix_options_template_set,
    ipfix_template,
    ipfix_template_set,
    ipfix_withdrawal_set,
    v9_options_template_set,
    v9_packet,
    v9_template_set,
)
from scapy.layers.netflow import (
    NetflowDataflowsetV9,
    NetflowFlowsetV9,
    NetflowHeader,
    NetflowHeaderV9,
    NetflowRecordV9,
    NetflowTemplateFieldV9,
    NetflowTemplateV9,
)

from collectors.netflow.decode import decode
from collectors.netflow.ipfix import IpfixHeader, IpfixPacket
from collectors.netflow.sets import DataSet
from collectors.netflow.templates import Template, TemplateField, Withdrawal
from collectors.netflow.v9 import V9Header, V9Packet
from soc.errors import ParseError


def test_v9_header_templates_and_data_in_packet_order() -> None:
    datagram = v9_packet(
        data_set(300, b"\x06\x00\x50"),
        v9_template_set((300, [(4, 1), (7, 2)]), (301, [(8, 4)])),
        v9_options_template_set(302, [(1, 4)], [(34, 4), (35, 1)]),
        sys_uptime=1234,
        unix_secs=1_700_000_000,
        sequence=77,
        source_id=5,
    )
    packet = decode(datagram, exporter="x")
    assert isinstance(packet, V9Packet)
    assert packet.header == V9Header(9, 3, 1234, 1_700_000_000, 77, 5)
    assert packet.problems == []
    assert packet.items == [
        DataSet(300, b"\x06\x00\x50\x00"),  # the padding stays; the record decoder skips it
        Template(300, (TemplateField(4, 1), TemplateField(7, 2))),
        Template(301, (TemplateField(8, 4),)),
        Template(302, (TemplateField(1, 4), TemplateField(34, 4), TemplateField(35, 1)), 1, True),
    ]


def test_v9_packets_from_scapy_decode_the_same() -> None:
    """scapy as an independent encoder of the template and data FlowSets."""
    template = NetflowTemplateV9(
        templateID=260,
        template_fields=[
            NetflowTemplateFieldV9(fieldType=8, fieldLength=4),
            NetflowTemplateFieldV9(fieldType=12, fieldLength=4),
            NetflowTemplateFieldV9(fieldType=1, fieldLength=4),
        ],
    )
    packet = (
        NetflowHeader(version=9)
        / NetflowHeaderV9(sysUptime=5000, unixSecs=1_700_000_000, packageSequence=3, SourceID=7)
        / NetflowFlowsetV9(templates=[template])
        / NetflowDataflowsetV9(
            templateID=260,
            records=[
                NetflowRecordV9(fieldValue=b"\x0a\x00\x00\x01\xcb\x00\x71\x09\x00\x00\x05\xdc")
            ],
        )
    )
    decoded = decode(bytes(packet), exporter="x")
    assert isinstance(decoded, V9Packet)
    assert decoded.header.source_id == 7
    assert decoded.items[0] == Template(
        260, (TemplateField(8, 4), TemplateField(12, 4), TemplateField(1, 4))
    )
    assert isinstance(decoded.items[1], DataSet)
    assert decoded.items[1].body[:12] == bytes.fromhex("0a000001cb007109000005dc")


def test_v9_reserved_flowset_ids_are_skipped() -> None:
    packet = decode(v9_packet(flowset(7, b"\xff" * 8), data_set(256, b"ab")), exporter="x")
    assert packet.items == [DataSet(256, b"ab\0\0")]
    assert packet.problems == []


def test_v9_a_flowset_with_an_impossible_length_ends_the_walk_but_keeps_earlier_sets() -> None:
    datagram = v9_packet(data_set(256, b"abcd")) + struct.pack("!HH", 300, 2) + b"rest"
    packet = decode(datagram, exporter="x")
    assert packet.items == [DataSet(256, b"abcd")]
    (problem,) = packet.problems
    assert "has length 2" in problem.reason
    assert problem.raw.endswith(b"rest")


def test_v9_a_truncated_flowset_is_reported() -> None:
    datagram = v9_packet(data_set(256, b"abcd"), data_set(257, b"x" * 40))[:-10]
    packet = decode(datagram, exporter="x")
    assert packet.items == [DataSet(256, b"abcd")]
    assert "truncated" in packet.problems[0].reason


def test_v9_a_malformed_template_costs_only_its_flowset() -> None:
    bad = flowset(0, struct.pack("!HH", 300, 50) + b"\0\x08\0\x04")  # claims 50 fields
    packet = decode(v9_packet(bad, data_set(256, b"abcd")), exporter="x")
    assert packet.items == [DataSet(256, b"abcd")]
    assert "template 300 with 50 fields does not fit" in packet.problems[0].reason


def test_v9_an_empty_template_is_skipped_and_the_templates_after_it_are_read() -> None:
    # Filebeat's v9 decoder skips 0-field templates ("Ignore empty template"); one must not
    # cost the templates that follow it in the FlowSet.
    body = struct.pack("!HH", 300, 0) + struct.pack("!HHHHHH", 301, 2, 8, 4, 12, 4)
    packet = decode(v9_packet(flowset(0, body)), exporter="x")
    assert packet.items == [Template(301, (TemplateField(8, 4), TemplateField(12, 4)))]
    assert packet.problems == []


def test_v9_a_template_with_a_reserved_id_ends_its_flowset() -> None:
    body = struct.pack("!HHHH", 301, 1, 12, 4) + struct.pack("!HHHH", 7, 1, 8, 4)
    packet = decode(v9_packet(flowset(0, body), data_set(256, b"abcd")), exporter="x")
    assert packet.items == [Template(301, (TemplateField(12, 4),)), DataSet(256, b"abcd")]
    (problem,) = packet.problems
    assert "reserved id 7" in problem.reason
    assert problem.raw == struct.pack("!HHHH", 7, 1, 8, 4)


def test_v9_zero_fill_after_the_last_flowset_is_padding() -> None:
    packet = decode(v9_packet(data_set(256, b"abcd")) + b"\0" * 300, exporter="x")
    assert packet.items == [DataSet(256, b"abcd")]
    assert packet.problems == []


def test_v9_a_header_cut_short_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="v9 header truncated: 12 of 20 bytes"):
        decode(v9_packet()[:12], exporter="x")


def test_ipfix_header_templates_enterprise_fields_and_options() -> None:
    datagram = ipfix_message(
        ipfix_template_set(
            ipfix_template(256, [(8, 4), (1, 4), (700, 32, 25461)]),
            ipfix_template(257, [(27, 16)]),
        ),
        ipfix_options_template_set(258, 1, [(149, 4), (305, 4), (306, 4)]),
        data_set(256, b"x" * 40, pad=False),
        export_time=1_700_000_000,
        sequence=42,
        domain=9,
    )
    packet = decode(datagram, exporter="x")
    assert isinstance(packet, IpfixPacket)
    assert packet.header == IpfixHeader(10, len(datagram), 1_700_000_000, 42, 9)
    assert packet.problems == []
    assert packet.items == [
        Template(256, (TemplateField(8, 4), TemplateField(1, 4), TemplateField(700, 32, 25461))),
        Template(257, (TemplateField(27, 16),)),
        Template(
            258, (TemplateField(149, 4), TemplateField(305, 4), TemplateField(306, 4)), 1, True
        ),
        DataSet(256, b"x" * 40),
    ]


def test_ipfix_withdrawals_of_one_template_and_of_all() -> None:
    packet = decode(
        ipfix_message(ipfix_withdrawal_set(256, 2), ipfix_withdrawal_set(3, options=True)),
        exporter="x",
    )
    assert packet.items == [
        Withdrawal(256, options=False, all_of_kind=False),
        Withdrawal(2, options=False, all_of_kind=True),
        Withdrawal(3, options=True, all_of_kind=True),
    ]


def test_ipfix_padding_in_a_template_set_is_not_a_template() -> None:
    body = ipfix_template(256, [(8, 4)]) + b"\0\0\0"
    packet = decode(ipfix_message(flowset(2, body, pad=False)), exporter="x")
    assert packet.items == [Template(256, (TemplateField(8, 4),))]
    assert packet.problems == []


def test_ipfix_options_template_without_scope_is_invalid() -> None:
    packet = decode(ipfix_message(ipfix_options_template_set(258, 0, [(34, 4)])), exporter="x")
    assert packet.items == []
    assert "options template 258" in packet.problems[0].reason


def test_ipfix_an_invalid_options_template_costs_only_itself() -> None:
    no_scope = struct.pack("!HHH", 258, 1, 0) + struct.pack("!HH", 34, 4)
    good = struct.pack("!HHH", 259, 2, 1) + struct.pack("!HHHH", 149, 4, 34, 4)
    packet = decode(ipfix_message(flowset(3, no_scope + good, pad=False)), exporter="x")
    assert packet.items == [
        Template(259, (TemplateField(149, 4), TemplateField(34, 4)), 1, True),
    ]
    (problem,) = packet.problems
    assert "options template 258" in problem.reason and "invalid" in problem.reason
    assert problem.raw == no_scope


def test_ipfix_a_message_longer_than_its_datagram_keeps_the_whole_sets() -> None:
    whole = ipfix_message(data_set(256, b"a" * 8, pad=False), data_set(257, b"b" * 30, pad=False))
    packet = decode(whole[:-5], exporter="x")
    assert packet.items == [DataSet(256, b"a" * 8)]
    reasons = " | ".join(p.reason for p in packet.problems)
    assert "claims" in reasons and "truncated" in reasons


def test_ipfix_bytes_after_the_message_are_ignored() -> None:
    message = ipfix_message(data_set(256, b"a" * 8, pad=False))
    packet = decode(message + data_set(257, b"b" * 8, pad=False), exporter="x")
    assert packet.items == [DataSet(256, b"a" * 8)]
    assert packet.problems == []


def test_ipfix_a_set_running_past_a_too_short_message_length_is_read_whole() -> None:
    # An exporter's message length one set short: the self-framed set still fits the datagram
    whole = ipfix_message(data_set(256, b"a" * 8, pad=False), data_set(257, b"b" * 30, pad=False))
    short = whole[:2] + struct.pack("!H", len(whole) - 18) + whole[4:]
    packet = decode(short, exporter="x")
    assert packet.items == [DataSet(256, b"a" * 8), DataSet(257, b"b" * 30)]
    assert packet.problems == []


def test_ipfix_an_impossible_message_length_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="IPFIX message length 3"):
        decode(ipfix_message(length=3), exporter="x")


# An options template as Open vSwitch exports it (exportingProcessId scope, systemInit time,
# exporter addresses, export protocol and transport), from Edgio/vflow ipfix/decoder_test.go
# `optsTpl` (Apache-2.0), whose `multiMessage` repeats the record with its 2 alignment bytes.
OVS_OPTIONS_RECORD = bytes.fromhex("0200000600010090000400a00008008200040083001000d6000100d70001")


def test_ipfix_options_templates_each_padded_to_32_bits_are_all_read() -> None:
    body = OVS_OPTIONS_RECORD + b"\0\0" + OVS_OPTIONS_RECORD.replace(b"\x02\x00", b"\x02\x01", 1)
    packet = decode(ipfix_message(flowset(3, body + b"\0\0", pad=False)), exporter="x")
    assert packet.problems == []
    assert [(t.template_id, t.scope_count, len(t.fields)) for t in packet.items] == [
        (512, 1, 6),
        (513, 1, 6),
    ]


def test_v9_options_templates_each_padded_to_32_bits_are_all_read() -> None:
    record = struct.pack("!HHH", 300, 4, 8) + struct.pack("!HHHHHH", 1, 4, 34, 4, 35, 1)
    second = struct.pack("!HHH", 301, 4, 4) + struct.pack("!HHHH", 2, 4, 82, 16)
    packet = decode(v9_packet(flowset(1, record + b"\0\0" + second)), exporter="x")
    assert packet.problems == []
    assert [(t.template_id, t.scope_count, len(t.fields)) for t in packet.items] == [
        (300, 1, 3),
        (301, 1, 2),
    ]
