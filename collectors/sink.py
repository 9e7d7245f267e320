"""Batching between listeners and the event store.

Listeners must never block on the store: they put events on a bounded queue and a single writer
thread flushes by size or age. A batch the store refuses (`SocError`: locked, disk full) stays
at the head and is retried with backoff (at-least-once; `event.id` makes the retry idempotent).
Any other failure is the batch's own (an event the store cannot take, such as a number past 64
bits): retrying cannot help and must not stop the writer, so the batch is halved until the
offending events are alone, and those go to the dead-letter file with the reason; the rest is
stored. When the queue is full, `put` blocks the listener: backpressure instead of unbounded
memory, and for UDP the kernel buffer then absorbs bursts.

The queue holds chunks, not events: `put_many` (a NetFlow datagram's flows, a syslog read's
lines) takes the lock once per chunk. A `queue.Queue` of single events cost two lock round
trips per event, ~2.5 µs, a tenth of the listener thread's budget at 40k events/s.

`batch_size` is when a write starts, `max_batch_size` how much one write may take. Under light
load a batch is whatever came in since the last write; when a backlog builds (the store is the
slowest step under a flood) the writer takes up to `max_batch_size` at once, since the store's
cost per event falls with the batch: measured with DuckDB here (bench/README.md), CPU per
stored event at 20,000 events per write is 0.6-0.8x what it is at 2,000. The default is one
DuckDB row group (122,880 rows): DuckDB writes a full row group of an INSERT straight to the
database file, compressed once, where smaller INSERTs go through the write-ahead log and are
compressed again at each checkpoint. NetFlow at 200,000 flows/s offered stored 1.5-1.9x as many
flows per second as with 20,000 (v5 74-96k against 51k, IPFIX 103-111k against 60-64k). The
cost: such writes leave free blocks in the file (a third of it after 1.26M flows written that
way), which later, smaller writes fill again.

A chunk may also be a `ColumnBatch` (`put_columns`: NetFlow v5 decoded as columns). It keeps
its place in the queue, counts its events for backpressure and is written on its own (joined
with the column batches queued right after it) through the store's `write_columns`, or as
dicts when the store has no such method.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable

from collectors.deadletter import DeadLetter
from soc.config import IngestSettings
from soc.errors import SocError
from soc.model.event import Event
from soc.storage.base import EventStore
from soc.storage.columns import ColumnBatch

log = logging.getLogger(__name__)


class BatchingSink:
    def __init__(
        self,
        store: EventStore,
        *,
        batch_size: int = IngestSettings.batch_size,
        max_batch_size: int = IngestSettings.max_batch_size,
        flush_interval_seconds: float = IngestSettings.flush_interval_seconds,
        max_queued_events: int = 200_000,
        retry_max_seconds: float = 30.0,
        dead_letter: DeadLetter | None = None,
    ) -> None:
        self._store = store
        self._dead_letter = dead_letter
        self._batch_size = batch_size
        self._max_batch = max(batch_size, max_batch_size)
        self._flush_interval = flush_interval_seconds
        self._retry_max = retry_max_seconds
        self._max_queued = max_queued_events
        self._lock = threading.Lock()
        self._has_room = threading.Condition(self._lock)
        self._has_work = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._chunks: deque[list[Event] | ColumnBatch] = deque()
        self._queued = 0  # events in _chunks
        self._pending = 0  # events put and not yet stored
        self._stopping = False
        self._flushers = 0
        self.written = 0
        self._thread = threading.Thread(target=self._run, name="batching-sink", daemon=True)
        self._thread.start()

    def put(self, event: Event) -> None:
        self.put_many([event])

    def put_many(self, events: Iterable[Event]) -> None:
        """Queue events as one chunk; blocks while the queue is full (an oversized chunk is
        let in once the queue is empty)."""
        self._enqueue(events if isinstance(events, list) else list(events))

    def put_columns(self, batch: ColumnBatch) -> None:
        """Queue events given as columns (`soc.storage.columns`) as one chunk, like put_many."""
        self._enqueue(batch)

    def _enqueue(self, chunk: list[Event] | ColumnBatch) -> None:
        size = len(chunk)
        if not size:
            return
        with self._lock:
            while self._queued and self._queued + size > self._max_queued:
                self._has_room.wait()
            self._chunks.append(chunk)
            self._queued += size
            self._pending += size
            if self._queued >= self._batch_size:
                self._has_work.notify()

    def flush(self, timeout_seconds: float = 30.0) -> bool:
        """Wait until every event put so far is stored; False on timeout."""
        deadline = time.monotonic() + timeout_seconds
        with self._lock:
            self._flushers += 1  # the writer takes what is queued now, not at the next tick
            self._has_work.notify()
            try:
                while self._pending:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._idle.wait(remaining)
            finally:
                self._flushers -= 1
        return True

    def close(self, timeout_seconds: float = 30.0) -> None:
        """Flush what is pending (SIGTERM path) and stop the writer thread."""
        with self._lock:
            self._stopping = True
            self._has_work.notify()
        self._thread.join(timeout_seconds)

    def _take(self) -> list[Event] | ColumnBatch:
        """Up to max_batch_size queued events (lock held)."""
        if self._chunks and isinstance(self._chunks[0], ColumnBatch):
            return self._take_columns()
        batch: list[Event] = []
        while self._chunks and len(batch) < self._max_batch:
            if isinstance(self._chunks[0], ColumnBatch):
                break  # written on its own, next time
            chunk = self._chunks.popleft()
            room = self._max_batch - len(batch)
            if len(chunk) > room:
                self._chunks.appendleft(chunk[room:])
                chunk = chunk[:room]
            batch.extend(chunk)
        self._queued -= len(batch)
        self._has_room.notify_all()
        return batch

    def _take_columns(self) -> ColumnBatch:
        """Up to max_batch_size events of the column batches at the head of the queue (lock
        held)."""
        taken: list[ColumnBatch] = []
        size = 0
        while self._chunks and size < self._max_batch:
            chunk = self._chunks[0]
            if not isinstance(chunk, ColumnBatch) or (taken and not taken[0].joinable(chunk)):
                break
            self._chunks.popleft()
            room = self._max_batch - size
            if len(chunk) > room:
                self._chunks.appendleft(chunk.slice(room))
                chunk = chunk.slice(0, room)
            taken.append(chunk)
            size += len(chunk)
        self._queued -= size
        self._has_room.notify_all()
        return ColumnBatch.join(taken)

    def _run(self) -> None:
        deadline = time.monotonic() + self._flush_interval
        while True:
            with self._lock:
                while not self._stopping and self._queued < self._batch_size:
                    if self._flushers and self._queued:
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._has_work.wait(remaining)
                batch = self._take()
                stopping = self._stopping and not self._queued
            if batch:
                self._write(batch)
            deadline = time.monotonic() + self._flush_interval
            if stopping:
                return

    def _write(self, batch: list[Event] | ColumnBatch) -> None:
        self._store_or_set_aside(batch)
        with self._lock:
            self._pending -= len(batch)
            self._idle.notify_all()

    def _store_or_set_aside(self, batch: list[Event] | ColumnBatch) -> None:
        delay = 0.2
        while True:
            try:
                self.written += self._store_batch(batch)
                return
            except SocError as exc:
                log.warning("store refused a batch of %d events, retrying: %s", len(batch), exc)
                time.sleep(delay)
                delay = min(delay * 2, self._retry_max)
            except Exception as exc:  # the batch's own fault: find the events that caused it
                self._set_aside(batch, exc)
                return

    def _set_aside(self, batch: list[Event] | ColumnBatch, exc: Exception) -> None:
        events = batch.to_events() if isinstance(batch, ColumnBatch) else batch
        if len(events) > 1:
            middle = len(events) // 2
            self._store_or_set_aside(events[:middle])
            self._store_or_set_aside(events[middle:])
            return
        reason = f"the event store could not take the event: {type(exc).__name__}: {exc}"
        raw = json.dumps(events[0], default=str, ensure_ascii=False).encode()  # any int size
        log.error("%s; event set aside%s", reason, "" if self._dead_letter else f": {raw!r}")
        if self._dead_letter is not None:
            self._dead_letter.write(source="store", reason=reason, raw=raw)

    def _store_batch(self, batch: list[Event] | ColumnBatch) -> int:
        if not isinstance(batch, ColumnBatch):
            return self._store.write_batch(batch)
        write_columns = getattr(self._store, "write_columns", None)
        if write_columns is None:
            return self._store.write_batch(batch.to_events())
        return int(write_columns(batch))
