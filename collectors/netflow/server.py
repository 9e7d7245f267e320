"""The UDP listener: datagrams in, ECS flow events out to the batching sink.

One thread per socket is enough: decoding is ~1 µs per flow and the sink's queue decouples the
store, so the kernel's receive buffer (`receive_buffer_bytes`, raised from Linux's ~200 KB
default) absorbs bursts while the thread drains the socket without a syscall per wakeup.
`close()` is prompt because the thread waits on the socket *and* a wake-up pair, not on a
receive timeout.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading

from collectors.deadletter import DeadLetter
from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import decode
from collectors.netflow.normalize import DATASET, normalize
from collectors.sink import BatchingSink
from soc.config import NetflowSettings
from soc.enrich.agency import AgencyTagger
from soc.errors import ConfigError, ParseError
from soc.model.event import stamp

log = logging.getLogger(__name__)

MAX_DATAGRAM_BYTES = 65535
SOURCE = "netflow"


class NetflowListener:
    """A bound, running NetFlow collector (`collectors.listener.Listener`).

    `receive_buffer_bytes` is what the kernel granted (Linux reports twice the request, capped
    by net.core.rmem_max), so an operator can see why bursts drop.
    """

    def __init__(
        self,
        settings: NetflowSettings,
        *,
        sink: BatchingSink,
        tagger: AgencyTagger,
        dead_letter: DeadLetter,
    ) -> None:
        self._sink = sink
        self._tagger = tagger
        self._dead_letter = dead_letter
        self._community_id = CommunityId()
        self._sock = _bind(settings)
        self.addresses: list[tuple[str, int]] = [self._sock.getsockname()[:2]]
        self.receive_buffer_bytes = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        if self.receive_buffer_bytes < settings.receive_buffer_bytes:
            # Linux silently caps the request at net.core.rmem_max; bursts will then drop.
            log.warning(
                "netflow receive buffer is %d bytes, %d requested: raise net.core.rmem_max",
                self.receive_buffer_bytes,
                settings.receive_buffer_bytes,
            )
        self._wake_recv, self._wake_send = socket.socketpair()
        self._closing = threading.Event()
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name=f"netflow-{self.addresses[0][1]}", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop receiving and release the socket; datagrams already handled stay in the sink."""
        with self._close_lock:
            if self._closing.is_set():
                return
            self._closing.set()
            self._wake_send.send(b"\0")
            self._thread.join()
            for sock in (self._sock, self._wake_recv, self._wake_send):
                sock.close()

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            selector.register(self._wake_recv, selectors.EVENT_READ)
            while not self._closing.is_set():
                selector.select()
                self._drain()

    def _drain(self) -> None:
        while not self._closing.is_set():
            try:
                datagram, peer = self._sock.recvfrom(MAX_DATAGRAM_BYTES)
            except BlockingIOError:
                return
            except OSError as exc:  # e.g. an ICMP error queued on the socket: keep listening
                log.warning("netflow receive error on %s: %s", self.addresses[0], exc)
                return
            self._handle(datagram, peer[0], peer[1])

    def _handle(self, datagram: bytes, ip: str, port: int) -> None:
        exporter = f"{ip}:{port}"
        try:
            packet = decode(datagram, exporter=exporter)
            events = normalize(
                packet, exporter_ip=ip, exporter_port=port, community_id=self._community_id
            )
        except ParseError as exc:
            self._dead_letter.write(source=SOURCE, reason=str(exc), raw=datagram, peer=exporter)
            return
        except Exception as exc:  # a decoder bug must cost one datagram, not the listener
            log.exception("netflow datagram from %s could not be handled", exporter)
            reason = f"internal error: {exc!r}"
            self._dead_letter.write(source=SOURCE, reason=reason, raw=datagram, peer=exporter)
            return
        for event in events:
            self._sink.put(self._tagger.tag(stamp(event, dataset=DATASET)))


def _bind(settings: NetflowSettings) -> socket.socket:
    where = f"netflow udp {settings.host}:{settings.port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            settings.host, settings.port, type=socket.SOCK_DGRAM
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"cannot open the listening socket: {exc}", where=where) from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, settings.receive_buffer_bytes)
        sock.bind(address)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen: {exc}", where=where) from exc
    return sock
