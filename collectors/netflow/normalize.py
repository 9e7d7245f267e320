"""Decoded NetFlow records of every version to ECS events, shaped like Filebeat's netflow input.

Matching Filebeat means dashboards, Sigma pipelines and analysts' habits carry over: the same
ECS fields, and `netflow.*` named after the IPFIX information elements. v5's fixed record is
renamed to those names here, so one mapping (`collectors.netflow.ecs`) serves every version.

`@timestamp` is the export time, as in Filebeat; a flow's own times are `event.start/end`.
"""

from __future__ import annotations

from collections.abc import Iterable

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import V5Packet
from collectors.netflow.ecs import Export, flow_event
from collectors.netflow.session import FlowRecord
from soc.model.event import Event

DATASET = "netflow.log"

V5_NAMES = (  # V5Record's fields, in order, by their IPFIX names
    "source_ipv4_address",
    "destination_ipv4_address",
    "ip_next_hop_ipv4_address",
    "ingress_interface",
    "egress_interface",
    "packet_delta_count",
    "octet_delta_count",
    "flow_start_sys_up_time",
    "flow_end_sys_up_time",
    "source_transport_port",
    "destination_transport_port",
    "tcp_control_bits",
    "protocol_identifier",
    "ip_class_of_service",
    "bgp_source_as_number",
    "bgp_destination_as_number",
    "source_ipv4_prefix_length",
    "destination_ipv4_prefix_length",
)


def normalize_v5(
    packet: V5Packet, *, exporter_ip: str, exporter_port: int, community_id: CommunityId
) -> list[Event]:
    """One ECS event per v5 record.

    The header's sampling interval (low 14 bits) scales the ECS counters when above 1, like
    a v9/IPFIX sampling option; `netflow.*` keeps the counts as sent.
    """
    header = packet.header
    export_ns = header.unix_secs * 1_000_000_000 + header.unix_nsecs
    export = Export.of(
        exporter_ip,
        export_ns,
        header.sys_uptime,
        {
            "address": f"{exporter_ip}:{exporter_port}",
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
            dict(zip(V5_NAMES, record, strict=True)),
            export,
            options=None,
            rate=rate,
            community_id=community_id,
        )
        for record in packet.records
    ]


def normalize_flows(flows: Iterable[FlowRecord], *, community_id: CommunityId) -> list[Event]:
    """ECS events of decoded v9/IPFIX flow records, read with their session's options."""
    events: list[Event] = []
    exports: dict[int, Export] = {}  # records of one packet share one header
    for flow in flows:
        info = flow.export
        export = exports.get(id(info))
        if export is None:
            exporter = {
                "address": f"{info.exporter_ip}:{info.exporter_port}",
                "version": info.version,
                "source_id": info.domain,
            }
            if info.sys_uptime_ms is not None:
                exporter["uptime_millis"] = info.sys_uptime_ms
            export = exports[id(info)] = Export.of(
                info.exporter_ip, info.export_ns, info.sys_uptime_ms, exporter
            )
        rate = flow.options.rate_for(flow.fields)
        if rate != 1:
            export = export._replace(
                exporter={**export.exporter, "sampling_interval": _plain(rate)}
            )
        events.append(
            flow_event(
                flow.fields,
                export,
                options=flow.options,
                rate=rate,
                community_id=community_id,
                structured=flow.structured,
            )
        )
    return events


def _plain(rate: float) -> int | float:
    return int(rate) if rate == int(rate) else rate
