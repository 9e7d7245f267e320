"""Decoded v5 records to ECS, field by field, as Filebeat's netflow input shapes them."""

from __future__ import annotations

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import V5Header, V5Packet, V5Record
from collectors.netflow.ecs import tcp_flag_names
from collectors.netflow.normalize import normalize_v5

EXPORT_SECS = 1_700_000_000  # 2023-11-14T22:13:20Z


def header(*, sys_uptime: int = 100_000, count: int = 1, sampling: int = 0) -> V5Header:
    return V5Header(
        version=5,
        count=count,
        sys_uptime=sys_uptime,
        unix_secs=EXPORT_SECS,
        unix_nsecs=250_000_000,
        flow_sequence=77,
        engine_type=2,
        engine_id=9,
        sampling_interval=(1 << 14) | sampling,
    )


def record(**changes: object) -> V5Record:
    base = V5Record(
        src_addr="10.20.1.5",
        dst_addr="203.0.113.9",
        next_hop="10.20.0.1",
        input_interface=3,
        output_interface=5,
        packets=42,
        octets=61_234,
        first=90_000,
        last=99_500,
        src_port=51_234,
        dst_port=443,
        tcp_flags=0x12,
        protocol=6,
        tos=0xB8,
        src_as=64_512,
        dst_as=15_169,
        src_mask=16,
        dst_mask=24,
    )
    return base._replace(**changes)


def run(packet: V5Packet) -> list[dict]:
    return normalize_v5(
        packet, exporter_ip="192.0.2.1", exporter_port=40_000, community_id=CommunityId()
    )


def test_a_tcp_flow_becomes_the_filebeat_shaped_event() -> None:
    (event,) = run(V5Packet(header(), [record()]))

    assert event["@timestamp"] == "2023-11-14T22:13:20.250Z"
    assert event["event"] == {
        "kind": "event",
        "category": ["network"],
        "type": ["connection"],
        "action": "netflow_flow",
        "module": "netflow",
        "dataset": "netflow.log",
        "start": "2023-11-14T22:13:10.250Z",  # export time - (100000 - 90000) ms
        "end": "2023-11-14T22:13:19.750Z",
        "duration": 9_500_000_000,
    }
    assert event["source"] == {"ip": "10.20.1.5", "port": 51_234, "bytes": 61_234, "packets": 42}
    assert event["destination"] == {"ip": "203.0.113.9", "port": 443}
    assert event["network"] == {
        "type": "ipv4",
        "transport": "tcp",
        "iana_number": "6",
        "bytes": 61_234,
        "packets": 42,
        "community_id": CommunityId().of(6, "10.20.1.5", "203.0.113.9", 51_234, 443),
        "direction": "unknown",
    }
    assert event["observer"] == {
        "ip": "192.0.2.1",
        "ingress": {"interface": {"id": "3"}},
        "egress": {"interface": {"id": "5"}},
    }
    assert event["related"] == {"ip": ["10.20.1.5", "203.0.113.9"]}
    assert event["netflow"] == {
        "type": "netflow_flow",
        "exporter": {
            "address": "192.0.2.1:40000",
            "version": 5,
            "timestamp": "2023-11-14T22:13:20.250Z",
            "uptime_millis": 100_000,
            "flow_sequence": 77,
            "engine_type": 2,
            "engine_id": 9,
            "sampling_mode": 1,
            "sampling_interval": 0,
        },
        "source_ipv4_address": "10.20.1.5",
        "destination_ipv4_address": "203.0.113.9",
        "ip_next_hop_ipv4_address": "10.20.0.1",
        "ingress_interface": 3,
        "egress_interface": 5,
        "packet_delta_count": 42,
        "octet_delta_count": 61_234,
        "flow_start_sys_up_time": 90_000,
        "flow_end_sys_up_time": 99_500,
        "source_transport_port": 51_234,
        "destination_transport_port": 443,
        "tcp_control_bits": 0x12,
        "tcp_flags": ["SYN", "ACK"],
        "protocol_identifier": 6,
        "ip_class_of_service": 0xB8,
        "bgp_source_as_number": 64_512,
        "bgp_destination_as_number": 15_169,
        "source_ipv4_prefix_length": 16,
        "destination_ipv4_prefix_length": 24,
    }


def test_uptime_wrap_keeps_flow_times_just_before_the_export() -> None:
    # The exporter's ms counter wrapped between the flow's first packet and the export.
    (event,) = run(V5Packet(header(sys_uptime=1_000), [record(first=2**32 - 4_000, last=500)]))
    assert event["event"]["start"] == "2023-11-14T22:13:15.250Z"
    assert event["event"]["end"] == "2023-11-14T22:13:19.750Z"
    assert event["event"]["duration"] == 4_500_000_000


def test_a_first_stamp_slightly_after_the_header_uptime_is_not_a_49_day_old_flow() -> None:
    (event,) = run(V5Packet(header(sys_uptime=100_000), [record(first=100_020, last=100_020)]))
    assert event["event"]["start"] == "2023-11-14T22:13:20.270Z"


def test_icmp_flows_carry_type_and_code_not_ports() -> None:
    (event,) = run(
        V5Packet(header(), [record(protocol=1, src_port=0, dst_port=3 * 256 + 1, tcp_flags=0)])
    )
    assert "port" not in event["source"]
    assert "port" not in event["destination"]
    assert event["network"]["transport"] == "icmp"
    assert (event["netflow"]["icmp_type_ipv4"], event["netflow"]["icmp_code_ipv4"]) == (3, 1)
    assert "tcp_flags" not in event["netflow"]


def test_unknown_protocols_keep_the_number_without_a_transport_name() -> None:
    (event,) = run(V5Packet(header(), [record(protocol=253)]))
    assert event["network"]["iana_number"] == "253"
    assert "transport" not in event["network"]


def test_events_of_one_datagram_do_not_share_nested_objects() -> None:
    first, second = run(V5Packet(header(count=2), [record(), record(src_port=1)]))
    first["netflow"]["exporter"]["address"] = "changed"
    assert second["netflow"]["exporter"]["address"] == "192.0.2.1:40000"


def test_a_flow_between_identical_endpoints_lists_the_address_once() -> None:
    (event,) = run(V5Packet(header(), [record(dst_addr="10.20.1.5")]))
    assert event["related"]["ip"] == ["10.20.1.5"]


def test_tcp_flag_names_follow_the_bit_order() -> None:
    assert tcp_flag_names(0) == []
    assert tcp_flag_names(0xFF) == ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]
    assert tcp_flag_names(0x100) == ["NS"]


def test_the_header_sampling_interval_scales_ecs_counters_and_keeps_raw_ones() -> None:
    (event,) = run(V5Packet(header(sampling=100), [record()]))
    assert event["source"]["bytes"] == event["network"]["bytes"] == 6_123_400
    assert event["network"]["packets"] == 4_200
    assert event["netflow"]["octet_delta_count"] == 61_234
    assert event["netflow"]["packet_delta_count"] == 42
    assert event["netflow"]["exporter"]["sampling_interval"] == 100
