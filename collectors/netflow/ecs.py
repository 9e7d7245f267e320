"""One decoded flow record (any version) to its ECS event, shaped like Filebeat's netflow input.

Records arrive as `netflow.*` keys (IANA names in snake_case), so v5, v9 and IPFIX share this
one mapping. Beyond Filebeat: sampled counters are scaled in the ECS fields (the raw ones stay
in `netflow.*`), post-NAT addresses become `source.nat.*`/`destination.nat.*`, interface and
application names learnt from options records fill `observer.*.interface.name` and
`network.application`, every IPFIX time form fills `event.start/end`, and a firewall's
flow-deleted event time ends a flow sent without an end (Cisco ASA NSEL)
(`collectors.netflow.times`).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any, NamedTuple

from collectors.netflow.community_id import CommunityId
from collectors.netflow.options import OptionsState
from collectors.netflow.times import first_int, flow_times, iso
from soc.model.event import Event

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
PORT_PROTOCOLS = frozenset({6, 17, 132})
TCP_FLAGS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS")
DIRECTIONS = {0: "inbound", 1: "outbound"}  # flowDirection (IE 61), as Filebeat names them
FIREWALL_EVENTS: dict[int, tuple[str, tuple[str, ...], str | None]] = {
    1: ("flow_created", ("connection", "start"), None),
    2: ("flow_deleted", ("connection", "end"), None),
    3: ("flow_denied", ("connection", "denied"), "failure"),
    4: ("flow_alert", ("connection",), None),
    5: ("flow_update", ("connection",), None),
}
"""A firewall's flow records (firewallEvent, IE 233; Cisco ASA/FTD NSEL's field 40005) say what
happened to the connection: `event.action`, `event.type` and `event.outcome` as the firewall
parsers write them, so a policy denial is `event.type: denied` whether it came as a log line
or as NetFlow. 0 (ignore) and unassigned values keep the plain flow's."""
_UNSPECIFIED = frozenset({"0.0.0.0", "::"})
_STRUCTURED = (datetime, dict, list)
# Fields most exporters never send: one membership test skips each group.
NAT_KEYS = frozenset(
    f"{prefix}_{side}_{suffix}"
    for side in ("source", "destination")
    for prefix, suffix in (
        ("post_nat", "ipv4_address"),
        ("post_nat", "ipv6_address"),
        ("xlate", "address_ip_v4"),
        ("post_napt", "transport_port"),
        ("xlate", "port"),
    )
)
COUNTERS = (  # each ECS counter from the first of these fields a record has
    ("source", "bytes", ("octet_delta_count", "octet_total_count", "initiator_octets")),
    ("source", "packets", ("packet_delta_count", "packet_total_count", "initiator_packets")),
    (
        "destination",
        "bytes",
        ("reverse_octet_delta_count", "reverse_octet_total_count", "responder_octets"),
    ),
    (
        "destination",
        "packets",
        ("reverse_packet_delta_count", "reverse_packet_total_count", "responder_packets"),
    ),
)
APPLICATION_USER_KEYS = frozenset(
    {
        "application_name",
        "application_id",
        "pan_app_id",
        "user_name",
        "username",
        "pan_user_id",
        "biflow_direction",
    }
)
"""Fields read with the session's application names or per record (`_extras`)."""
AVC_ENDPOINT_KEYS = (
    ("cisco_client_ipv4_address", "cisco_client_l4_port"),
    ("cisco_server_ipv4_address", "cisco_server_l4_port"),
)
"""Cisco AVC connection records: client and server (PEN 9) when IANA source/destination are
absent; the client initiated, as `initiator_octets` (source.bytes) says."""
_EXTRA_KEYS = APPLICATION_USER_KEYS | {
    "vlan_id",
    "dot1q_vlan_id",
    "dot1q_customer_vlan_id",
    "source_mac_address",
    "destination_mac_address",
}


class Export(NamedTuple):
    """What the record's header says: times in it are relative to these."""

    exporter_ip: str
    export_ns: int
    sys_uptime_ms: int | None  # v5/v9: the uptime paired with export_ns
    exporter: dict[str, Any]  # `netflow.exporter`, copied into each event

    @classmethod
    def of(
        cls, ip: str, export_ns: int, sys_uptime_ms: int | None, exporter: dict[str, Any]
    ) -> Export:
        """With `netflow.exporter.timestamp`, which is also every event's `@timestamp`."""
        return cls(ip, export_ns, sys_uptime_ms, {**exporter, "timestamp": iso(export_ns)})


def tcp_flag_names(bits: int) -> list[str]:
    """Names of the flags set in a TCP control-bits value, lowest bit first."""
    return [name for i, name in enumerate(TCP_FLAGS) if bits >> i & 1]


