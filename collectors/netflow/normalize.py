"""Decoded NetFlow records to ECS events, shaped like Filebeat's netflow input.

Matching Filebeat means dashboards, Sigma pipelines and analysts' habits carry over: the same
ECS fields, and `netflow.*` named after the IPFIX information elements (v5 fields are mapped
to their v9/IPFIX names, so v5, v9 and IPFIX flows will share one vocabulary).

NetFlow v5 times are exporter uptimes in milliseconds; the header pairs an uptime with a wall
clock (`unix_secs`, `unix_nsecs`), so a flow's start is `export time - (uptime - first)`.
The difference is taken as a signed 32-bit value: the counter wraps every 49.7 days, and some
exporters stamp `first` a few ms after the header's uptime.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import ExportPacket, V5Packet
from soc.model.event import Event, isoformat

DATASET = "netflow.log"

TRANSPORTS = {
    1: "icmp",
    6: "tcp",
    17: "udp",
    47: "gre",
    50: "esp",
    51: "ah",
    58: "ipv6-icmp",
    132: "sctp",
}
_PORT_PROTOCOLS = frozenset({6, 17, 132})
TCP_FLAGS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR")


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_ns(ns: int) -> str:
    """Integer arithmetic: a float of epoch seconds is ~0.2 µs coarse, enough to flip a ms."""
    return isoformat(_EPOCH + timedelta(microseconds=ns // 1000))


def tcp_flag_names(bits: int) -> list[str]:
    """Names of the flags set in a TCP control-bits byte, lowest bit first."""
    return [name for i, name in enumerate(TCP_FLAGS) if bits >> i & 1]


def normalize_v5(
    packet: V5Packet, *, exporter_ip: str, exporter_port: int, community_id: CommunityId
) -> list[Event]:
    """One ECS event per flow record; `@timestamp` is the export time, as in Filebeat."""
    header = packet.header
    export_ns = header.unix_secs * 1_000_000_000 + header.unix_nsecs
    exported = _from_ns(export_ns)
    exporter = {
        "address": f"{exporter_ip}:{exporter_port}",
        "version": header.version,
        "timestamp": exported,
        "uptime_millis": header.sys_uptime,
        "flow_sequence": header.flow_sequence,
        "engine_type": header.engine_type,
        "engine_id": header.engine_id,
        "sampling_mode": header.sampling_mode,
        "sampling_interval": header.sampling_rate,
    }
    events: list[Event] = []
    for r in packet.records:
        start_ns = export_ns - _signed32(header.sys_uptime - r.first) * 1_000_000
        end_ns = export_ns - _signed32(header.sys_uptime - r.last) * 1_000_000
        has_ports = r.protocol in _PORT_PROTOCOLS
        source: dict[str, Any] = {"ip": r.src_addr, "bytes": r.octets, "packets": r.packets}
        destination: dict[str, Any] = {"ip": r.dst_addr}
        if has_ports:
            source["port"] = r.src_port
            destination["port"] = r.dst_port
        network: dict[str, Any] = {
            "type": "ipv4",
            "iana_number": str(r.protocol),
            "bytes": r.octets,
            "packets": r.packets,
            "community_id": community_id.of(
                r.protocol, r.src_addr, r.dst_addr, r.src_port, r.dst_port
            ),
        }
        transport = TRANSPORTS.get(r.protocol)
        if transport:
            network["transport"] = transport
        netflow: dict[str, Any] = {
            "type": "netflow_flow",
            "exporter": dict(exporter),  # own copy: stores and enrichers mutate events
            "source_ipv4_address": r.src_addr,
            "destination_ipv4_address": r.dst_addr,
            "ip_next_hop_ipv4_address": r.next_hop,
            "ingress_interface": r.input_interface,
            "egress_interface": r.output_interface,
            "packet_delta_count": r.packets,
            "octet_delta_count": r.octets,
            "flow_start_sys_up_time": r.first,
            "flow_end_sys_up_time": r.last,
            "source_transport_port": r.src_port,
            "destination_transport_port": r.dst_port,
            "tcp_control_bits": r.tcp_flags,
            "protocol_identifier": r.protocol,
            "ip_class_of_service": r.tos,
            "bgp_source_as_number": r.src_as,
            "bgp_destination_as_number": r.dst_as,
            "source_ipv4_prefix_length": r.src_mask,
            "destination_ipv4_prefix_length": r.dst_mask,
        }
        if r.protocol == 6:
            netflow["tcp_flags"] = tcp_flag_names(r.tcp_flags)
        elif r.protocol == 1:
            netflow["icmp_type_ipv4"], netflow["icmp_code_ipv4"] = divmod(r.dst_port, 256)
        events.append(
            {
                "@timestamp": exported,
                "event": {
                    "kind": "event",
                    "category": ["network"],
                    "type": ["connection"],
                    "action": "netflow_flow",
                    "module": "netflow",
                    "dataset": DATASET,
                    "start": _from_ns(start_ns),
                    "end": _from_ns(end_ns),
                    "duration": end_ns - start_ns,
                },
                "source": source,
                "destination": destination,
                "network": network,
                "observer": {"ip": exporter_ip},
                "related": {"ip": list(dict.fromkeys((r.src_addr, r.dst_addr)))},
                "netflow": netflow,
            }
        )
    return events


def normalize(
    packet: ExportPacket, *, exporter_ip: str, exporter_port: int, community_id: CommunityId
) -> list[Event]:
    """ECS events of a decoded packet of any supported version."""
    return _NORMALIZERS[packet.header.version](
        packet, exporter_ip=exporter_ip, exporter_port=exporter_port, community_id=community_id
    )


_NORMALIZERS = {5: normalize_v5}
