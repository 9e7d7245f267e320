"""One TCP or TLS connection, and the limits on how many a listener holds.

A stream never blocks: `receive` returns what the socket has now (possibly nothing) and raises
`StreamEnd` when the stream is over, with a reason when the ending is worth a dead-letter record
(plaintext on the TLS port, a failed handshake, a TLS protocol error). The TLS handshake runs
inside `receive` step by step, so a client that stalls mid-handshake holds up nobody.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field

from collectors.syslog.framing import StreamFramer
from collectors.syslog.tls import TLS_RECORD_HANDSHAKE, handshake_reason, peer_subject


class StreamEnd(Exception):
    """The stream is over; `reason` (with what was read, `raw`) when it ended in error."""

    def __init__(self, reason: str | None = None, raw: bytes = b"") -> None:
        super().__init__(reason or "closed")
        self.reason = reason
        self.raw = raw


@dataclass(eq=False)
class Stream:
    sock: socket.socket
    peer: tuple[str, int]
    framer: StreamFramer = field(repr=False)
    source: str  # dead-letter source name: syslog/tcp or syslog/tls
    last_active: float = field(default_factory=time.monotonic)
    tls: ssl.SSLContext | None = None  # set until the TLS handshake is done
    handshaking: bool = False
    wants_write: bool = False  # the handshake waits for the kernel to take our bytes
    subject: str | None = None  # the client certificate's name, once verified
    closed: bool = False

    @property
    def fd(self) -> int:
        return self.sock.fileno()

    @property
    def established(self) -> bool:
        return self.tls is None

    def receive(self, max_bytes: int) -> bytes:
        """Up to max_bytes of application data (b"" if none yet); raises StreamEnd."""
        if self.tls is not None and not self._handshake(max_bytes):
            return b""
        try:
            data = self.sock.recv(max_bytes)
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return b""
        except ssl.SSLZeroReturnError:
            raise StreamEnd() from None
        except ssl.SSLError as exc:
            raise StreamEnd(f"TLS error: {exc.reason or exc}") from None
        except OSError:
            raise StreamEnd() from None  # reset by peer: what was framed is all there is
        if not data:
            raise StreamEnd()
        self.last_active = time.monotonic()
        return data

    def buffered(self) -> bool:
        """Whether to read again next turn without waiting for the selector: after returning
        data, the TLS layer may hold records it already took from the kernel (OpenSSL reads
        ahead), which the selector cannot see. Plain TCP leaves them in the kernel."""
        return isinstance(self.sock, ssl.SSLSocket)

    def _handshake(self, max_bytes: int) -> bool:
        """Advance the TLS handshake; True once it is done."""
        assert self.tls is not None
        if not self.handshaking:
            if not self._client_hello_arrived(max_bytes):
                return False
            self.sock = self.tls.wrap_socket(
                self.sock, server_side=True, do_handshake_on_connect=False
            )
            self.handshaking = True
        try:
            self.sock.do_handshake()  # type: ignore[attr-defined]
        except ssl.SSLWantReadError:
            self.wants_write = False
            return False
        except ssl.SSLWantWriteError:
            self.wants_write = True
            return False
        except (ssl.SSLError, OSError) as exc:
            raise StreamEnd(handshake_reason(exc)) from None
        self.tls, self.handshaking, self.wants_write = None, False, False
        self.subject = peer_subject(self.sock)  # type: ignore[arg-type]
        self.last_active = time.monotonic()
        return True

    def _client_hello_arrived(self, max_bytes: int) -> bool:
        """False until the client's first byte is there. A sender configured for plain TCP on
        the TLS port is a common mistake: say so, and keep what it sent, instead of an opaque
        "wrong version number" from OpenSSL."""
        try:
            first = self.sock.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            raise StreamEnd() from None
        if not first:
            raise StreamEnd()
        if first[0] != TLS_RECORD_HANDSHAKE:
            try:
                raw = self.sock.recv(max_bytes)
            except OSError:
                raw = first
            raise StreamEnd("plaintext on the TLS port (expected a TLS handshake)", raw)
        return True


class Admission:
    """Connection limits: in total and per sending address.

    The per-address limit is what keeps one misbehaving device (a relay opening a connection per
    message, a scanner) from taking every slot from the agencies' other senders.
    """

    def __init__(self, *, max_connections: int, max_connections_per_ip: int) -> None:
        self._max_total = max_connections
        self._max_per_ip = max_connections_per_ip
        self._per_ip: Counter[str] = Counter()
        self._total = 0

    def admit(self, ip: str) -> str | None:
        """Count a new connection from ip; the reason when it must be refused."""
        if self._total >= self._max_total:
            return f"max_connections ({self._max_total}) reached"
        if self._per_ip[ip] >= self._max_per_ip:
            return f"max_connections_per_ip ({self._max_per_ip}) reached for {ip}"
        self._total += 1
        self._per_ip[ip] += 1
        return None

    def release(self, ip: str) -> None:
        self._total -= 1
        self._per_ip[ip] -= 1
        if self._per_ip[ip] <= 0:
            del self._per_ip[ip]
