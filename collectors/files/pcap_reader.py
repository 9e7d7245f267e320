"""Packet captures (pcap, pcapng) to flow events, as if an exporter had watched the wire.

Captures are what an agency can hand over after an incident when it has no flow export; turning
them into the same `netflow.log` events the NetFlow listener writes lets the same rules, searches
and dashboards run over them. scapy reads the capture (every link type it knows: Ethernet, VLAN,
PPPoE, Linux cooked, raw IP); `flows.FlowTable` does the accounting. UDP datagrams that are
NetFlow/IPFIX exports or syslog messages are read for what they carry instead
(`captured_exports`; an export split into IPv4 or IPv6 fragments is put together first), and the
messages of syslog streams over TCP are read besides their flows (`captured_streams`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import scapy.layers.inet
import scapy.layers.inet6
import scapy.layers.l2
import scapy.layers.ppp  # registers PPPoE framing with the capture reader
from scapy.error import Scapy_Exception
from scapy.packet import Packet as ScapyPacket
from scapy.utils import PcapReader

from collectors.files.captured_exports import CapturedExports
from collectors.files.captured_streams import CapturedStreams
from collectors.files.flows import ICMP, ICMPV6, TCP, UDP, Flow, FlowTable, Packet
from collectors.files.source import SourceFile
from collectors.netflow.community_id import CommunityId
from collectors.netflow.ecs import TRANSPORTS, tcp_flag_names
from soc.model.event import Event, isoformat

_IP = scapy.layers.inet.IP
_IPV6 = scapy.layers.inet6.IPv6
_UDP = scapy.layers.inet.UDP
_TCP = scapy.layers.inet.TCP
_PORTS = (_TCP, _UDP)
_IPV6_FRAGMENT = scapy.layers.inet6.IPv6ExtHdrFragment
_IPV6_EXTENSIONS = (
    scapy.layers.inet6.IPv6ExtHdrHopByHop,
    scapy.layers.inet6.IPv6ExtHdrRouting,
    scapy.layers.inet6.IPv6ExtHdrDestOpt,
    _IPV6_FRAGMENT,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_SECOND = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds()
"""pcapng's 64-bit times reach past the last date an event can carry: such a packet is a
problem, not the end of the reading."""
DATASET = "netflow.log"  # the NetFlow listener's dataset: the same rules and searches apply
_MAX_HELD = 1000
"""Exports split into IP fragments whose rest is awaited at once; past that the oldest is
read as far as it came."""


@dataclass
class _Held:
    """The fragments of one export datagram so far, from its first (which has the UDP header)."""

    number: int  # the first fragment's packet number, for problems
    source: tuple[str, int]
    seconds: float
    declared: int  # the datagram's length by its UDP header
    parts: list[bytes]  # its payload, fragment by fragment
    next_offset: int  # where the next fragment must start, in bytes of the IP payload

    def payload(self) -> bytes:
        return b"".join(self.parts)[: self.declared]


def read_pcap(source: SourceFile) -> Iterator[Event]:
    table = FlowTable()
    community_id = CommunityId()
    exports = CapturedExports(community_id)
    streams = CapturedStreams(exports)
    seconds = 0.0  # the last packet's time
    try:
        reader = PcapReader(str(source.file))
    except (Scapy_Exception, OSError, EOFError) as exc:
        source.problem("file", f"not a readable capture: {exc}")
        return
    number = 0
    held: dict[tuple[str, str, int], _Held] = {}  # (source, destination, IP id): an export
    with reader:
        while True:
            number += 1
            try:
                frame = reader.read_packet()
            except EOFError:
                break
            except (Scapy_Exception, OSError, ValueError) as exc:  # a cut-off last record
                source.problem(f"packet {number}", f"unreadable capture record: {exc}")
                break
            source.bytes_done = reader.f.tell()
            if not 0 <= frame.time <= _LAST_SECOND:
                reason = f"capture time {float(frame.time):.0f} s after 1970 is no date"
                source.problem(f"packet {number}", reason, frame.original or b"")
                continue
            seen = _packet(frame)
            if seen is None:
                continue
            packet, transport = seen
            seconds = float(frame.time)
            if type(transport) is _TCP and transport.original:  # the packet stays a flow too
                yield from _stream_messages(streams, packet, transport, seconds)
                _report(exports.problems, source, f"packet {number}")
                _report(streams.problems, source, f"packet {number}")
            carried = None
            if type(transport) is _UDP and transport.original:  # not an ICMP error's quote
                declared = transport.len - 8
                if (fragment_id := _more_to_come(transport.underlayer)) is not None:
                    if exports.carries(transport.original[8:], declared):  # the rest will come
                        key = (packet.source_ip, packet.destination_ip, fragment_id)
                        if key in held or len(held) >= _MAX_HELD:
                            yield from _taken(exports, held.pop(key, None) or _oldest(held), source)
                        held[key] = _Held(
                            number,
                            (packet.source_ip, packet.source_port),
                            float(frame.time),
                            declared,
                            [transport.original[8:]],
                            len(transport.original),
                        )
                        continue
                else:
                    carried = exports.take(
                        transport.original[8 : max(transport.len, 8)],
                        declared,
                        (packet.source_ip, packet.source_port),
                        float(frame.time),
                    )
                    _report(exports.problems, source, f"packet {number}")
            elif transport is None and held:  # a fragment after the first
                later = _later_fragment(frame)
                whole = held.get(later[0]) if later is not None else None
                if later is not None and whole is not None and later[1] == whole.next_offset:
                    key, _, more, data = later
                    whole.parts.append(data)
                    whole.next_offset += len(data)
                    if not more:
                        yield from _taken(exports, held.pop(key), source)
                    continue
            if carried is not None:
                yield from carried
                continue
            for flow in table.add(packet):
                yield flow_event(flow, community_id)
    for left in list(held.values()):  # fragments that never all came: as far as they go
        yield from _taken(exports, left, source)
    yield from streams.finish(seconds)
    for reason, raw in streams.problems:
        source.problem("end of capture", reason, raw)
    exports.finish()
    for reason, raw in exports.problems:
        source.problem("end of capture", reason, raw)
    for flow in table.drain():
        yield flow_event(flow, community_id)
    source.bytes_done = source.size


def _taken(exports: CapturedExports, whole: _Held, source: SourceFile) -> list[Event]:
    """The events of an export put together from its fragments (a cut one if some are
    missing: `take` reports it)."""
    events = exports.take(whole.payload(), whole.declared, whole.source, whole.seconds) or []
    _report(exports.problems, source, f"packet {whole.number}")
    return events


def _more_to_come(layer: Any) -> int | None:
    """The fragment id when `layer` (under a UDP header) is an IPv4 or IPv6 first fragment with
    more to come, else None."""
    if isinstance(layer, _IP):
        return layer.id if layer.flags.MF else None
    if isinstance(layer, _IPV6_FRAGMENT):
        return layer.id if layer.m else None
    return None


def _later_fragment(frame: ScapyPacket) -> tuple[tuple[str, str, int], int, bool, bytes] | None:
    """A UDP datagram's fragment after the first: its reassembly key (source, destination,
    id), its offset in bytes, whether more follow, and its data; None for anything else."""
    ip = frame.getlayer(_IP)
    if ip is not None:
        if ip.proto != UDP:
            return None
        key = (ip.src, ip.dst, ip.id)
        return key, ip.frag * 8, bool(ip.flags.MF), ip.original[ip.ihl * 4 : ip.len]
    fragment = frame.getlayer(_IPV6_FRAGMENT)
    if fragment is None or fragment.nh != UDP:
        return None
    ip6 = frame.getlayer(_IPV6)
    key = (ip6.src, ip6.dst, fragment.id)
    return key, fragment.offset * 8, bool(fragment.m), fragment.original[8:]


def _oldest(held: dict[tuple[str, str, int], _Held]) -> _Held:
    return held.pop(next(iter(held)))


def _stream_messages(
    streams: CapturedStreams, packet: Packet, tcp: ScapyPacket, seconds: float
) -> list[Event]:
    """The syslog messages a TCP segment completes, and those its FIN, SYN or RST ends."""
    connection = (packet.source_ip, packet.source_port, packet.destination_ip,
                  packet.destination_port)  # fmt: skip
    # The header read from its bytes: scapy's field access costs more than the rest together.
    raw, flags = tcp.original, packet.tcp_flags
    events = []
    if flags & 0x02:  # SYN: a new connection on the same ports starts a new stream
        events.extend(streams.close(connection, seconds))
    if len(raw) > 20 and (data := raw[(raw[12] >> 4) * 4 :]):
        seq = int.from_bytes(raw[4:8]) + (1 if flags & 0x02 else 0)  # a SYN's data follows it
        events.extend(streams.take(connection, seq, data, seconds))
    if flags & (0x01 | 0x04):
        events.extend(streams.close(connection, seconds))
    return events


def _report(problems: list[tuple[str, bytes]], source: SourceFile, location: str) -> None:
    for reason, raw in problems:
        source.problem(location, reason, raw)
    problems.clear()


def _packet(frame: ScapyPacket) -> tuple[Packet, Any] | None:
    """The flow view of one captured frame and its transport layer (TCP, UDP, ICMP... as
    scapy read it); None for frames without IP (ARP, PPP control)."""
    ip = frame.getlayer(_IP)
    if ip is not None:
        version, length, tos = 4, ip.len, ip.tos
        protocol, transport = ip.proto, ip.payload
        first_fragment = ip.frag == 0
    else:
        ip = frame.getlayer(_IPV6)
        if ip is None:
            return None
        version, length, tos = 6, ip.plen + 40, ip.tc
        protocol, transport, first_fragment = _ipv6_upper_layer(ip)
    source_port = destination_port = flags = 0
    if first_fragment and isinstance(transport, _PORTS):
        source_port, destination_port = transport.sport, transport.dport
        if protocol == TCP:
            flags = int(transport.flags)
    elif first_fragment and protocol in (ICMP, ICMPV6) and hasattr(transport, "code"):
        destination_port = transport.type * 256 + transport.code
    packet = Packet(
        time_ns=int(frame.time * 1_000_000_000),
        ip_version=version,
        protocol=protocol,
        source_ip=ip.src,
        destination_ip=ip.dst,
        source_port=source_port,
        destination_port=destination_port,
        length=length or len(ip),
        tcp_flags=flags,
        tos=tos,
    )
    return packet, transport if first_fragment else None


def _ipv6_upper_layer(ip: Any) -> tuple[int, Any, bool]:
    """Protocol and layer behind the IPv6 extension headers (hop-by-hop, routing, fragment),
    and whether this is the first fragment (only that one carries the ports)."""
    protocol, layer, first_fragment = ip.nh, ip.payload, True
    while isinstance(layer, _IPV6_EXTENSIONS):
        if isinstance(layer, _IPV6_FRAGMENT) and layer.offset:
            first_fragment = False
        protocol, layer = layer.nh, layer.payload
    return protocol, layer, first_fragment


def flow_event(flow: Flow, community_id: CommunityId) -> Event:
    """One flow as the NetFlow listener's event: the same ECS and `netflow.*` fields."""
    start, end = _time(flow.first_ns), _time(flow.last_ns)
    has_ports = flow.protocol not in (ICMP, ICMPV6) and (flow.source_port or flow.destination_port)
    source: dict[str, Any] = {"ip": flow.source_ip, "bytes": flow.bytes, "packets": flow.packets}
    destination: dict[str, Any] = {"ip": flow.destination_ip}
    if has_ports:
        source["port"] = flow.source_port
        destination["port"] = flow.destination_port
    network: dict[str, Any] = {
        "type": f"ipv{flow.ip_version}",
        "iana_number": str(flow.protocol),
        "bytes": flow.bytes,
        "packets": flow.packets,
        "community_id": community_id.of(
            flow.protocol,
            flow.source_ip,
            flow.destination_ip,
            flow.source_port,
            flow.destination_port,
        ),
    }
    if transport := TRANSPORTS.get(flow.protocol):
        network["transport"] = transport
    family = "ipv4" if flow.ip_version == 4 else "ipv6"
    netflow: dict[str, Any] = {
        "type": "netflow_flow",
        f"source_{family}_address": flow.source_ip,
        f"destination_{family}_address": flow.destination_ip,
        "packet_delta_count": flow.packets,
        "octet_delta_count": flow.bytes,
        "protocol_identifier": flow.protocol,
        "source_transport_port": flow.source_port,
        "destination_transport_port": flow.destination_port,
        "tcp_control_bits": flow.tcp_flags,
        "ip_class_of_service": flow.tos,
        "flow_start_milliseconds": start,
        "flow_end_milliseconds": end,
    }
    if flow.protocol == TCP:
        netflow["tcp_flags"] = tcp_flag_names(flow.tcp_flags)
    elif flow.protocol in (ICMP, ICMPV6):
        suffix = "ipv4" if flow.protocol == ICMP else "ipv6"
        netflow[f"icmp_type_{suffix}"], netflow[f"icmp_code_{suffix}"] = divmod(
            flow.destination_port, 256
        )
    return {
        "@timestamp": end,
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": ["connection"],
            "action": "netflow_flow",
            "module": "netflow",
            "dataset": DATASET,
            "start": start,
            "end": end,
            "duration": flow.last_ns - flow.first_ns,
        },
        "source": source,
        "destination": destination,
        "network": network,
        "related": {"ip": list(dict.fromkeys((flow.source_ip, flow.destination_ip)))},
        "netflow": netflow,
    }


def _time(ns: int) -> str:
    return isoformat(_EPOCH + timedelta(microseconds=ns // 1000))
