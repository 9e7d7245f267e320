"""NetFlow datagrams to typed records: pure functions on bytes, no sockets, no ECS.

`struct` rather than scapy on the hot path: one `iter_unpack` over the record area decodes
~1M flows/s, scapy's layer objects ~14k/s (see bench/bench_netflow.py). A provincial
collector receiving from dozens of agency routers needs the former.

Versions plug in by the header's version field: `decode` reads the first two bytes and hands
the datagram to the decoder registered for that version in `_DECODERS`. Each version returns
its own packet type. v9 and IPFIX packets come back with their templates parsed and their data
sets still raw: reading those needs templates from earlier packets, which is state, and state
lives in `collectors.netflow.session`, not here.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import NamedTuple

from collectors.netflow.ipfix import IpfixPacket, decode_ipfix
from collectors.netflow.v9 import V9Packet, decode_v9
from soc.errors import ParseError

V5_HEADER = struct.Struct("!HHIIIIBBH")
V5_RECORD = struct.Struct("!4s4s4sHHIIIIHHxBBBHHBBxx")
V5_MAX_RECORDS = 30  # Cisco's limit; a larger count means the header is garbage.
_VERSION = struct.Struct("!H")


class V5Header(NamedTuple):
    version: int
    count: int
    sys_uptime: int  # ms since the exporter booted, when this datagram was sent
    unix_secs: int
    unix_nsecs: int
    flow_sequence: int  # flows seen before this datagram: gaps reveal loss
    engine_type: int
    engine_id: int
    sampling_interval: int  # raw 16 bits: mode in the top 2, interval in the low 14

    @property
    def sampling_mode(self) -> int:
        return self.sampling_interval >> 14

    @property
    def sampling_rate(self) -> int:
        return self.sampling_interval & 0x3FFF


class V5Record(NamedTuple):
    src_addr: str
    dst_addr: str
    next_hop: str
    input_interface: int  # SNMP ifIndex
    output_interface: int
    packets: int
    octets: int
    first: int  # sysUptime (ms) at the flow's first packet
    last: int  # sysUptime (ms) at the flow's last packet
    src_port: int  # for ICMP: 0; the type and code are in dst_port (type * 256 + code)
    dst_port: int
    tcp_flags: int  # OR of every packet's flags
    protocol: int  # IANA protocol number
    tos: int
    src_as: int
    dst_as: int
    src_mask: int
    dst_mask: int


class V5Packet(NamedTuple):
    header: V5Header
    records: list[V5Record]


ExportPacket = V5Packet | V9Packet | IpfixPacket
"""Every decoded packet type."""


def decode(datagram: bytes, *, exporter: str) -> ExportPacket:
    """Decode one export datagram of any supported version.

    `exporter` ("ip:port") only labels the error, so that the dead-letter record and the log
    name the device that sent garbage. Raises ParseError and nothing else on bad input.
    """
    if len(datagram) < _VERSION.size:
        raise ParseError(f"datagram of {len(datagram)} bytes has no version field", where=exporter)
    (version,) = _VERSION.unpack_from(datagram)
    decoder = _DECODERS.get(version)
    if decoder is None:
        supported = ", ".join(str(v) for v in sorted(_DECODERS))
        raise ParseError(
            f"unsupported NetFlow version {version} (supported: {supported})", where=exporter
        )
    return decoder(datagram, exporter)


def v5_header(datagram: bytes, exporter: str) -> V5Header:
    """The header of a NetFlow v5 datagram, checked against its length: a 24-byte header and
    `count` 48-byte records (what `decode_v5` and the columnar path accept).

    Bytes after the last record are ignored rather than rejected: the format has no padding,
    but dropping every flow of an exporter that pads would lose data for no gain.
    """
    size = len(datagram)
    if size < V5_HEADER.size:
        raise ParseError(f"v5 header truncated: {size} of {V5_HEADER.size} bytes", where=exporter)
    header = V5Header._make(V5_HEADER.unpack_from(datagram))
    if header.count > V5_MAX_RECORDS:
        raise ParseError(
            f"v5 header claims {header.count} records, the format allows {V5_MAX_RECORDS}",
            where=exporter,
        )
    end = V5_HEADER.size + header.count * V5_RECORD.size
    if size < end:
        raise ParseError(
            f"v5 datagram truncated: header claims {header.count} records ({end} bytes), "
            f"received {size} bytes",
            where=exporter,
        )
    return header


def decode_v5(datagram: bytes, exporter: str) -> V5Packet:
    """A NetFlow v5 datagram: its header (`v5_header`) and records."""
    header = v5_header(datagram, exporter)
    end = V5_HEADER.size + header.count * V5_RECORD.size
    ntoa = socket.inet_ntoa
    records = [
        V5Record(ntoa(src), ntoa(dst), ntoa(hop), *rest)
        for src, dst, hop, *rest in V5_RECORD.iter_unpack(datagram[V5_HEADER.size : end])
    ]
    return V5Packet(header, records)


_DECODERS: dict[int, Callable[[bytes, str], ExportPacket]] = {
    5: decode_v5,
    9: decode_v9,
    10: decode_ipfix,
}
