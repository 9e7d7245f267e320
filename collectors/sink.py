"""Batching between listeners and the event store.

Listeners must never block on the store: they put events on a bounded queue and a single writer
thread flushes by size or age. A batch the store refuses stays at the head and is retried with
backoff (at-least-once; `event.id` makes the retry idempotent). When the queue is full, `put`
blocks the listener: backpressure instead of unbounded memory, and for UDP the kernel buffer
then absorbs bursts.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable

from soc.errors import SocError
from soc.model.event import Event
from soc.storage.base import EventStore

log = logging.getLogger(__name__)


class BatchingSink:
    def __init__(
        self,
        store: EventStore,
        *,
        batch_size: int = 2000,
        flush_interval_seconds: float = 1.0,
        max_queued_events: int = 200_000,
        retry_max_seconds: float = 30.0,
    ) -> None:
        self._store = store
        self._batch_size = batch_size
        self._flush_interval = flush_interval_seconds
        self._retry_max = retry_max_seconds
        self._queue: queue.Queue[Event | None] = queue.Queue(maxsize=max_queued_events)
        self._idle = threading.Condition()
        self._pending = 0
        self.written = 0
        self._thread = threading.Thread(target=self._run, name="batching-sink", daemon=True)
        self._thread.start()

    def put(self, event: Event) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(event)

    def put_many(self, events: Iterable[Event]) -> None:
        for event in events:
            self.put(event)

    def flush(self, timeout_seconds: float = 30.0) -> bool:
        """Wait until every event put so far is stored; False on timeout."""
        deadline = time.monotonic() + timeout_seconds
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self, timeout_seconds: float = 30.0) -> None:
        """Flush what is pending (SIGTERM path) and stop the writer thread."""
        self._queue.put(None)
        self._thread.join(timeout_seconds)

    def _run(self) -> None:
        batch: list[Event] = []
        deadline = time.monotonic() + self._flush_interval
        stopping = False
        while not stopping:
            timeout = max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = ...
            if item is None:
                stopping = True
            elif item is not ...:
                batch.append(item)
                if len(batch) < self._batch_size:
                    continue
            if batch:
                self._write(batch)
                batch = []
            deadline = time.monotonic() + self._flush_interval

    def _write(self, batch: list[Event]) -> None:
        delay = 0.2
        while True:
            try:
                self.written += self._store.write_batch(batch)
                break
            except SocError as exc:
                log.warning("store refused a batch of %d events, retrying: %s", len(batch), exc)
                time.sleep(delay)
                delay = min(delay * 2, self._retry_max)
        with self._idle:
            self._pending -= len(batch)
            self._idle.notify_all()
