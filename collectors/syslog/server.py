"""The syslog listener: UDP, TCP and (optionally) TLS sockets served by one selector thread.

One thread per process keeps the server simple: parsing, not I/O, is the cost and the GIL
serialises it, so more cores are used by running this same loop in several worker processes on
shared sockets (`syslog.workers`, collectors/syslog/workers.py) rather than by threads. With
`workers: 1` it runs in a thread of the caller, as tests and small installs use it.
Every socket is non-blocking and
every connection is served in turn, one read of at most `_READ_BYTES` per turn, so a flooding
client gets its share and no more, and a slow or silent one (or one stalled mid-handshake) holds
up nobody. Connections are limited in total and per sending address, and closed when idle.
`close()` wakes the thread through a socket pair instead of waiting for a timeout. When the
batching sink is full, `put` blocks this thread: that is the intended backpressure, and UDP
bursts then wait in the kernel buffer, which is asked for `receive_buffer_bytes` (32 MiB by
default; the kernel's grant is logged at start). A burst of small datagrams costs ~1.1 KiB of
buffer each (the kernel counts its bookkeeping), so the 64 MiB granted on the development
machine held ~55,000 of the bench's ~300-byte lines: two seconds at 25,000/s.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from collectors.syslog.framing import Frame, FramingError, StreamFramer
from collectors.syslog.header import zone_setting
from collectors.syslog.intake import Intake
from collectors.syslog.streams import Admission, Stream, StreamEnd
from collectors.syslog.tls import server_context
from soc.config import SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.errors import ConfigError
from soc.model.sources import SourceRegistry

if TYPE_CHECKING:
    from collectors.syslog.workers import WorkerPool

log = logging.getLogger(__name__)

_UDP_SOURCE = "syslog/udp"
_TCP_SOURCE = "syslog/tcp"
_TLS_SOURCE = "syslog/tls"
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; Python does not name it
_READ_BYTES = 64 * 1024  # per connection and turn: the fairness budget
_UDP_DATAGRAMS_PER_WAKE = 256  # then let TCP clients have a turn
_ACCEPTS_PER_WAKE = 64  # a connection flood must not starve the connections already open
_HANDSHAKE_SECONDS = 30.0  # at most; never longer than the idle timeout
_REFUSAL_LOG_SECONDS = 10.0  # one warning per interval, however hard a client retries
_JOIN_SECONDS = 5.0
_DRAIN_UDP_SECONDS = 5.0  # at close: what the kernel holds, unless a flood never lets up
_DRAIN_ACCEPTS = 1000
# Per connection at close: more than its kernel buffers held (~4 MB measured on loopback), yet
# bounded, so that a sender that never stops cannot hold us. Bytes, not reads: a TLS read
# returns one record (16 KiB at most), a TCP read up to `_READ_BYTES`.
_DRAIN_BYTES = 8 * 1024 * 1024
# At close, for TLS handshakes under way to finish and their clients to send what they hold: a
# client that stalls mid-handshake delays shutdown by this much at most.
_DRAIN_HANDSHAKE_SECONDS = 1.0


class BoundAddresses:
    """Where a syslog listener took its sockets (port 0 in tests: what the kernel chose)."""

    addresses: list[tuple[str, int]]

    @property
    def endpoints(self) -> list[tuple[str, str, int]]:
        transports = ("syslog over UDP", "syslog over TCP", "syslog over TLS")
        pairs = zip(transports, self.addresses, strict=False)  # TLS only when enabled
        return [(what, *address) for what, address in pairs]

    @property
    def udp_address(self) -> tuple[str, int]:
        return self.addresses[0]

    @property
    def tcp_address(self) -> tuple[str, int]:
        return self.addresses[1]

    @property
    def tls_address(self) -> tuple[str, int] | None:
        return self.addresses[2] if len(self.addresses) > 2 else None


class SyslogServer(BoundAddresses):
    """Receives syslog over UDP, TCP and TLS and hands each event to the sink (see module doc)."""

    def __init__(
        self,
        settings: SyslogSettings,
        *,
        sink: BatchingSink,
        tagger: AgencyTagger | None,
        dead_letter: DeadLetter,
        sources: SourceRegistry | None = None,
        idle_timeout_seconds: float = 300.0,
        sockets: list[socket.socket] | None = None,
        after_wake: Callable[[], None] | None = None,
        connection_share: int = 1,
        accepts_per_wake: int = _ACCEPTS_PER_WAKE,
        max_wait_seconds: float | None = None,
    ) -> None:
        """`tagger` None leaves tagging to whoever receives the events (worker processes, whose
        parent tags). `sockets` are already bound listeners (udp, tcp[, tls]) shared with other
        worker processes; `after_wake` runs after each turn of the loop (a worker hands its
        batch on there); `connection_share` divides the connection limits among that many
        processes; `accepts_per_wake` 1 lets the other processes waiting on a shared listening
        socket take the next connection (the first one woken would otherwise take them all);
        `max_wait_seconds` bounds each wait, so that `after_wake` runs at least that often."""
        self._max = settings.max_message_bytes
        self._accepts_per_wake = accepts_per_wake
        self._max_wait = max_wait_seconds
        self._after_wake = after_wake
        self._intake = Intake(
            sink=sink,
            tagger=tagger,
            dead_letter=dead_letter,
            sources=sources,
            zone=zone_setting(settings.timezone),
        )
        tls_context = server_context(settings) if settings.tls_enabled else None
        self._admission = Admission(
            max_connections=-(-settings.max_connections // connection_share),
            max_connections_per_ip=-(-settings.max_connections_per_ip // connection_share),
        )
        self._idle_seconds = idle_timeout_seconds
        self._handshake_seconds = min(idle_timeout_seconds, _HANDSHAKE_SECONDS)
        self._sweep_seconds = min(1.0, idle_timeout_seconds / 4)
        self._next_sweep = time.monotonic() + self._sweep_seconds
        self._last_refusal_log = 0.0
        self._selector = selectors.DefaultSelector()
        self._streams: dict[int, Stream] = {}
        self._buffered: set[Stream] = set()  # TLS streams holding decrypted bytes
        self._closing = threading.Event()
        self._closed = False
        self._released = False
        self._listeners = sockets if sockets is not None else bind_all(settings)
        udp, tcp, *tls = self._listeners
        self._accepting: list[tuple[socket.socket, ssl.SSLContext | None]] = [(tcp, None)]
        if tls:
            self._accepting.append((tls[0], tls_context))
        self._wake_reader, self._wake_writer = socket.socketpair()
        handlers: list[tuple[socket.socket, Callable[[], object] | None]] = [
            (udp, self._on_datagrams),
            (self._wake_reader, None),
            *(
                (sock, functools.partial(self._on_accept, sock, context))
                for sock, context in self._accepting
            ),
        ]
        for sock, handler in handlers:
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ, handler)
        self.addresses: list[tuple[str, int]] = [s.getsockname()[:2] for s in self._listeners]
        self._thread = threading.Thread(target=self._serve, name="syslog-server", daemon=True)

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

    def join(self, timeout_seconds: float | None = None) -> bool:
        """After `close()`: wait for the thread to finish draining; True when it has."""
        if self._thread.is_alive():
            self._thread.join(timeout_seconds)
        return not self._thread.is_alive()

    # -- the selector thread -----------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while not self._closing.is_set():
                timeout = max(0, self._next_sweep - time.monotonic())
                if self._max_wait is not None:
                    timeout = min(timeout, self._max_wait)
                self._turn(timeout)
                if time.monotonic() >= self._next_sweep:
                    self._guarded(self._sweep)
                self._intake.flush_sources()
                if self._after_wake is not None:
                    self._guarded(self._after_wake)
        finally:
            self._release()

    def _turn(self, timeout: float) -> None:
        """Handle what the sockets have, waiting up to `timeout` for something (not at all while
        TLS streams hold decrypted bytes, which the selector cannot see)."""
        for key, _ in self._selector.select(0 if self._buffered else timeout):
            if key.data is not None:  # None: the wake-up socket
                self._guarded(key.data)
        for stream in list(self._buffered):
            self._buffered.discard(stream)
            self._guarded(functools.partial(self._on_readable, stream))

    @staticmethod
    def _guarded(handler: Callable[[], object]) -> None:
        try:
            handler()
        except Exception:  # e.g. a full disk under the dead-letter file
            log.exception("syslog server: handling input failed; still serving")

    def _release(self) -> None:
        """Close everything, first taking in what senders already handed to the kernel: queued
        datagrams, connections still in the backlogs (TCP and TLS), bytes waiting on open
        connections, and what TLS clients send once their handshakes are done."""
        if self._released:
            return
        self._released = True
        try:
            deadline = time.monotonic() + _DRAIN_UDP_SECONDS
            while self._on_datagrams() == _UDP_DATAGRAMS_PER_WAKE:
                if time.monotonic() >= deadline:
                    break
            for listener, context in self._accepting:
                for _ in range(_DRAIN_ACCEPTS):  # connections still in the backlog
                    if self._on_accept(listener, context) < self._accepts_per_wake:
                        break
            self._drain_streams()
            self._intake.flush_sources()
            if self._after_wake is not None:
                self._after_wake()
        except Exception:
            log.exception("syslog server: input pending at shutdown could not be handled")
        finally:
            for stream in self._streams.values():
                stream.sock.close()
            for sock in (*self._listeners, self._wake_reader):
                sock.close()
            self._selector.close()

    def _drain_streams(self) -> None:
        """Read out every open connection and close it. A TLS handshake still under way (a
        connection just taken from the backlog, or a client whose last handshake message is not
        read yet) gets up to `_DRAIN_HANDSHAKE_SECONDS` to finish: its client may already have
        written its messages behind that message, or sends them right after the handshake, and
        closing first would lose them. Such connections are served as in `_serve`, handshake
        step by step, until they end or the time is up."""
        for sock in (*self._listeners, self._wake_reader):
            self._selector.unregister(sock)  # accepting is over: wait on the connections only
        for stream in [s for s in self._streams.values() if s.established]:
            self._read_out(stream)
        deadline = time.monotonic() + _DRAIN_HANDSHAKE_SECONDS
        while self._streams and (left := deadline - time.monotonic()) > 0:
            self._turn(left)
        for stream in list(self._streams.values()):
            if stream.established:
                self._read_out(stream)
            else:
                self._abandon_handshake(stream, "TLS handshake not completed at shutdown")

    def _read_out(self, stream: Stream) -> None:
        """Read what the connection holds now (at most `_DRAIN_BYTES`), then close it."""
        taken = 0
        while taken < _DRAIN_BYTES and (read := self._on_readable(stream)):
            taken += read
        self._drop(stream)

    def _on_datagrams(self) -> int:
        """Take up to `_UDP_DATAGRAMS_PER_WAKE` datagrams; returns how many were read."""
        udp = self._listeners[0]
        for done in range(_UDP_DATAGRAMS_PER_WAKE):
            try:
                data, address = udp.recvfrom(self._max + 1)
            except (BlockingIOError, InterruptedError):
                return done
            except OSError as exc:  # e.g. ICMP errors surfacing on some platforms
                log.warning("syslog UDP receive failed: %s", exc)
                return done
            peer = _peer(address)
            if len(data) > self._max:
                reason = f"datagram exceeds max_message_bytes ({self._max})"
                self._intake.reject(_UDP_SOURCE, reason, data[: self._max], peer)
            else:
                self._intake.handle(_UDP_SOURCE, data, peer)
        return _UDP_DATAGRAMS_PER_WAKE

    def _on_accept(self, listener: socket.socket, tls: ssl.SSLContext | None) -> int:
        """Accept up to `accepts_per_wake` connections; returns how many were taken."""
        for done in range(self._accepts_per_wake):
            try:
                sock, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return done
            except OSError as exc:  # out of file descriptors: keep serving the others
                log.warning("syslog accept failed: %s", exc)
                return done
            peer = _peer(address)
            if refusal := self._admission.admit(peer[0]):
                self._refused(peer, refusal)
                sock.close()
                continue
            sock.setblocking(False)
            source = _TLS_SOURCE if tls else _TCP_SOURCE
            stream = Stream(sock, peer, StreamFramer(self._max), source=source, tls=tls)
            self._streams[stream.fd] = stream
            self._selector.register(
                stream.fd, selectors.EVENT_READ, functools.partial(self._on_readable, stream)
            )
            self._intake.describe(peer[0], transport=source.removeprefix("syslog/"))
        return self._accepts_per_wake

    def _refused(self, peer: tuple[str, int], reason: str) -> None:
        """No data was lost (the sender still holds it and will retry), so no dead letter: a
        warning, rate-limited, and a counter on the sending host."""
        self._intake.note(peer[0], refused_connections=1)
        now = time.monotonic()
        if now - self._last_refusal_log >= _REFUSAL_LOG_SECONDS:
            self._last_refusal_log = now
            log.warning("syslog connection from %s:%d refused: %s", *peer, reason)

    def _on_readable(self, stream: Stream) -> int:
        """Read once; how many bytes were read, 0 when nothing more is to be had now (would
        block, or closed)."""
        if stream.closed:
            return 0
        fd = stream.fd
        handshaking = not stream.established
        try:
            data = stream.receive(_READ_BYTES)
        except StreamEnd as end:
            if end.reason:
                log.warning("syslog %s from %s:%d: %s", stream.source, *stream.peer, end.reason)
                self._intake.reject(stream.source, end.reason, end.raw, stream.peer)
            self._drop(stream)
            return 0
        if handshaking:
            wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if stream.wants_write else 0)
            if self._selector.get_key(fd).events != wanted:
                self._selector.modify(fd, wanted, functools.partial(self._on_readable, stream))
            if stream.established and stream.subject:
                self._intake.describe(stream.peer[0], tls_subject=stream.subject)
        if not data:
            return 0
        self._deliver(stream, stream.framer.feed(data))
        if stream.buffered():
            self._buffered.add(stream)
        return len(data)

    def _sweep(self) -> None:
        """Close connections idle too long; a handshake left unfinished is a dead letter."""
        now = time.monotonic()
        for stream in list(self._streams.values()):
            if stream.established and now - stream.last_active >= self._idle_seconds:
                log.info("syslog %s from %s:%d idle, closed", stream.source, *stream.peer)
                self._drop(stream)
            elif not stream.established and now - stream.last_active >= self._handshake_seconds:
                reason = f"TLS handshake not completed within {self._handshake_seconds:g} s"
                self._abandon_handshake(stream, reason)
        self._next_sweep = now + self._sweep_seconds

    def _abandon_handshake(self, stream: Stream, reason: str) -> None:
        """Close a connection whose TLS handshake never finished: a dead letter (with nothing
        read) says which sender was cut off."""
        self._intake.reject(stream.source, reason, b"", stream.peer)
        self._drop(stream)

    def _drop(self, stream: Stream) -> None:
        if stream.closed:
            return
        stream.closed = True
        self._buffered.discard(stream)
        self._deliver(stream, stream.framer.finish())
        fd = stream.fd
        self._streams.pop(fd, None)
        self._selector.unregister(fd)
        stream.sock.close()
        self._admission.release(stream.peer[0])

    def _deliver(self, stream: Stream, items: Iterable[Frame | FramingError]) -> None:
        for item in items:
            if isinstance(item, FramingError):
                self._intake.reject(stream.source, item.reason, item.raw, stream.peer)
            else:
                self._intake.handle(stream.source, item.payload, stream.peer)


def start(
    settings: SyslogSettings,
    *,
    sink: BatchingSink,
    tagger: AgencyTagger,
    dead_letter: DeadLetter,
    sources: SourceRegistry | None = None,
    idle_timeout_seconds: float = 300.0,
) -> SyslogServer | WorkerPool:
    """Bind UDP and TCP (and TLS when `tls_enabled`) on settings.host (port 0 picks a free port;
    see `addresses`: udp, tcp[, tls]) and serve until `close()`: in a background thread when
    `settings.workers` is 1, else in that many worker processes (0: one per CPU; see
    `collectors.syslog.workers`). `sources` receives per-host last-seen times and counters."""
    from collectors.syslog.workers import WorkerPool, worker_count

    workers = worker_count(settings.workers)
    if workers > 1:
        return WorkerPool(
            settings,
            workers=workers,
            sink=sink,
            tagger=tagger,
            dead_letter=dead_letter,
            sources=sources,
            idle_timeout_seconds=idle_timeout_seconds,
        ).start()
    return SyslogServer(
        settings,
        sink=sink,
        tagger=tagger,
        dead_letter=dead_letter,
        sources=sources,
        idle_timeout_seconds=idle_timeout_seconds,
    ).start()


def bind_all(settings: SyslogSettings) -> list[socket.socket]:
    """UDP, TCP and (if enabled) TLS sockets; none stays open when one cannot be bound."""
    wanted = [
        (settings.udp_port, socket.SOCK_DGRAM, "udp"),
        (settings.tcp_port, socket.SOCK_STREAM, "tcp"),
    ]
    if settings.tls_enabled:
        wanted.append((settings.tls_port, socket.SOCK_STREAM, "tls"))
    bound: list[socket.socket] = []
    try:
        for port, kind, name in wanted:
            bound.append(_bind(settings.host, port, kind, name))
        _grow_receive_buffer(bound[0], settings.receive_buffer_bytes)
    except ConfigError:
        for sock in bound:
            sock.close()
        raise
    return bound


def _bind(host: str, port: int, kind: socket.SocketKind, name: str) -> socket.socket:
    where = f"syslog {name} {host}:{port}"
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=kind)[0]
        sock = socket.socket(family, kind)
    except OSError as exc:
        raise ConfigError(str(exc), where=where) from exc
    try:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if kind == socket.SOCK_STREAM:
            sock.listen(socket.SOMAXCONN)
    except OSError as exc:
        sock.close()
        raise ConfigError(str(exc), where=where) from exc
    return sock


def _grow_receive_buffer(sock: socket.socket, wanted: int) -> int:
    """Ask for a UDP receive buffer of `wanted` bytes, so that bursts wait in the kernel while
    the parsers catch up, and log what the kernel granted. `net.core.rmem_max` caps SO_RCVBUF
    (4 MiB on the development machine); a privileged process (CAP_NET_ADMIN) may exceed it with
    SO_RCVBUFFORCE, which is tried first. Linux reports twice the size asked (bookkeeping)."""
    if wanted <= 0:
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    forced = False
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, wanted)
        forced = True
    if not forced:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, wanted)
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    cap = _rmem_max()
    log.info(
        "syslog UDP receive buffer: asked %d bytes, kernel granted %d%s",
        wanted,
        granted,
        ""
        if forced
        else f" (net.core.rmem_max caps it at {cap}; raise it or run with CAP_NET_ADMIN for more)"
        if cap is not None
        else "",
    )
    return granted


def _rmem_max() -> int | None:
    try:
        with open("/proc/sys/net/core/rmem_max") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return None


def _peer(address: tuple[str, int] | tuple[str, int, int, int]) -> tuple[str, int]:
    """(IP, port) of the sender; IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`."""
    return str(address[0]).removeprefix("::ffff:"), int(address[1])
