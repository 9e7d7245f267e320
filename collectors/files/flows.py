"""Packets to flow records, the way a flow exporter (softflowd) would have reported them.

A flow is one direction of a conversation: protocol, addresses and ports (for ICMP the type and
code stand in the ports, as NetFlow carries them). It counts layer-3 bytes (the IP header's
length, not what the capture kept) and ORs the TCP flags. It ends when it has been idle longer
than its protocol's timeout, when it has lived too long, or at the end of the capture. The
default timeouts are softflowd's, so a capture gives the same flows whether it is replayed
through softflowd into the NetFlow listener or read here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58
_FIN, _RST = 0x01, 0x04
_NS = 1_000_000_000


@dataclass(frozen=True)
class Timeouts:
    """Seconds; softflowd's defaults (`softflowd -t` names in comments)."""

    tcp: int = 3600  # tcp
    tcp_rst: int = 120  # tcp.rst: after a reset
    tcp_fin: int = 300  # tcp.fin: after a FIN
    udp: int = 300  # udp
    icmp: int = 300  # icmp
    general: int = 3600  # general: any other protocol
    maxlife: int = 604800  # maxlife: a flow older than this is reported and restarted


FlowKey = tuple[int, str, int, str, int]  # protocol, source ip, source port, dest ip, dest port


@dataclass
class Flow:
    protocol: int
    source_ip: str
    source_port: int
    destination_ip: str
    destination_port: int
    ip_version: int
    first_ns: int
    last_ns: int
    packets: int = 0
    bytes: int = 0
    tcp_flags: int = 0
    tos: int = 0

    def idle_limit_ns(self, timeouts: Timeouts) -> int:
        if self.protocol == TCP:
            if self.tcp_flags & _RST:
                seconds = timeouts.tcp_rst
            elif self.tcp_flags & _FIN:
                seconds = timeouts.tcp_fin
            else:
                seconds = timeouts.tcp
        elif self.protocol == UDP:
            seconds = timeouts.udp
        elif self.protocol in (ICMP, ICMPV6):
            seconds = timeouts.icmp
        else:
            seconds = timeouts.general
        return seconds * _NS


@dataclass(frozen=True)
class Packet:
    """What flow accounting needs of one IP packet."""

    time_ns: int
    ip_version: int
    protocol: int
    source_ip: str
    destination_ip: str
    source_port: int
    destination_port: int
    length: int  # IP total length
    tcp_flags: int = 0
    tos: int = 0


class FlowTable:
    """Accumulates packets in capture order; yields flows as they end.

    Idle flows are swept every `sweep_interval_seconds` of capture time, which bounds memory on
    long captures the way an exporter's expiry timer does.
    """

    def __init__(
        self, timeouts: Timeouts | None = None, *, sweep_interval_seconds: int = 60
    ) -> None:
        self.timeouts = timeouts or Timeouts()
        self._flows: dict[FlowKey, Flow] = {}
        self._sweep_ns = sweep_interval_seconds * _NS
        self._next_sweep: int | None = None

    def add(self, packet: Packet) -> list[Flow]:
        """Count the packet; returns the flows that ended before it (idle or too old)."""
        ended: list[Flow] = []
        if self._next_sweep is None:
            self._next_sweep = packet.time_ns + self._sweep_ns
        elif packet.time_ns >= self._next_sweep:
            ended.extend(self._sweep(packet.time_ns))
            self._next_sweep = packet.time_ns + self._sweep_ns
        key = (
            packet.protocol,
            packet.source_ip,
            packet.source_port,
            packet.destination_ip,
            packet.destination_port,
        )
        flow = self._flows.get(key)
        if flow is not None and self._ended(flow, packet.time_ns):
            ended.append(self._flows.pop(key))
            flow = None
        if flow is None:
            flow = self._flows[key] = Flow(
                packet.protocol,
                packet.source_ip,
                packet.source_port,
                packet.destination_ip,
                packet.destination_port,
                packet.ip_version,
                first_ns=packet.time_ns,
                last_ns=packet.time_ns,
                tos=packet.tos,
            )
        flow.last_ns = max(flow.last_ns, packet.time_ns)
        flow.packets += 1
        flow.bytes += packet.length
        flow.tcp_flags |= packet.tcp_flags
        return ended

    def drain(self) -> Iterator[Flow]:
        """Every flow still open (the end of the capture), oldest first."""
        flows = sorted(self._flows.values(), key=lambda f: f.first_ns)
        self._flows.clear()
        yield from flows

    def _ended(self, flow: Flow, now_ns: int) -> bool:
        return (
            now_ns - flow.last_ns > flow.idle_limit_ns(self.timeouts)
            or now_ns - flow.first_ns > self.timeouts.maxlife * _NS
        )

    def _sweep(self, now_ns: int) -> Iterator[Flow]:
        ended = [key for key, flow in self._flows.items() if self._ended(flow, now_ns)]
        for key in sorted(ended, key=lambda k: self._flows[k].first_ns):
            yield self._flows.pop(key)