def _ip(fields: dict[str, Any], *keys: str) -> str | None:
    """The first address given and specified; an all-zero one only when nothing else is."""
    found = None
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str):
            if value not in _UNSPECIFIED:
                return value
            found = found or value
    return found


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds").replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _icmp(netflow: dict[str, Any], protocol: int | None, dst_port: int | None) -> int | None:
    """Type * 256 + code of an ICMP(v6) flow, filling `netflow.icmp_type/code_ipv4|6`."""
    family = {1: "ipv4", 58: "ipv6"}.get(protocol or -1)
    if family is None:
        return None
    combined = first_int(netflow, f"icmp_type_code_{family}")
    kind, code = (
        first_int(netflow, f"icmp_type_{family}"),
        first_int(netflow, f"icmp_code_{family}"),
    )
    if combined is None and kind is not None:
        combined = kind * 256 + (code or 0)
    shared = None
    if combined is None and family == "ipv6":
        # nfdump's exporter (nfreplay) sends ICMPv6's in icmpTypeCodeIPv4 (IE 32); 0 is no
        # ICMPv6 type, so a 0 there defers to the port.
        shared = first_int(netflow, "icmp_type_code_ipv4")
        combined = shared or None
    if combined is None:
        # most exporters put type and code in the destination port
        combined = dst_port if dst_port is not None else shared
    if combined is not None:
        netflow.setdefault(f"icmp_type_{family}", combined >> 8 & 0xFF)
        netflow.setdefault(f"icmp_code_{family}", combined & 0xFF)
    return combined


LONG_MAX = (1 << 63) - 1
"""The largest ECS `long` (signed 64 bits), the type of `*.bytes`, `*.packets` and
`event.duration`."""


def saturate(value: int | float) -> int:
    """An ECS counter that fits a `long`: values beyond it become LONG_MAX.

    An 8-byte counter times a sampling rate, or a sum of two, can pass 2**63 - 1. orjson cannot
    serialize an integer past 64 bits, and one such event used to fail the sink's whole batch;
    Elasticsearch rejects a `long` out of range too, so Filebeat users never see one. Saturating
    (rather than a float, which would change the field's type for every consumer) keeps the
    field an integer and reads as "at least this much"; `netflow.*` keeps the raw counter.
    """
    if value >= LONG_MAX:
        return LONG_MAX
    return value if isinstance(value, int) else round(value)


def _scaled(value: int | None, rate: float) -> int | None:
    return value if value is None else saturate(value if rate == 1 else value * rate)


def _nat(fields: dict[str, Any], side: str, ports: bool) -> dict[str, Any]:
    """`source.nat`/`destination.nat`: the translated address, and the port unless the flow's
    protocol has none (`ports` false). Cisco ASA NSEL fills its xlate port fields for ICMP
    too, with the ICMP identifier, which is no port: ECS shows none for such a flow, translated
    or not."""
    nat: dict[str, Any] = {}
    ip = _ip(
        fields,
        f"post_nat_{side}_ipv4_address",
        f"post_nat_{side}_ipv6_address",
        f"xlate_{side}_address_ip_v4",
    )
    if ip and ip not in _UNSPECIFIED:
        nat["ip"] = ip
    port = first_int(fields, f"post_napt_{side}_transport_port", f"xlate_{side}_port")
    if port and ports:
        nat["port"] = port
    return nat


