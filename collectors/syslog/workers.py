"""Syslog parsed in several processes (`syslog.workers`), stored by the one that owns DuckDB.

Why: parsing is pure Python and the GIL serialises it, so one process tops out at one core
(~18-24k mixed messages/s parsed on the development machine), while DuckDB allows a single
writer process. So the parent binds the sockets (ports are known and bind errors raised at
start, port 0 works for tests) and hands the same sockets to `workers` spawned processes. Each
runs the ordinary `SyslogServer` loop on them: the kernel gives every datagram and every new
connection to exactly one of the processes waiting on the socket, so even a single sender on one
source port is spread over the workers (SO_REUSEPORT would pin such a sender's 4-tuple to one
socket). TLS, octet counting, connection limits (divided among the workers), idle timeouts and
dead letters (appended to the same file, one write per record) work as in one process.

A worker parses, normalizes and stamps (`event.id` is assigned there, where the event is first
received) and sends its events to the parent as one orjson document of at most `_BATCH`
events, no event older than `_BATCH_SECONDS`, with its source-registry updates and dead-letter
count, over a pipe. The
parent's collector thread loads the batch, tags it (agency, GeoIP, threat intel: the `Enricher`
lives in the parent, it refreshes from the case store and raises intel alerts) and puts the
events into the `BatchingSink`. orjson (2 us to dump, 7-9 us to load an event here; marshal and
pickle were no faster to load) costs far less than the parsing moved off the parent. When the
sink is full the collector thread blocks, the pipes fill, the workers stop reading and the
kernel buffers absorb the burst: the same backpressure as in one process.

Measured (bench/bench_syslog.py e2e, 60,000 messages, 2-core machine shared with two other
engineers' benchmarks, so read the ratios): the syslog side alone (`--no-store`) costs 40-48 us
of CPU per event in one process and 61-68 us with two workers (the orjson round trip, the
parent's tagging, two loops instead of one) yet delivered 1.09-1.14x the rate, because it uses
both cores; with the DuckDB store (~80 us of CPU per event, threads included: two thirds of the
total) the CPU per stored event is 119-131 us in one process against 137-151 us with workers,
and the rate ratio was 0.85-1.05x, i.e. the store, not parsing, sets the pace on this machine.
Workers pay off as the store gets cheaper or cores more plentiful (then, on a quieter machine,
100,000 messages: two workers stored 0.89x (UDP) and 0.95x (TCP) of one process's rate). The
store did get cheaper (checkpoints every 256 MB of log instead of 16): two workers have since
stored 1.1-1.8x one process's rate in every comparison (1.33-1.82x on 6 December, quiet
machine), so one worker per CPU (`workers: 0`) is the default.
Connections are taken one per wake-up, so that a burst of connections spreads over the workers
(four connections: 11.8k against 7.0k msgs/s before, one worker then did 93 % of the work), and
a worker sends its batch when it holds 1,000 events or its oldest is 50 ms old (sending after
every loop turn made a pipe message per datagram or two and halved the rate). In the storing
process, the cyclic GC's first threshold raised from 700 to 100,000 (bench `--gc-threshold`)
cut the CPU per stored event by 10-15 %: queued events are acyclic but every collection scans
them. That is a process-wide choice, left to the entry point. At a moderate steady rate the
difference is larger: 6,000 datagrams/s paced, no store, cost 52 us
of CPU per event in one process and 83-89 us with two workers, most of it in the workers
themselves (each spent more per event than the single process did for everything: the shared
cores, not the hand-over, which py-spy finds idle). Waking only one worker per datagram
(EPOLLEXCLUSIVE on the shared sockets) was tried and measured no difference (84-87 against
86-89 us), so it was left out.

`close()` (SIGTERM) asks every worker to stop; each drains what the kernel already holds for it,
sends its last batch and an end marker, and exits; the parent puts everything into the sink
before returning, so `sink.close()` afterwards stores it. A worker that dies is restarted on the
same sockets (what it held in memory, at most one batch, is lost; logged). Workers ignore
SIGINT/SIGTERM (the parent decides) and exit when the parent's end of the pipe closes.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import orjson

from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from collectors.syslog.intake import SOURCE_KIND
from collectors.syslog.server import BoundAddresses, SyslogServer, bind_all
from soc.config import SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.model.sources import SourceRegistry

log = logging.getLogger(__name__)

_BATCH = 1000  # events per message to the parent, at most
_BATCH_SECONDS = 0.05  # and no event waits longer than this in a worker
_STOP_SECONDS = 30.0  # as `BatchingSink.close`: the sink may be full when SIGTERM comes
_RESTART_PAUSE_SECONDS = 1.0


def worker_count(setting: int) -> int:
    """`syslog.workers`: 0 means one per CPU this process may use."""
    if setting > 0:
        return setting
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class WorkerPool(BoundAddresses):
    """A syslog listener whose parsing runs in `workers` processes (see module doc)."""

    def __init__(
        self,
        settings: SyslogSettings,
        *,
        workers: int,
        sink: BatchingSink,
        tagger: AgencyTagger,
        dead_letter: DeadLetter,
        sources: SourceRegistry | None = None,
        idle_timeout_seconds: float = 300.0,
    ) -> None:
        self._settings = settings
        self._count = workers
        self._sink = sink
        self._tagger = tagger
        self._dead_letter = dead_letter
        self._sources = sources
        self._idle = idle_timeout_seconds
        self._sockets = bind_all(settings)
        self.addresses: list[tuple[str, int]] = [s.getsockname()[:2] for s in self._sockets]
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        self._lock = threading.Lock()
        self._workers: dict[Connection, multiprocessing.process.BaseProcess] = {}
        self._agencies: dict[str, str] = {}  # sender address -> agency of its last event
        self._closing = False
        self._closed = False
        self.received = 0  # events handed to the sink
        self._ready = threading.Condition()
        self._ready_count = 0  # workers that reported their loop running (restarts included)
        try:
            for _ in range(workers):
                self._spawn()
        except BaseException:
            self._terminate()
            raise
        self._thread = threading.Thread(target=self._collect, name="syslog-collect", daemon=True)

    @property
    def pids(self) -> list[int]:
        """The worker processes (for benchmarks and health: CPU time, memory)."""
        with self._lock:
            return [p.pid for p in self._workers.values() if p.pid is not None]

    def wait_ready(self, timeout_seconds: float = 30.0) -> bool:
        """Wait until every worker started serving (a spawned process needs ~0.5-2 s to import
        the parsers); False on timeout. Not needed for correctness: the kernel holds what
        arrives meanwhile. Benchmarks use it so that start-up is not counted as work."""
        with self._ready:
            return self._ready.wait_for(
                lambda: self._ready_count >= self._count, timeout=timeout_seconds
            )

    def start(self) -> WorkerPool:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the workers after they drained their input, store-bound events in the sink."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            self._closing = True
            connections = list(self._workers)
        for connection in connections:
            with contextlib.suppress(OSError, ValueError):
                connection.send_bytes(b"stop")
        self._thread.join(_STOP_SECONDS)
        if self._thread.is_alive():
            log.warning("syslog workers still busy after %.0f s (sink full?)", _STOP_SECONDS)
        self._terminate()

    # -- parent side -------------------------------------------------------------------------

    def _spawn(self) -> None:
        mine, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(
                self._settings,
                self._sockets,
                str(self._dead_letter.path),
                self._idle,
                self._count,
                logging.getLogger().getEffectiveLevel(),
                theirs,
            ),
            name="soc-syslog-worker",
            daemon=True,
        )
        process.start()
        theirs.close()
        with self._lock:
            self._workers[mine] = process

    def _collect(self) -> None:
        """Take the workers' batches until every worker has ended after `close()`."""
        while True:
            with self._lock:
                connections = list(self._workers)
            if not connections:
                return
            for connection in wait(connections, timeout=1.0):
                try:
                    message = connection.recv_bytes()
                except (EOFError, OSError):
                    self._ended(connection, cleanly=False)
                    continue
                if message == b"end":
                    self._ended(connection, cleanly=True)
                    continue
                if message == b"ready":
                    with self._ready:
                        self._ready_count += 1
                        self._ready.notify_all()
                    continue
                try:
                    self._take(message)
                except Exception:  # a bug here must not stop the intake of the other batches
                    log.exception("syslog: a batch from a worker could not be taken")

    def _take(self, message: bytes) -> None:
        batch: dict[str, Any] = orjson.loads(message)
        agencies = self._agencies
        tag, put = self._tagger.tag, self._sink.put
        track = self._sources is not None  # the agency of each sender, for its health row
        for doc in batch["events"]:
            doc = tag(doc)
            if track and (organization := doc.get("organization")):
                with contextlib.suppress(KeyError, TypeError, AttributeError):
                    agencies[doc["log"]["source"]["address"]] = organization["id"]
            put(doc)
        self.received += len(batch["events"])
        if batch["dead_letters"]:
            self._dead_letter.count += batch["dead_letters"]
        if self._sources is not None:
            for kind, key, info, counters in batch["sources"]:
                if info:
                    self._sources.set_info(kind, key, **info)
                if counters:
                    agency = agencies.get(key)
                    self._sources.touch(kind, key, agency_id=agency, **counters)

    def _ended(self, connection: Connection, *, cleanly: bool) -> None:
        with self._lock:
            process = self._workers.pop(connection)
            closing = self._closing
        connection.close()
        process.join(5)
        if closing:
            return
        log.error(
            "syslog worker %s ended (exit code %s)%s; starting another",
            process.pid,
            process.exitcode,
            "" if cleanly else ", events it held were lost",
        )
        time.sleep(_RESTART_PAUSE_SECONDS)
        if self._closing:
            return
        try:
            self._spawn()
        except Exception:
            log.exception("syslog: a worker could not be restarted")

    def _terminate(self) -> None:
        with self._lock:
            workers = list(self._workers.items())
            self._workers.clear()
        for connection, process in workers:
            process.join(1)
            if process.is_alive():  # it ignores SIGTERM (the parent decides): SIGKILL
                log.warning("syslog worker %s did not stop; killed, its batch is lost", process.pid)
                process.kill()
                process.join(5)
            connection.close()
        for sock in self._sockets:
            sock.close()


