"""The syslog listener: one UDP and one TCP socket served by a single selector thread.

One thread is enough for the load of a province (parsing, not I/O, is the cost, and the GIL
serialises it anyway) and keeps the server simple: sockets are non-blocking, so a slow or silent
TCP client never holds up the others, and `close()` wakes the thread through a socket pair
instead of waiting for a timeout. When the batching sink is full, `put` blocks this thread:
that is the intended backpressure, and UDP bursts then wait in the kernel buffer.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import selectors
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from collectors.syslog.framing import Frame, FramingError, StreamFramer
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.config import SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.errors import ConfigError, ParseError
from soc.model.event import stamp, utcnow

log = logging.getLogger(__name__)

_UDP_SOURCE = "syslog/udp"
_TCP_SOURCE = "syslog/tcp"
_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
_TCP_READ_BYTES = 64 * 1024
_UDP_DATAGRAMS_PER_WAKE = 256  # then let TCP clients have a turn
_JOIN_SECONDS = 5.0
_DRAIN_READS = 16  # per connection at close: bounded, a sender that never stops cannot hold us


@dataclass
class _Connection:
    sock: socket.socket
    peer: tuple[str, int]
    framer: StreamFramer = field(repr=False)
    closed: bool = False


class SyslogServer:
    """Receives syslog over UDP and TCP and hands each event to the sink (see module doc)."""

    def __init__(
        self,
        settings: SyslogSettings,
        *,
        sink: BatchingSink,
        tagger: AgencyTagger,
        dead_letter: DeadLetter,
    ) -> None:
        self._max = settings.max_message_bytes
        self._sink = sink
        self._tagger = tagger
        self._dead_letter = dead_letter
        self._selector = selectors.DefaultSelector()
        self._connections: dict[int, _Connection] = {}
        self._closing = threading.Event()
        self._closed = False
        self._released = False
        self._udp = _bind(settings.host, settings.udp_port, socket.SOCK_DGRAM)
        try:
            self._tcp = _bind(settings.host, settings.tcp_port, socket.SOCK_STREAM)
        except ConfigError:
            self._udp.close()
            raise
        self._wake_reader, self._wake_writer = socket.socketpair()
        for sock, handler in (
            (self._udp, self._on_datagrams),
            (self._tcp, self._on_accept),
            (self._wake_reader, None),
        ):
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ, handler)
        self.addresses: list[tuple[str, int]] = [
            self._udp.getsockname()[:2],
            self._tcp.getsockname()[:2],
        ]
        self._thread = threading.Thread(target=self._serve, name="syslog-server", daemon=True)

    @property
    def udp_address(self) -> tuple[str, int]:
        return self.addresses[0]

    @property
    def tcp_address(self) -> tuple[str, int]:
        return self.addresses[1]

    def start(self) -> SyslogServer:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop promptly: wake the thread, let it finish the connections' last lines, join."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        with contextlib.suppress(OSError):  # the thread may already be gone
            self._wake_writer.send(b"\0")
        if not self._thread.is_alive():
            self._release()
        else:
            self._thread.join(_JOIN_SECONDS)
        if self._thread.is_alive():
            log.warning("syslog server thread still busy after %.0f s (sink full?)", _JOIN_SECONDS)
        self._wake_writer.close()

    # -- the selector thread -----------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while not self._closing.is_set():
                for key, _ in self._selector.select():
                    if key.data is None:  # the wake-up socket
                        continue
                    try:
                        key.data()
                    except Exception:  # e.g. a full disk under the dead-letter file
                        log.exception("syslog server: handling input failed; still serving")
        finally:
            self._release()

    def _release(self) -> None:
        """Close everything, first taking in what senders already handed to the kernel: queued
        datagrams, connections still in the backlog, bytes waiting on open connections."""
        if self._released:
            return
        self._released = True
        try:
            self._on_datagrams()
            self._on_accept()
            for connection in list(self._connections.values()):
                for _ in range(_DRAIN_READS):
                    if not self._on_readable(connection):
                        break
                self._drop(connection)
        except Exception:
            log.exception("syslog server: input pending at shutdown could not be handled")
        finally:
            for connection in self._connections.values():
                connection.sock.close()
            for sock in (self._udp, self._tcp, self._wake_reader):
                sock.close()
            self._selector.close()

    def _on_datagrams(self) -> None:
        for _ in range(_UDP_DATAGRAMS_PER_WAKE):
            try:
                data, address = self._udp.recvfrom(self._max + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ICMP errors surfacing on some platforms
                log.warning("syslog UDP receive failed: %s", exc)
                return
            peer = _peer(address)
            if len(data) > self._max:
                self._reject(
                    _UDP_SOURCE,
                    f"datagram exceeds max_message_bytes ({self._max})",
                    data[: self._max],
                    peer,
                )
            else:
                self._handle(_UDP_SOURCE, data, peer)

    def _on_accept(self) -> None:
        while True:
            try:
                sock, address = self._tcp.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors: keep serving the others
                log.warning("syslog TCP accept failed: %s", exc)
                return
            sock.setblocking(False)
            connection = _Connection(sock, _peer(address), StreamFramer(self._max))
            self._connections[sock.fileno()] = connection
            self._selector.register(
                sock, selectors.EVENT_READ, functools.partial(self._on_readable, connection)
            )

    def _on_readable(self, connection: _Connection) -> bool:
        """Read once; False when nothing more is to be had now (would block, or closed)."""
        try:
            data = connection.sock.recv(_TCP_READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            data = b""  # reset by peer: what was buffered is all there will be
        if data:
            self._deliver(connection, connection.framer.feed(data))
            return True
        self._drop(connection)
        return False

    def _drop(self, connection: _Connection) -> None:
        if connection.closed:
            return
        connection.closed = True
        self._deliver(connection, connection.framer.finish())
        self._connections.pop(connection.sock.fileno(), None)
        self._selector.unregister(connection.sock)
        connection.sock.close()

    def _deliver(self, connection: _Connection, items: Iterable[Frame | FramingError]) -> None:
        for item in items:
            if isinstance(item, FramingError):
                self._reject(_TCP_SOURCE, item.reason, item.raw, connection.peer)
            else:
                self._handle(_TCP_SOURCE, item.payload, connection.peer)

    # -- one message ---------------------------------------------------------------------------

    def _handle(self, source: str, raw: bytes, peer: tuple[str, int]) -> None:
        received = utcnow()
        try:
            doc = to_ecs(parse_syslog(raw, received=received), peer_ip=peer[0])
        except ParseError as exc:
            self._reject(source, str(exc), raw, peer)
            return
        except Exception as exc:  # a parser bug must cost one message, not the listener
            log.exception("syslog message from %s could not be normalized", peer[0])
            self._reject(source, f"internal error: {exc!r}", raw, peer)
            return
        stamp(doc, dataset="syslog", received=received)
        self._sink.put(self._tagger.tag(doc))

    def _reject(self, source: str, reason: str, raw: bytes, peer: tuple[str, int]) -> None:
        self._dead_letter.write(source=source, reason=reason, raw=raw, peer=f"{peer[0]}:{peer[1]}")


def start(
    settings: SyslogSettings,
    *,
    sink: BatchingSink,
    tagger: AgencyTagger,
    dead_letter: DeadLetter,
) -> SyslogServer:
    """Bind UDP and TCP on settings.host (port 0 picks a free port; see `addresses`) and serve
    in a background thread until `close()`."""
    return SyslogServer(settings, sink=sink, tagger=tagger, dead_letter=dead_letter).start()


def _bind(host: str, port: int, kind: socket.SocketKind) -> socket.socket:
    where = f"syslog {'udp' if kind == socket.SOCK_DGRAM else 'tcp'} {host}:{port}"
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=kind)[0]
        sock = socket.socket(family, kind)
    except OSError as exc:
        raise ConfigError(str(exc), where=where) from exc
    try:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER_BYTES)
        sock.bind(address)
        if kind == socket.SOCK_STREAM:
            sock.listen(socket.SOMAXCONN)
    except OSError as exc:
        sock.close()
        raise ConfigError(str(exc), where=where) from exc
    return sock


def _peer(address: tuple[str, int] | tuple[str, int, int, int]) -> tuple[str, int]:
    """(IP, port) of the sender; IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`."""
    return str(address[0]).removeprefix("::ffff:"), int(address[1])