def flow_event(
    fields: dict[str, Any],
    export: Export,
    *,
    options: OptionsState | None,
    rate: float,
    community_id: CommunityId,
    structured: bool = False,
) -> Event:
    """The ECS event of one flow record; `rate` is the sampling rate to scale counters by.

    `structured`: the record may hold datetimes or lists (its template has such fields),
    which `netflow.*` must carry as JSON; records of plain templates skip that pass.
    """
    netflow = dict(fields)
    keys = fields.keys()
    if structured:
        for key, value in fields.items():
            if isinstance(value, _STRUCTURED):
                netflow[key] = _json_safe(value)
    (client, client_port), (server, server_port) = AVC_ENDPOINT_KEYS
    src = _ip(fields, "source_ipv4_address", "source_ipv6_address", client)
    dst = _ip(fields, "destination_ipv4_address", "destination_ipv6_address", server)
    protocol = first_int(fields, "protocol_identifier")
    src_port = first_int(
        fields, "source_transport_port", "udp_source_port", "tcp_source_port", client_port
    )
    dst_port = first_int(
        fields,
        "destination_transport_port",
        "udp_destination_port",
        "tcp_destination_port",
        server_port,
    )
    source: dict[str, Any] = {}
    destination: dict[str, Any] = {}
    network: dict[str, Any] = {}
    related: list[str] = []
    extras = not keys.isdisjoint(_EXTRA_KEYS)
    for side, ip, port in ((source, src, src_port), (destination, dst, dst_port)):
        if ip:
            side["ip"] = ip
            related.append(ip)
        if port is not None and protocol in PORT_PROTOCOLS:
            side["port"] = port
    if src or dst:
        network["type"] = "ipv6" if ":" in (src or dst or "") else "ipv4"
    if protocol is not None:
        network["iana_number"] = str(protocol)
        if protocol in TRANSPORTS:
            network["transport"] = TRANSPORTS[protocol]
        if protocol == 6 and (bits := first_int(fields, "tcp_control_bits")) is not None:
            netflow["tcp_flags"] = tcp_flag_names(bits)
    icmp = _icmp(netflow, protocol, dst_port)
    sides = {"source": source, "destination": destination}
    for side_name, key, choices in COUNTERS:
        if (value := first_int(fields, *choices)) is not None:
            sides[side_name][key] = _scaled(value, rate)
    for key in ("bytes", "packets"):
        if key in source or key in destination:
            network[key] = saturate(source.get(key, 0) + destination.get(key, 0))
    if not keys.isdisjoint(NAT_KEYS):
        for side, name in ((source, "source"), (destination, "destination")):
            if nat := _nat(fields, name, protocol is None or protocol in PORT_PROTOCOLS):
                side["nat"] = nat
                if "ip" in nat:
                    related.append(nat["ip"])
    if src and dst and protocol is not None:
        ports = (src_port or 0, dst_port or 0) if icmp is None else (0, icmp)
        # Addresses of two families, or hex kept from odd field lengths: no flow hash.
        with suppress(OSError, ValueError):
            network["community_id"] = community_id.of(protocol, src, dst, *ports)
    network["direction"] = DIRECTIONS.get(fields.get("flow_direction"), "unknown")
    if extras:
        _extras(fields, options, source, destination, network)
    event: dict[str, Any] = {
        "kind": "event",
        "category": ["network"],
        "type": ["connection"],
        "action": "netflow_flow",
        "module": "netflow",
        "dataset": "netflow.log",
    }
    if (firewall := FIREWALL_EVENTS.get(first_int(fields, "firewall_event") or 0)) is not None:
        event["action"], types, outcome = firewall
        event["type"] = list(types)
        if outcome is not None:
            event["outcome"] = outcome
    start, end = flow_times(
        fields,
        export_ns=export.export_ns,
        sys_uptime_ms=export.sys_uptime_ms,
        system_init_ms=options.system_init_ms if options else None,
    )
    if start is not None:
        event["start"] = iso(start)
    if end is not None:
        event["end"] = iso(end)
    if start is not None and end is not None:
        event["duration"] = max(-LONG_MAX, saturate(end - start))
    doc: Event = {"@timestamp": export.exporter["timestamp"], "event": event}
    if "biflow_direction" in keys:
        if fields["biflow_direction"] == 2:  # reverseInitiator: the destination began it
            source, destination = destination, source
        event["category"] = ["network", "session"]
        doc["client"], doc["server"] = dict(source), dict(destination)
    for name, part in (("source", source), ("destination", destination), ("network", network)):
        if part:
            doc[name] = part
    doc["observer"] = _observer(export.exporter_ip, fields, options)
    if extras:
        user = fields.get("user_name") or fields.get("username") or fields.get("pan_user_id")
        if isinstance(user, str) and user:
            doc["user"] = {"name": user}
    if related:
        doc["related"] = {"ip": list(dict.fromkeys(related))}
    netflow["type"] = "netflow_flow"
    netflow["exporter"] = dict(export.exporter)
    doc["netflow"] = netflow
    return doc


def _extras(
    fields: dict[str, Any],
    options: OptionsState | None,
    source: dict[str, Any],
    destination: dict[str, Any],
    network: dict[str, Any],
) -> None:
    """MAC addresses, VLANs and the application: present in some exporters' templates only."""
    for side, key in ((source, "source_mac_address"), (destination, "destination_mac_address")):
        mac = fields.get(key)
        if isinstance(mac, str) and mac != "00-00-00-00-00-00":
            side["mac"] = mac
    vlan = first_int(fields, "vlan_id", "dot1q_vlan_id")
    if vlan is not None:
        network["vlan"] = {"id": str(vlan)}
    inner = first_int(fields, "dot1q_customer_vlan_id")
    if inner is not None:
        network["inner"] = {"vlan": {"id": str(inner)}}
    application = _application(fields, options)
    if application:
        network["application"] = application.lower()


def _application(fields: dict[str, Any], options: OptionsState | None) -> str | None:
    for key in ("application_name", "pan_app_id"):
        if isinstance(fields.get(key), str) and fields[key]:
            return fields[key]
    if options is not None and "application_id" in fields:
        return options.applications.get(str(fields["application_id"]))
    return None


def _observer(ip: str, fields: dict[str, Any], options: OptionsState | None) -> dict[str, Any]:
    observer: dict[str, Any] = {"ip": ip}
    for edge in ("ingress", "egress"):
        index = first_int(fields, f"{edge}_interface")
        if index is None:
            continue
        interface: dict[str, Any] = {"id": str(index)}
        if options is not None and (name := options.interfaces.get(index)):
            interface["name"] = name
        observer[edge] = {"interface": interface}
    return observer
