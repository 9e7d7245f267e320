"""Record decoding by abstract type: reduced sizes, variable lengths, lists, odd values."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from netflow_craft import ipv4, varlen

from collectors.netflow.elements import ipfix_element
from collectors.netflow.fields import RecordDecoder
from collectors.netflow.lists import ListDecoder
from collectors.netflow.templates import VARIABLE_LENGTH, Template, TemplateField


def decoder(*fields: tuple[int, int] | tuple[int, int, int], lists: ListDecoder | None = None):
    template = Template(300, tuple(TemplateField(*f) for f in fields))
    elements = [ipfix_element(f.element_id, f.pen) for f in template.fields]
    return RecordDecoder(template, elements, lists)


def test_fixed_records_decode_every_type() -> None:
    fields = [(8, 4), (27, 16), (1, 8), (7, 2), (56, 6), (96, 8), (152, 8), (150, 4), (311, 8)]
    record = (
        ipv4("10.20.1.5")
        + bytes.fromhex("20010db8000000000000000000000001")
        + struct.pack("!Q", 2**63 + 5)
        + struct.pack("!H", 443)
        + bytes.fromhex("0a1b2c3d4e5f")
        + b"https\0\0\0"
        + struct.pack("!Q", 1_700_000_000_123)
        + struct.pack("!I", 1_700_000_000)
        + struct.pack("!d", 0.01)
    )
    (decoded,), problem = decoder(*fields).decode(record * 1)
    assert problem is None
    assert decoded == {
        "source_ipv4_address": "10.20.1.5",
        "source_ipv6_address": "2001:db8::1",
        "octet_delta_count": 2**63 + 5,
        "source_transport_port": 443,
        "source_mac_address": "0A-1B-2C-3D-4E-5F",
        "application_name": "https",
        "flow_start_milliseconds": datetime(2023, 11, 14, 22, 13, 20, 123_000, tzinfo=UTC),
        "flow_start_seconds": datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        "sampling_probability": 0.01,
    }


def test_reduced_size_integers_decode_by_their_length() -> None:
    # octetDeltaCount (unsigned64) in 4 and 3 bytes, tcpControlBits (unsigned16) in 1.
    (record,), _ = decoder((1, 4), (2, 3), (6, 1)).decode(
        struct.pack("!I", 4_000_000_000) + (70_000).to_bytes(3, "big") + b"\x12"
    )
    assert record == {
        "octet_delta_count": 4_000_000_000,
        "packet_delta_count": 70_000,
        "tcp_control_bits": 0x12,
    }


def test_float64_may_be_sent_as_float32() -> None:
    (record,), _ = decoder((311, 4)).decode(struct.pack("!f", 0.5))
    assert record == {"sampling_probability": 0.5}


def test_ntp_timestamps_of_microsecond_and_nanosecond_fields() -> None:
    ntp = (1_700_000_000 + 2_208_988_800) << 32 | 1 << 31  # +0.5 s
    (record,), _ = decoder((154, 8), (156, 8)).decode(struct.pack("!QQ", ntp, ntp))
    half = datetime(2023, 11, 14, 22, 13, 20, 500_000, tzinfo=UTC)
    assert record == {"flow_start_microseconds": half, "flow_start_nanoseconds": half}


def test_pmacct_microsecond_times_are_16_byte_unix_timevals() -> None:
    """pmacct's probe with `nfprobe_tstamp_usec` (as captured from pmacctd 1.7.7): seconds and
    microseconds since 1970, 64 bits each. A microsecond part of a second or more is not a
    timeval; the other time types keep their own lengths."""
    timeval = bytes.fromhex("000000006553f1000000000000004de4")
    not_timeval = struct.pack("!QQ", 1_700_000_000, 1_000_000)
    (record,), problem = decoder((154, 16), (155, 16), (156, 16)).decode(
        timeval + not_timeval + timeval
    )
    assert problem is None
    assert record == {
        "flow_start_microseconds": datetime(2023, 11, 14, 22, 13, 20, 19_940, tzinfo=UTC),
        "flow_end_microseconds": not_timeval.hex(),
        "flow_start_nanoseconds": timeval.hex(),
    }


def test_odd_lengths_and_values_are_kept_raw_instead_of_failing() -> None:
    # A 5-byte "IPv4 address", a 9-byte counter, a boolean of 7, a timestamp past year 9999.
    raw = b"\x0a\x00\x00\x01\x02" + b"\x01" * 9 + b"\x07" + struct.pack("!Q", 2**63)
    (record,), problem = decoder((8, 5), (1, 9), (276, 1), (152, 8)).decode(raw)
    assert problem is None
    assert record == {
        "source_ipv4_address": "0a00000102",
        "octet_delta_count": "01" * 9,
        "data_records_reliability": 7,
        "flow_start_milliseconds": 2**63,
    }


def test_unknown_and_enterprise_fields_are_kept_generically() -> None:
    (record,), _ = decoder((4, 1), (32000, 2), (7, 3, 12356)).decode(b"\x06\xbe\xef\x01\x02\x03")
    assert record == {"protocol_identifier": 6, "ie_32000": "beef", "pen12356_ie_7": "010203"}


def test_padding_after_the_last_record_is_ignored() -> None:
    records, problem = decoder((4, 1), (7, 2)).decode(b"\x06\x00\x50" * 2 + b"\0\0")
    assert problem is None
    assert records == [{"protocol_identifier": 6, "source_transport_port": 80}] * 2


def test_zero_length_fields_take_no_bytes_and_give_no_value() -> None:
    (record,), _ = decoder((4, 1), (96, 0), (7, 2)).decode(b"\x11\x00\x35")
    assert record == {"protocol_identifier": 17, "source_transport_port": 53}


def test_a_template_of_only_empty_fields_is_a_problem_not_a_loop() -> None:
    records, problem = decoder((96, 0)).decode(b"\0" * 8)
    assert records == []
    assert "0 bytes" in (problem or "")


def test_variable_length_one_and_three_byte_forms() -> None:
    long = b"u" * 300
    body = b"\x06" + varlen(b"hello") + b"\x11" + varlen(long)
    records, problem = decoder((4, 1), (96, VARIABLE_LENGTH)).decode(body)
    assert problem is None
    assert records == [
        {"protocol_identifier": 6, "application_name": "hello"},
        {"protocol_identifier": 17, "application_name": "u" * 300},
    ]


def test_a_variable_length_overrunning_its_set_keeps_the_records_before_it() -> None:
    body = b"\x06" + varlen(b"ok") + b"\x11" + b"\x20short"
    records, problem = decoder((4, 1), (96, VARIABLE_LENGTH)).decode(body)
    assert records == [{"protocol_identifier": 6, "application_name": "ok"}]
    assert "record 2 runs past the end" in (problem or "")


def test_zero_padding_after_short_variable_length_records_is_not_a_record() -> None:
    # Two variable-length strings: a record can be 2 bytes, shorter than the FlowSet's
    # alignment padding (H3C NetStream sends v9 templates of variable-length strings)
    body = varlen(b"www") + varlen(b"") + b"\0\0\0"
    records, problem = decoder((82, VARIABLE_LENGTH), (83, VARIABLE_LENGTH)).decode(body)
    assert problem is None
    assert records == [{"interface_name": "www", "interface_description": ""}]


def test_records_of_empty_fields_in_a_list_are_records() -> None:
    inner = Template(400, (TemplateField(96, VARIABLE_LENGTH),))
    listed = b"\x03" + struct.pack("!H", 400) + b"\0\0"  # two empty application names
    (record,), _ = decoder((292, VARIABLE_LENGTH), lists=_lists(inner)).decode(varlen(listed))
    assert record["sub_template_list"]["records"] == [{"application_name": ""}] * 2


def test_repeated_elements_keep_every_value() -> None:
    (record,), _ = decoder((82, 4), (82, 4)).decode(b"eth0eth1")
    assert record == {"interface_name": "eth0", "interface_name_2": "eth1"}


def _lists(*templates: Template) -> ListDecoder:
    compiled = {
        t.template_id: RecordDecoder(t, [ipfix_element(f.element_id) for f in t.fields])
        for t in templates
    }
    return ListDecoder(compiled.get)


def test_basic_list_of_fixed_and_variable_elements() -> None:
    communities = b"\x03" + struct.pack("!HH", 483, 4) + struct.pack("!II", 65000, 65001)
    names = b"\x04" + struct.pack("!HH", 82, VARIABLE_LENGTH) + varlen(b"ge-0") + varlen(b"ge-1")
    body = varlen(communities) + varlen(names)
    fields = ((484, VARIABLE_LENGTH), (291, VARIABLE_LENGTH))
    (record,), problem = decoder(*fields, lists=_lists()).decode(body)
    assert problem is None
    assert record == {
        "bgp_source_community_list": {
            "semantic": "allOf",
            "element": "bgp_community",
            "values": [65000, 65001],
        },
        "basic_list": {
            "semantic": "ordered",
            "element": "interface_name",
            "values": ["ge-0", "ge-1"],
        },
    }


def test_sub_template_lists_decode_with_the_sessions_templates() -> None:
    inner = Template(400, (TemplateField(7, 2), TemplateField(11, 2)))
    one = b"\x03" + struct.pack("!H", 400) + struct.pack("!HHHH", 1, 2, 3, 4)
    multi = b"\x03" + struct.pack("!HH", 400, 8) + struct.pack("!HH", 5, 6)
    multi += struct.pack("!HH", 999, 6) + b"\xab\xcd"
    fields = ((292, VARIABLE_LENGTH), (293, VARIABLE_LENGTH))
    (record,), _ = decoder(*fields, lists=_lists(inner)).decode(varlen(one) + varlen(multi))
    ports = [{"source_transport_port": 1, "destination_transport_port": 2}]
    ports.append({"source_transport_port": 3, "destination_transport_port": 4})
    assert record["sub_template_list"] == {
        "semantic": "allOf",
        "template_id": 400,
        "records": ports,
    }
    assert record["sub_template_multi_list"] == {
        "semantic": "allOf",
        "lists": [
            {
                "template_id": 400,
                "records": [{"source_transport_port": 5, "destination_transport_port": 6}],
            },
            {"template_id": 999, "raw": "abcd"},
        ],
    }


def test_a_malformed_list_is_kept_as_hex_and_the_record_survives() -> None:
    broken = b"\x03" + struct.pack("!HH", 483, 4) + b"\x00\x01"  # 2 bytes of a 4-byte element
    (record,), problem = decoder((4, 1), (484, VARIABLE_LENGTH), lists=_lists()).decode(
        b"\x06" + varlen(broken)
    )
    assert problem is None
    assert record == {"protocol_identifier": 6, "bgp_source_community_list": broken.hex()}


def test_zero_padding_after_records_shorter_than_it_is_not_records() -> None:
    # 1-byte records in a v9 FlowSet padded to 32 bits: 2 records and 2 bytes of padding
    records, problem = decoder((4, 1)).decode(b"\x06\x11\0\0")
    assert problem is None
    assert records == [{"protocol_identifier": 6}, {"protocol_identifier": 17}]
    # a record of zeros before the last 3 bytes is a record
    assert len(decoder((4, 1)).decode(b"\x06\0\0\0\0")[0]) == 2
