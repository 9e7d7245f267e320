"""The UDP listener (and IPFIX over TCP): datagrams in, ECS flow events out to the sink.

One thread per socket is enough: decoding is a few µs per flow and the sink's queue decouples
the store, so the kernel's receive buffer (`receive_buffer_bytes`, raised from Linux's ~200 KB
default) absorbs bursts while the thread drains the socket without a syscall per wakeup.
`close()` is prompt because the thread waits on the socket *and* a wake-up pair; it wakes at
least every second to expire data that waits for a template too long, publish exporter health
and save changed templates (at most every `SAVE_INTERVAL_SECONDS`, and at close).

The thread shares the GIL with the sink's writer, so the hot path avoids anything that releases
it per flow: event ids come without a system call (`soc.model.event.new_event_ids`) and a
datagram's flows reach the sink as one chunk (`put_many`). In a 25,000 flows/s soak, an
`os.urandom` per id alone cost a quarter of the thread's time and 4 % of the flows
(bench/bench_soak.py, bench/README.md).

NetFlow v5 and v9/IPFIX sets of fixed-length templates take columnar paths when the sink and
the tagger allow it (`put_columns`, and `ipv4_prefixes()` not None: agencies and GeoIP are all
the tagging, no intel indicators). v5: each datagram's header is checked (dead letter, health
and sequence gaps as before) and its bytes kept. v9/IPFIX: `Sessions.process(columnar=True)`
does the template state and sequence accounting as before and hands back the sets of templates
with a `layout` undecoded. Once `COLUMNS_FLOWS` flows are kept or `COLUMNS_SECONDS` passed,
`collectors.netflow.columnar_v5` and `columnar_sets` turn what was kept into column batches,
mapped with numpy and stored by DuckDB without a dict or a JSON parse per flow. A datagram with
events for the dict path (its events must not overtake the flows before it) flushes them first.

With `tcp_enabled`, the same thread also serves IPFIX over TCP (`collectors.netflow.tcp`): each
message framed out of a connection's stream is handled like a datagram, against that
connection's own sessions.
"""

from __future__ import annotations

import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from collectors.deadletter import DeadLetter
from collectors.netflow.columnar_sets import SetColumns
from collectors.netflow.columnar_v5 import V5Columns
from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import V5Header, V5Packet, decode, decode_v5, v5_header
from collectors.netflow.health import ExporterHealth
from collectors.netflow.normalize import DATASET, normalize_flows, normalize_v5
from collectors.netflow.persist import TemplateFile
from collectors.netflow.sequence import SequenceTracker
from collectors.netflow.session import ColumnarSet, Outcome, Session, Sessions
from collectors.netflow.sets import Problem
from collectors.netflow.tcp import (
    CLOSE_READ_BYTES,
    MAX_CONNECTIONS,
    READ_BYTES,
    TcpExporter,
    accept,
    receive,
)
from collectors.sink import BatchingSink
from soc.config import NetflowSettings
from soc.enrich.agency import AgencyTagger
from soc.errors import ConfigError, ParseError
from soc.model.agency import Agency
from soc.model.event import Event, new_event_ids, stamp
from soc.model.sources import SourceRegistry

log = logging.getLogger(__name__)

V5_VERSION = b"\x00\x05"
MAX_DATAGRAM_BYTES = 65535
SOURCE = "netflow"
TICK_SECONDS = 1.0
SAVE_INTERVAL_SECONDS = 2.0
DRAIN_BATCH = 1000
COLUMNS_FLOWS = 2000
COLUMNS_SECONDS = 0.1
"""Flows kept as columns go to the sink once this many are kept or the first has waited this
long. Turning kept datagrams into a column batch costs ~1.6 ms whatever their number: flushed
after every drain, a paced exporter's one or two datagrams per wake-up cost 30-53 us per flow
instead of 3.5 (bench/README.md)."""