# -- worker side -----------------------------------------------------------------------------


class _Outbox:
    """The worker's sink and source registry: collects, and on `send` ships one batch."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._events: list[dict[str, Any]] = []
        self._counters: dict[str, dict[str, int]] = {}
        self._info: dict[str, dict[str, str]] = {}
        self.dead_letters = 0
        self._first = 0.0  # when the oldest unsent event arrived
        self._lock = threading.Lock()

    def put(self, event: dict[str, Any]) -> None:
        if not self._events:
            self._first = time.monotonic()
        self._events.append(event)
        if len(self._events) >= _BATCH:
            self.send()

    def send_due(self) -> None:
        """Send when the oldest event waited `_BATCH_SECONDS`: sending after every turn of the
        loop made one pipe message (and one wake-up of the parent) per datagram or two when the
        workers kept up, which halved the throughput (bench --no-store)."""
        if time.monotonic() - self._first >= _BATCH_SECONDS:
            self.send()

    # the two SourceRegistry methods Intake calls
    def touch(self, kind: str, key: str, *, agency_id: str | None = None, **counts: int) -> None:
        counters = self._counters.setdefault(key, {})
        for name, amount in counts.items():
            counters[name] = counters.get(name, 0) + amount

    def set_info(self, kind: str, key: str, **values: str | int) -> None:
        self._info.setdefault(key, {}).update({k: str(v) for k, v in values.items()})

    def send(self) -> None:
        with self._lock:  # whole messages only, whichever thread sends
            self._send()

    def _send(self) -> None:
        if not (self._events or self._counters or self._info or self.dead_letters):
            return
        keys = self._counters.keys() | self._info.keys()
        batch = {
            "events": self._events,
            "dead_letters": self.dead_letters,
            "sources": [
                [SOURCE_KIND, key, self._info.get(key), self._counters.get(key)] for key in keys
            ],
        }
        message = orjson.dumps(batch)
        self._events, self._counters, self._info, self.dead_letters = [], {}, {}, 0
        self._first = time.monotonic()
        self._connection.send_bytes(message)


class _CountingDeadLetter(DeadLetter):
    def __init__(self, path: str | Path, outbox: _Outbox) -> None:
        super().__init__(path)
        self._outbox = outbox

    def write(self, *, source: str, reason: str, raw: bytes, peer: str | None = None) -> None:
        super().write(source=source, reason=reason, raw=raw, peer=peer)
        self._outbox.dead_letters += 1


def _worker_main(
    settings: SyslogSettings,
    sockets: list[socket.socket],
    dead_letter_path: str,
    idle_timeout_seconds: float,
    share: int,
    log_level: int,
    connection: Connection,
) -> None:
    """A worker process: serve the shared sockets until the parent says stop or goes away."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    logging.basicConfig(  # as `soc` configures the parent; a spawned process starts bare
        level=log_level,
        format=f"%(asctime)s %(levelname)s %(name)s[worker {os.getpid()}]: %(message)s",
    )
    outbox = _Outbox(connection)
    send: Callable[[], None] = outbox.send_due
    server = SyslogServer(  # the loop thread starts after "ready": one sender at a time
        settings,
        sink=outbox,  # type: ignore[arg-type]
        tagger=None,
        dead_letter=_CountingDeadLetter(dead_letter_path, outbox),
        sources=outbox,  # type: ignore[arg-type]
        idle_timeout_seconds=idle_timeout_seconds,
        sockets=sockets,
        after_wake=send,
        connection_share=share,
        accepts_per_wake=1,  # spread connections over the workers
        max_wait_seconds=_BATCH_SECONDS,
    )
    with contextlib.suppress(OSError):  # the parent is gone: the recv below sees EOF
        connection.send_bytes(b"ready")
    server.start()
    with contextlib.suppress(EOFError, OSError):
        connection.recv_bytes()  # b"stop", or EOF when the parent is gone
    server.close()
    # The loop may still be draining into a full pipe (the parent's sink full): wait for it, so
    # that the last batch and the end marker follow its messages instead of cutting into them.
    # The parent bounds the wait: it terminates workers that take longer than `_STOP_SECONDS`.
    server.join()
    with contextlib.suppress(OSError):
        outbox.send()
        connection.send_bytes(b"end")
    connection.close()
