"""NetFlow v5 export datagrams of the demo's agency routers, crafted with scapy.

scapy is the field's packet-crafting library and an encoder independent of our decoder, so the
demo also cross-checks `collectors.netflow.decode`. Crafting costs ~0.3 ms a record: far below
the demo's few datagrams a second, so each datagram is built from scratch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from scapy.layers.netflow import NetflowHeader, NetflowHeaderV5, NetflowRecordV5

MAX_RECORDS = 30  # per v5 datagram


@dataclass(frozen=True)
class Flow:
    src: str
    dst: str
    src_port: int
    dst_port: int
    protocol: int
    packets: int
    octets: int
    started_ms_ago: int  # before the export
    ended_ms_ago: int
    tcp_flags: int = 0
    input_interface: int = 1
    output_interface: int = 2


class Exporter:
    """One router's export process: its uptime clock (sysUptime) and flow sequence number."""

    def __init__(self, *, engine_id: int, uptime_ms: int) -> None:
        self._engine_id = engine_id
        self._booted = time.monotonic() - uptime_ms / 1000
        self._sequence = 0

    def datagrams(self, flows: Sequence[Flow], *, now: datetime) -> list[bytes]:
        """The flows as v5 datagrams of at most 30 records, stamped with `now`."""
        uptime = int((time.monotonic() - self._booted) * 1000)
        secs, micros = divmod(round(now.timestamp() * 1_000_000), 1_000_000)
        out = []
        for start in range(0, len(flows), MAX_RECORDS):
            chunk = flows[start : start + MAX_RECORDS]
            packet = NetflowHeader(version=5) / NetflowHeaderV5(
                count=len(chunk),
                sysUptime=uptime,
                unixSecs=secs,
                unixNanoSeconds=micros * 1000,
                flowSequence=self._sequence,
                engineType=0,
                engineID=self._engine_id,
            )
            for flow in chunk:
                packet /= NetflowRecordV5(
                    src=flow.src,
                    dst=flow.dst,
                    nexthop="0.0.0.0",
                    input=flow.input_interface,
                    output=flow.output_interface,
                    dpkts=flow.packets,
                    dOctets=flow.octets,
                    first=max(0, uptime - flow.started_ms_ago),
                    last=max(0, uptime - flow.ended_ms_ago),
                    srcport=flow.src_port,
                    dstport=flow.dst_port,
                    tcpFlags=flow.tcp_flags,
                    prot=flow.protocol,
                )
            self._sequence = (self._sequence + len(chunk)) & 0xFFFFFFFF
            out.append(bytes(packet))
        return out