class NetflowListener:
    """A bound, running NetFlow collector (`collectors.listener.Listener`).

    `receive_buffer_bytes` is what the kernel granted (Linux reports twice the request, capped
    by net.core.rmem_max), so an operator can see why bursts drop. `templates_path` keeps
    templates and options across restarts (those learnt over TCP last as long as their
    connection); `sources` receives per-exporter health. `addresses`: UDP, then TCP if enabled.
    """

    def __init__(
        self,
        settings: NetflowSettings,
        *,
        sink: BatchingSink,
        tagger: AgencyTagger,
        dead_letter: DeadLetter,
        sources: SourceRegistry | None = None,
        templates_path: str | Path | None = None,
    ) -> None:
        self._sink = sink
        self._tagger = tagger
        self._dead_letter = dead_letter
        self._community_id = CommunityId()
        self._health = ExporterHealth(sources, tagger)
        self._v5_sequences: dict[tuple[str, int, int], SequenceTracker] = {}
        # v5 and fixed-length v9/IPFIX templates as columns when the sink takes them (a remote
        # site's forwarding sink does not)
        columnar = hasattr(sink, "put_columns")
        self._columns = V5Columns(self._community_id) if columnar else None
        self._sets = SetColumns(self._community_id) if columnar else None
        self._columns_prefixes: list[tuple[int, dict[int, Agency]]] | None = None
        self._kept_since: float | None = None  # when the oldest flow kept as columns came
        self._sessions = Sessions(
            pending_max_records=settings.pending_max_records,
            pending_max_age_seconds=settings.pending_max_age_seconds,
        )
        self._file = TemplateFile(templates_path) if templates_path else None
        if self._file is not None:
            unusable = self._sessions.restore(self._file.load())
            if unusable:
                log.warning("%d saved netflow sessions were unusable and skipped", unusable)
        self._saved_at = 0.0
        self._settings = settings
        self._sock = _bind(settings, socket.SOCK_DGRAM)
        self.addresses: list[tuple[str, int]] = [self._sock.getsockname()[:2]]
        self._tcp: socket.socket | None = None
        self._exporters: dict[socket.socket, TcpExporter] = {}
        if settings.tcp_enabled:
            try:
                self._tcp = _bind(settings, socket.SOCK_STREAM)
            except ConfigError:
                self._sock.close()
                raise
            self.addresses.append(self._tcp.getsockname()[:2])
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

    @property
    def endpoints(self) -> list[tuple[str, str, int]]:
        transports = ("NetFlow v5/v9 and IPFIX over UDP", "IPFIX over TCP")
        pairs = zip(transports, self.addresses, strict=False)  # TCP only when enabled
        return [(what, *address) for what, address in pairs]

    def close(self) -> None:
        """Stop receiving and release the socket; datagrams already handled stay in the sink,
        and the templates learnt are saved."""
        with self._close_lock:
            if self._closing.is_set():
                return
            self._closing.set()
            self._wake_send.send(b"\0")
            self._thread.join()
            for sock in (self._sock, self._tcp, self._wake_recv, self._wake_send):
                if sock is not None:
                    sock.close()
            self._save(force=True)

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            selector.register(self._wake_recv, selectors.EVENT_READ)
            if self._tcp is not None:
                selector.register(self._tcp, selectors.EVENT_READ)
            next_tick = time.monotonic() + TICK_SECONDS
            while not self._closing.is_set():
                wake = next_tick
                if self._kept_since is not None:
                    wake = min(wake, self._kept_since + COLUMNS_SECONDS)
                ready = selector.select(max(0.0, wake - time.monotonic()))
                for key, _ in ready:
                    if isinstance(key.data, TcpExporter):
                        self._serve(key.data, selector, READ_BYTES)
                    elif key.fileobj is self._tcp:
                        self._accept(selector)
                self._drain()
                if time.monotonic() >= next_tick:
                    self._tick()
                    next_tick = time.monotonic() + TICK_SECONDS
            try:  # what exporters sent before the close, to connections not yet accepted too
                if self._tcp is not None:
                    self._accept(selector)
                for exporter in list(self._exporters.values()):
                    self._serve(exporter, selector, CLOSE_READ_BYTES, closing=True)
            finally:
                self._flush_columns()

    def _tick(self) -> None:
        expired = Outcome([], [], 0)
        self._sessions.expire(time.monotonic(), expired)
        self._dead_letter_problems(expired.problems, b"", None)
        for exporter in self._exporters.values():
            expired = Outcome([], [], 0)
            exporter.sessions.expire(time.monotonic(), expired)
            self._dead_letter_problems(expired.problems, b"", exporter.peer)
        self._health.publish(self._all_sessions())
        self._save()

    def _all_sessions(self) -> Iterator[Session]:
        return itertools.chain(self._sessions, *(e.sessions for e in self._exporters.values()))

    def _accept(self, selector: selectors.BaseSelector) -> None:
        assert self._tcp is not None
        for exporter in accept(self._tcp, self._settings):
            if len(self._exporters) >= MAX_CONNECTIONS:
                log.warning(
                    "netflow tcp: refused %s, already %d exporters connected",
                    exporter.peer,
                    MAX_CONNECTIONS,
                )
                exporter.sock.close()
                continue
            self._exporters[exporter.sock] = exporter
            selector.register(exporter.sock, selectors.EVENT_READ, exporter)

    def _serve(
        self,
        exporter: TcpExporter,
        selector: selectors.BaseSelector,
        budget: int,
        *,
        closing: bool = False,
    ) -> None:
        """Read up to `budget` bytes of one connection and handle the messages they complete;
        at its end (or at `closing`, once read out), end it."""
        ended = False
        while budget > 0:
            data = receive(exporter, min(budget, READ_BYTES))
            if data is None:
                ended = True
                break
            if not data:
                break
            budget -= len(data)
            for message in exporter.stream.feed(data):
                self._handle(message, exporter.ip, exporter.port, exporter.sessions)
            if exporter.stream.broken:
                reason = f"{exporter.stream.broken}; connection closed"
                self._end(exporter, selector, reason, exporter.stream.rest())
                return
        if ended or closing:
            rest = exporter.stream.rest()
            reason = (
                f"connection closed inside an IPFIX message ({len(rest)} bytes of it received)"
                if rest
                else ""
            )
            self._end(exporter, selector, reason, rest)

    def _end(
        self, exporter: TcpExporter, selector: selectors.BaseSelector, reason: str, raw: bytes
    ) -> None:
        """Close the connection; its unframed bytes and the data still waiting for one of its
        templates (which can no longer come) go to the dead-letter file."""
        selector.unregister(exporter.sock)
        exporter.sock.close()
        del self._exporters[exporter.sock]
        if reason:
            self._dead_letter_problems([Problem(reason, raw)], raw, exporter.peer)
            self._health.datagram(exporter.ip, version=None, decode_errors=1)
        abandoned = Outcome([], [], 0)
        exporter.sessions.abandon("the TCP connection closed before it came", abandoned)
        self._dead_letter_problems(abandoned.problems, b"", exporter.peer)

    def _save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self._file is None or not self._sessions.changed:
            return
        if force or now - self._saved_at >= SAVE_INTERVAL_SECONDS:
            self._sessions.changed = not self._file.save(self._sessions.to_json())
            self._saved_at = now

    def _drain(self) -> None:
        """Up to DRAIN_BATCH datagrams: under a steady flood the periodic work still runs. The
        flows kept as columns go on when `COLUMNS_FLOWS` or `COLUMNS_SECONDS` says so (at
        once if receiving failed)."""
        try:
            self._receive()
        except BaseException:
            self._flush_columns()
            raise
        since = self._kept_since
        if since is not None and (
            time.monotonic() - since >= COLUMNS_SECONDS or self._kept_flows() >= COLUMNS_FLOWS
        ):
            self._flush_columns()

    def _kept_flows(self) -> int:
        return (len(self._columns) if self._columns is not None else 0) + (
            len(self._sets) if self._sets is not None else 0
        )

    def _receive(self) -> None:
        for _ in range(DRAIN_BATCH):
            if self._closing.is_set():
                return
            try:
                datagram, peer = self._sock.recvfrom(MAX_DATAGRAM_BYTES)
            except BlockingIOError:
                return
            except OSError as exc:  # e.g. an ICMP error queued on the socket: keep listening
                log.warning("netflow receive error on %s: %s", self.addresses[0], exc)
                return
            self._handle(datagram, peer[0], peer[1])

    def _handle(
        self, datagram: bytes, ip: str, port: int, sessions: Sessions | None = None
    ) -> None:
        """One datagram (or one message of a TCP connection, with that connection's
        `sessions`)."""
        if datagram[:2] == V5_VERSION and self._columnar_tagging():
            self._handle_v5_columns(datagram, ip, port)
            return
        exporter = f"{ip}:{port}"
        version = None
        flows = 0
        try:
            packet = decode(datagram, exporter=exporter)
            version = packet.header.version
            if isinstance(packet, V5Packet):
                outcome = Outcome([], [], self._v5_gap(ip, packet.header))
                events = normalize_v5(
                    packet, exporter_ip=ip, exporter_port=port, community_id=self._community_id
                )
            else:
                columnar = self._sets is not None and self._columnar_tagging()
                outcome = (self._sessions if sessions is None else sessions).process(
                    packet, ip=ip, port=port, now=time.monotonic(), columnar=columnar
                )
                events = normalize_flows(outcome.flows, community_id=self._community_id)
                flows = self._keep_sets(outcome.sets, events)
        except ParseError as exc:
            outcome, events = Outcome([], [Problem(str(exc), datagram)], 0), []
        except Exception as exc:  # a decoder bug must cost one datagram, not the listener
            log.exception("netflow datagram from %s could not be handled", exporter)
            outcome, events = Outcome([], [Problem(f"internal error: {exc!r}", datagram)], 0), []
        if events:
            self._flush_columns()  # flows kept as columns before these events go first
        self._put(events)
        self._dead_letter_problems(outcome.problems, datagram, exporter)
        self._health.datagram(
            ip,
            version=version,
            flows=flows + len(events),
            sequence_gaps=outcome.sequence_gap,
            decode_errors=len(outcome.problems),
        )

    def _columnar_tagging(self) -> bool:
        """Whether flows may go as columns now: the sink takes them and the tagger's tagging
        is agencies (and GeoIP), which the columnar paths apply; with threat-intel indicators
        loaded only `tag` matches them per event. Columns kept under the tagger's previous
        agencies are flushed first."""
        if self._columns is None:
            return False
        prefixes = getattr(self._tagger, "ipv4_prefixes", lambda: None)()
        if prefixes is None:
            return False
        if prefixes is not self._columns_prefixes:
            self._flush_columns()
            self._columns_prefixes = prefixes
        return True

    def _keep_sets(self, sets: Sequence[ColumnarSet], events: list[Event]) -> int:
        """Keep the columnar sets for `_flush_columns`; those the mapping turns down become
        events (appended to `events`). Returns the flows kept."""
        kept = 0
        for item in sets:
            assert self._sets is not None
            if self._sets.add(item):
                kept += item.count
            else:
                events.extend(normalize_flows(item.flows(), community_id=self._community_id))
        if kept and self._kept_since is None:
            self._kept_since = time.monotonic()
        return kept

    def _handle_v5_columns(self, datagram: bytes, ip: str, port: int) -> None:
        """Check the header and keep the datagram for `_flush_columns`; health as `_handle`."""
        assert self._columns is not None
        try:
            header = v5_header(datagram, f"{ip}:{port}")
        except ParseError as exc:
            self._dead_letter_problems([Problem(str(exc), datagram)], datagram, f"{ip}:{port}")
            self._health.datagram(ip, version=None, decode_errors=1)
            return
        gap = self._v5_gap(ip, header)
        self._columns.add(datagram, header.count, ip, port)
        if header.count and self._kept_since is None:
            self._kept_since = time.monotonic()
        self._health.datagram(ip, version=5, flows=header.count, sequence_gaps=gap)

    def _flush_columns(self) -> None:
        """The flows kept as columns so far, to the sink: v5 as one batch, v9/IPFIX sets one
        per template layout. A failure here must not cost the flows: the dict path takes them."""
        self._kept_since = None
        prefixes, columns, sets = self._columns_prefixes, self._columns, self._sets
        has_v5, has_sets = columns is not None and len(columns), sets is not None and len(sets)
        if prefixes is None or not (has_v5 or has_sets):
            return
        geoip = getattr(self._tagger, "geoip_lookup", lambda: None)()
        batches = []
        if columns is not None and has_v5:
            datagrams = columns.pending()
            try:
                batch = columns.take(prefixes, self._tagger.lookup, geoip)
            except Exception:
                log.exception(
                    "netflow v5 columns failed; %d datagrams take the dict path", len(datagrams)
                )
                for datagram, _, ip, port in datagrams:
                    packet = decode_v5(datagram, f"{ip}:{port}")
                    self._put(
                        normalize_v5(
                            packet,
                            exporter_ip=ip,
                            exporter_port=port,
                            community_id=self._community_id,
                        )
                    )
            else:
                batches.append(batch)
        if sets is not None and has_sets:
            pending = sets.pending()
            try:
                batches.extend(sets.take(prefixes, self._tagger.lookup, geoip))
            except Exception:
                log.exception(
                    "netflow v9/IPFIX columns failed; %d sets take the dict path", len(pending)
                )
                for item in pending:
                    self._put(normalize_flows(item.flows(), community_id=self._community_id))
        for each in batches:
            if each is not None:
                self._sink.put_columns(each)  # type: ignore[attr-defined]

    def _put(self, events: list[Event]) -> None:
        """A datagram's flows go to the sink as one chunk: one lock round trip, not one each."""
        if events:
            tag = self._tagger.tag
            for event, event_id in zip(events, new_event_ids(len(events)), strict=True):
                event["event"]["id"] = event_id
            self._sink.put_many([tag(stamp(event, dataset=DATASET)) for event in events])

    def _dead_letter_problems(
        self, problems: list[Problem], datagram: bytes, peer: str | None
    ) -> None:
        for problem in problems:
            self._dead_letter.write(
                source=SOURCE, reason=problem.reason, raw=problem.raw or datagram, peer=peer
            )

    def _v5_gap(self, ip: str, header: V5Header) -> int:
        """v5's flow_sequence counts flows before the packet, per engine."""
        key = (ip, header.engine_type, header.engine_id)
        tracker = self._v5_sequences.get(key)
        if tracker is None:
            tracker = self._v5_sequences[key] = SequenceTracker(counts_records=True)
        return tracker.observe(header.flow_sequence, header.count)


def _bind(settings: NetflowSettings, kind: socket.SocketKind) -> socket.socket:
    """The UDP socket (its receive buffer raised) or, for SOCK_STREAM, the IPFIX-over-TCP
    listening socket; non-blocking."""
    udp = kind == socket.SOCK_DGRAM
    port = settings.port if udp else settings.tcp_port
    where = f"netflow {'udp' if udp else 'tcp'} {settings.host}:{port}"
    try:
        family, _, proto, _, address = socket.getaddrinfo(settings.host, port, type=kind)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"cannot open the listening socket: {exc}", where=where) from exc
    try:
        if udp:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, settings.receive_buffer_bytes)
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if not udp:
            sock.listen(socket.SOMAXCONN)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen: {exc}", where=where) from exc
    return sock
