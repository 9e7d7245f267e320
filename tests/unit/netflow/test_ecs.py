"""v9/IPFIX flow records to ECS: times of every kind, IPv6, NAT, sampling, biflows, names."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import orjson
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
)

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import decode
from collectors.netflow.ecs import Export, flow_event
from collectors.netflow.normalize import normalize_flows
from collectors.netflow.options import OptionsState
from collectors.netflow.session import Sessions
from collectors.netflow.times import flow_times

EXPORT_NS = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z
V9 = Export.of("192.0.2.1", EXPORT_NS, 100_000, {"address": "192.0.2.1:2055"})
IPFIX = Export.of("192.0.2.1", EXPORT_NS, None, {"address": "192.0.2.1:4739"})
AT = datetime(2023, 11, 14, 22, 13, 0, tzinfo=UTC)


def times(fields: dict, export: Export, system_init_ms: int | None) -> tuple:
    return flow_times(
        fields,
        export_ns=export.export_ns,
        sys_uptime_ms=export.sys_uptime_ms,
        system_init_ms=system_init_ms,
    )


def event(fields: dict, export: Export = IPFIX, options: OptionsState | None = None, rate=1.0):
    return flow_event(
        fields,
        export,
        options=options or OptionsState(),
        rate=rate,
        community_id=CommunityId(),
        structured=True,
    )


def test_v9_uptime_times_are_relative_to_the_header() -> None:
    fields = {"flow_start_sys_up_time": 90_000, "flow_end_sys_up_time": 99_500}
    assert times(fields, V9, None) == (EXPORT_NS - 10 * 10**9, EXPORT_NS - 500 * 10**6)


def test_ipfix_uptime_times_are_relative_to_system_init_time() -> None:
    fields = {"flow_start_sys_up_time": 1_000, "flow_end_sys_up_time": 3_000}
    assert times(fields, IPFIX, None) == (None, None)  # nothing to anchor them to
    init_ms = 1_699_999_000_000
    assert times(fields, IPFIX, init_ms) == (
        (init_ms + 1_000) * 10**6,
        (init_ms + 3_000) * 10**6,
    )
    in_record = {**fields, "system_init_time_milliseconds": AT}
    assert times(in_record, IPFIX, None)[0] == (1_699_999_980 + 1) * 10**9


def test_ipfix_uptimes_are_a_signed_difference_from_the_uptime_at_export() -> None:
    export_ms = EXPORT_NS // 10**6
    # up 60 days: the 32-bit counter has wrapped once; a flow 10 s before the export
    init_ms = export_ms - 60 * 86_400_000
    wrapped = (60 * 86_400_000 - 10_000) % 2**32
    fields = {"flow_start_sys_up_time": wrapped, "flow_end_sys_up_time": wrapped + 5_000}
    assert times(fields, IPFIX, init_ms) == (EXPORT_NS - 10 * 10**9, EXPORT_NS - 5 * 10**9)
    # softflowd replaying a capture: flows "before" its init, uptimes just under 2**32
    init_ms = export_ms - 5_000
    fields = {"flow_start_sys_up_time": 2**32 - 1_000, "flow_end_sys_up_time": 2**32 - 500}
    assert times(fields, IPFIX, init_ms) == ((init_ms - 1_000) * 10**6, (init_ms - 500) * 10**6)


def test_ipfix_absolute_times_of_every_precision() -> None:
    for unit in ("seconds", "milliseconds", "microseconds", "nanoseconds"):
        fields = {f"flow_start_{unit}": AT, f"flow_end_{unit}": AT.replace(second=5)}
        assert times(fields, IPFIX, None) == (1_699_999_980 * 10**9, 1_699_999_985 * 10**9)


def test_ipfix_delta_microseconds_count_back_from_the_export() -> None:
    fields = {"flow_start_delta_microseconds": 2_000_000, "flow_end_delta_microseconds": 500}
    assert times(fields, IPFIX, None) == (EXPORT_NS - 2 * 10**9, EXPORT_NS - 500_000)


def test_a_duration_fills_in_the_missing_end() -> None:
    fields = {"flow_start_milliseconds": AT, "flow_duration_milliseconds": 1_500}
    start, end = times(fields, IPFIX, None)
    assert end - start == 1_500_000_000  # type: ignore[operator]


def test_a_firewalls_flow_deleted_event_time_is_the_flows_end() -> None:
    # Cisco ASA NSEL: flow start and the event's time, no end; 2 = flow deleted
    deleted_at = AT.replace(second=7, microsecond=250_000)
    fields = {
        "flow_start_milliseconds": AT,
        "firewall_event": 2,
        "observation_time_milliseconds": deleted_at,
    }
    assert times(fields, IPFIX, None) == (1_699_999_980 * 10**9, 1_699_999_987_250_000_000)
    doc = event(fields)["event"]
    assert (doc["end"], doc["duration"]) == ("2023-11-14T22:13:07.250Z", 7_250_000_000)
    for created_or_denied in (1, 3):
        fields["firewall_event"] = created_or_denied
        assert times(fields, IPFIX, None)[1] is None
    own_end = {**fields, "firewall_event": 2, "flow_end_milliseconds": AT.replace(second=5)}
    assert times(own_end, IPFIX, None)[1] == 1_699_999_985 * 10**9


def test_a_time_past_year_9999_is_left_out_not_raised() -> None:
    fields = {"flow_start_milliseconds": datetime(9999, 12, 31, tzinfo=UTC)}
    fields["flow_duration_milliseconds"] = 2 * 86_400_000
    assert times(fields, IPFIX, None)[1] is None
    doc = event(fields)
    assert "start" in doc["event"] and "end" not in doc["event"]


def test_ipv6_tcp_flow() -> None:
    doc = event(
        {
            "source_ipv6_address": "2001:db8::1",
            "destination_ipv6_address": "2001:db8::2",
            "source_transport_port": 40_000,
            "destination_transport_port": 443,
            "protocol_identifier": 6,
            "tcp_control_bits": 0x12,
            "octet_delta_count": 1_000,
            "packet_delta_count": 4,
            "flow_start_milliseconds": AT,
            "flow_end_milliseconds": AT.replace(second=1),
        }
    )
    assert doc["source"] == {"ip": "2001:db8::1", "port": 40_000, "bytes": 1_000, "packets": 4}
    assert doc["destination"] == {"ip": "2001:db8::2", "port": 443}
    assert doc["network"]["type"] == "ipv6"
    assert doc["network"]["community_id"] == CommunityId().of(
        6, "2001:db8::1", "2001:db8::2", 40_000, 443
    )
    assert doc["event"]["start"] == "2023-11-14T22:13:00.000Z"
    assert doc["event"]["duration"] == 10**9
    assert doc["netflow"]["tcp_flags"] == ["SYN", "ACK"]
    assert doc["netflow"]["flow_start_milliseconds"] == "2023-11-14T22:13:00.000000Z"


def test_icmp_type_and_code_from_the_destination_port_or_their_own_fields() -> None:
    base = {"source_ipv4_address": "10.0.0.1", "destination_ipv4_address": "10.0.0.2"}
    from_port = event({**base, "protocol_identifier": 1, "destination_transport_port": 0x0803})
    assert (from_port["netflow"]["icmp_type_ipv4"], from_port["netflow"]["icmp_code_ipv4"]) == (
        8,
        3,
    )
    assert "port" not in from_port["destination"]
    v6 = event(
        {
            "source_ipv6_address": "2001:db8::1",
            "destination_ipv6_address": "2001:db8::2",
            "protocol_identifier": 58,
            "icmp_type_code_ipv6": 128 * 256,
        }
    )
    assert v6["netflow"]["icmp_type_ipv6"] == 128
    assert v6["network"]["transport"] == "ipv6-icmp"
    assert v6["network"]["community_id"].startswith("1:")


def test_sampling_scales_ecs_counters_and_keeps_the_raw_ones() -> None:
    doc = event(
        {
            "octet_delta_count": 1_000,
            "packet_delta_count": 2,
            "reverse_octet_delta_count": 500,
            "reverse_packet_delta_count": 1,
        },
        rate=100,
    )
    assert doc["source"] == {"bytes": 100_000, "packets": 200}
    assert doc["destination"] == {"bytes": 50_000, "packets": 100}
    assert doc["network"]["bytes"] == 150_000 and doc["network"]["packets"] == 300
    assert doc["netflow"]["octet_delta_count"] == 1_000


def test_counters_past_an_ecs_long_saturate_and_stay_serializable() -> None:
    most = (1 << 64) - 1
    doc = event(
        {"octet_delta_count": most, "packet_delta_count": 1 << 62, "reverse_octet_delta_count": 1},
        rate=1000,
    )
    assert doc["source"] == {"bytes": (1 << 63) - 1, "packets": (1 << 63) - 1}
    assert doc["network"]["bytes"] == (1 << 63) - 1
    assert doc["netflow"]["octet_delta_count"] == most
    orjson.dumps(doc)  # raised "Integer exceeds 64-bit range", failing the sink's batch


def test_post_nat_addresses_map_to_source_and_destination_nat() -> None:
    doc = event(
        {
            "source_ipv4_address": "10.20.1.5",
            "destination_ipv4_address": "203.0.113.9",
            "post_nat_source_ipv4_address": "198.51.100.7",
            "post_napt_source_transport_port": 61_000,
            "post_nat_destination_ipv4_address": "0.0.0.0",  # "no NAT", as firewalls send it
            "post_napt_destination_transport_port": 0,
        }
    )
    assert doc["source"]["nat"] == {"ip": "198.51.100.7", "port": 61_000}
    assert "nat" not in doc["destination"]
    assert doc["related"]["ip"] == ["10.20.1.5", "203.0.113.9", "198.51.100.7"]


def test_an_icmp_flow_has_no_translated_port() -> None:
    # Cisco ASA NSEL puts the ICMP identifier in its xlate port fields (17549 here, from the
    # ASA capture in tests/unit/netflow/test_vendor_packets.py)
    doc = event(
        {
            "source_ipv4_address": "192.168.23.22",
            "destination_ipv4_address": "164.164.37.11",
            "protocol_identifier": 1,
            "xlate_source_address_ip_v4": "192.168.23.22",
            "xlate_source_port": 17549,
        }
    )
    assert doc["source"]["nat"] == {"ip": "192.168.23.22"}
    assert "port" not in doc["source"]


def test_cisco_asa_xlate_fields_and_user() -> None:
    doc = event(
        {
            "source_ipv4_address": "10.20.1.5",
            "xlate_source_address_ip_v4": "198.51.100.7",
            "xlate_source_port": 1_024,
            "username": "alice",
        }
    )
    assert doc["source"]["nat"] == {"ip": "198.51.100.7", "port": 1_024}
    assert doc["user"] == {"name": "alice"}


def test_direction_biflow_mac_and_vlan() -> None:
    doc = event(
        {
            "source_ipv4_address": "10.0.0.1",
            "destination_ipv4_address": "10.0.0.2",
            "octet_delta_count": 10,
            "reverse_octet_delta_count": 20,
            "biflow_direction": 2,  # the destination initiated
            "flow_direction": 1,
            "source_mac_address": "0A-1B-2C-3D-4E-5F",
            "vlan_id": 120,
        }
    )
    assert doc["source"] == {"ip": "10.0.0.2", "bytes": 20}
    assert doc["destination"] == {"ip": "10.0.0.1", "bytes": 10, "mac": "0A-1B-2C-3D-4E-5F"}
    assert doc["client"] == doc["source"] and doc["server"] == doc["destination"]
    assert doc["event"]["category"] == ["network", "session"]
    assert doc["network"]["direction"] == "outbound"
    assert doc["network"]["vlan"] == {"id": "120"}


def test_interface_and_application_names_from_options() -> None:
    options = OptionsState()
    options.interfaces = {3: "Gi0/1"}
    options.applications = {"0d000050": "HTTP"}
    doc = event(
        {"ingress_interface": 3, "egress_interface": 4, "application_id": "0d000050"},
        options=options,
    )
    assert doc["observer"] == {
        "ip": "192.0.2.1",
        "ingress": {"interface": {"id": "3", "name": "Gi0/1"}},
        "egress": {"interface": {"id": "4"}},
    }
    assert doc["network"]["application"] == "http"


def test_end_to_end_v9_with_sampling_options_and_pan_fields() -> None:
    state = Sessions(pending_max_records=10, pending_max_age_seconds=60)
    datagram = v9_packet(
        v9_options_template_set(400, [(1, 4)], [(48, 1), (49, 1), (50, 4)]),
        data_set(400, b"\0\0\0\0" + struct.pack("!BBI", 7, 2, 50)),
        v9_template_set((300, [(8, 4), (12, 4), (1, 4), (2, 4), (48, 1), (56701, 8)])),
        data_set(
            300,
            ipv4("10.20.1.5") + ipv4("8.8.8.8") + struct.pack("!IIB", 80, 1, 7) + b"dns\0\0\0\0\0",
        ),
        unix_secs=1_700_000_000,
        source_id=3,
    )
    outcome = state.process(decode(datagram, exporter="x"), ip="192.0.2.1", port=2055, now=0)
    (doc,) = normalize_flows(outcome.flows, community_id=CommunityId())
    assert doc["source"]["bytes"] == 4_000 and doc["network"]["packets"] == 50
    assert doc["netflow"]["octet_delta_count"] == 80
    assert doc["netflow"]["pan_app_id"] == "dns"
    assert doc["network"]["application"] == "dns"
    assert doc["netflow"]["exporter"] == {
        "address": "192.0.2.1:2055",
        "version": 9,
        "timestamp": "2023-11-14T22:13:20.000Z",
        "source_id": 3,
        "uptime_millis": 600_000,
        "sampling_interval": 50,
    }
    assert doc["@timestamp"] == "2023-11-14T22:13:20.000Z"


def test_end_to_end_ipfix_psamp_sampling_and_system_init_time() -> None:
    state = Sessions(pending_max_records=10, pending_max_age_seconds=60)
    datagram = ipfix_message(
        ipfix_options_template_set(256, 1, [(149, 4), (160, 8), (305, 4), (306, 4)]),
        data_set(256, struct.pack("!IQII", 1, 1_699_999_000_000, 1, 9), pad=False),
        ipfix_template_set(ipfix_template(257, [(8, 4), (12, 4), (1, 8), (22, 4), (21, 4)])),
        data_set(
            257,
            ipv4("10.0.0.1") + ipv4("10.0.0.2") + struct.pack("!QII", 7, 1_000, 2_000),
            pad=False,
        ),
    )
    outcome = state.process(decode(datagram, exporter="x"), ip="192.0.2.1", port=4739, now=0)
    (doc,) = normalize_flows(outcome.flows, community_id=CommunityId())
    assert doc["source"]["bytes"] == 70
    assert doc["event"]["start"] == "2023-11-14T21:56:41.000Z"  # init + 1 s
    assert doc["event"]["duration"] == 10**9


def test_odd_field_lengths_cost_the_community_id_not_the_datagram() -> None:
    # A v9 template with a 5-byte IPv4 source (kept as hex) and a 4-byte source port above
    # 65535: the flows still map, without `network.community_id`, beside a normal flow
    state = Sessions(pending_max_records=10, pending_max_age_seconds=60)
    odd = v9_template_set(
        (300, [(8, 5), (12, 4), (4, 1)]),
        (301, [(8, 4), (12, 4), (4, 1), (7, 4), (11, 2)]),
    )
    datagram = v9_packet(
        odd,
        data_set(300, b"\x0a\x00\x00\x01\x05" + ipv4("10.0.0.2") + b"\x2f"),
        data_set(
            301, ipv4("10.0.0.1") + ipv4("10.0.0.2") + b"\x06" + struct.pack("!IH", 70_000, 80)
        ),
        data_set(
            301, ipv4("10.0.0.1") + ipv4("10.0.0.2") + b"\x06" + struct.pack("!IH", 1_024, 80)
        ),
    )
    outcome = state.process(decode(datagram, exporter="x"), ip="192.0.2.1", port=2055, now=0)
    gre, wide, normal = normalize_flows(outcome.flows, community_id=CommunityId())
    assert gre["netflow"]["source_ipv4_address"] == "0a00000105"
    assert "community_id" not in gre["network"] and "community_id" not in wide["network"]
    assert wide["source"]["port"] == 70_000
    assert normal["network"]["community_id"].startswith("1:")
