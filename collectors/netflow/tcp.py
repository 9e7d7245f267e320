"""The IPFIX-over-TCP side of the NetFlow listener: accepting, reading, one state per connection.

Each connection is its own Transport Session (RFC 7011 §10.4): its templates, options and
sequence numbers belong to it, so it gets `Sessions` of its own, dropped when it closes and
never saved (the exporter sends its templates again at the start of every connection, §8). The
listener's thread serves the connections in turn, one read of at most `READ_BYTES` each, so one
busy exporter cannot starve the others or the UDP socket.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from collectors.netflow.session import Sessions
from collectors.netflow.stream import IpfixStream
from soc.config import NetflowSettings

READ_BYTES = 256 * 1024
"""Per connection and turn: the fairness budget (a few hundred messages)."""
MAX_CONNECTIONS = 256
"""Exporters are routers and firewalls, a few per agency: more connections than this is a
misconfiguration or an attack, and each would hold its own templates."""
CLOSE_READ_BYTES = 8 * 1024 * 1024
"""At shutdown, each connection is read out up to this much: what the kernel has already
acknowledged to the exporter must not be lost."""


@dataclass
class TcpExporter:
    """One connected exporter."""

    sock: socket.socket
    ip: str
    port: int
    sessions: Sessions
    stream: IpfixStream = field(default_factory=IpfixStream)

    @property
    def peer(self) -> str:
        return f"{self.ip}:{self.port}"


def accept(listening: socket.socket, settings: NetflowSettings) -> list[TcpExporter]:
    """The connections waiting to be accepted, each with empty sessions."""
    accepted = []
    while True:
        try:
            sock, peer = listening.accept()
        except (BlockingIOError, InterruptedError):
            return accepted
        except OSError:  # e.g. the peer reset before accept, or out of descriptors
            return accepted
        sock.setblocking(False)
        sessions = Sessions(
            pending_max_records=settings.pending_max_records,
            pending_max_age_seconds=settings.pending_max_age_seconds,
        )
        accepted.append(TcpExporter(sock, peer[0], peer[1], sessions))


def receive(exporter: TcpExporter, max_bytes: int) -> bytes | None:
    """Up to `max_bytes` the connection has ready: b"" when nothing is, None when it ended."""
    try:
        data = exporter.sock.recv(max_bytes)
    except (BlockingIOError, InterruptedError):
        return b""
    except OSError:  # reset by the exporter
        return None
    return data or None
