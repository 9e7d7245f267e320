"""`ForwardingSink`: the listeners' sink at a remote site, spooling to disk and sending over HTTPS.

It has the interface of `collectors.sink.BatchingSink` (put / put_many / flush / close), so the
syslog and NetFlow listeners run unchanged at a site. `put` appends the event to the spool and
returns: memory stays flat whatever the outage. One sender thread seals batches (by count, size
or age), posts the oldest, deletes it once the server has acknowledged every line, and retries
with exponential backoff and jitter otherwise.

Backpressure: when the spool is full, `put` blocks the listener for up to `block_seconds`
(TCP senders slow down, UDP bursts wait in the kernel buffer); if the spool is still full after
that, events are dead-lettered with the reason until it drains below 90 %, rather than blocking
the listener for as long as the outage lasts.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson

from collectors.deadletter import DeadLetter
from collectors.forwarder.client import (
    AuthError,
    DeliveryError,
    IngestClient,
    RefusedError,
    TooLargeError,
)
from collectors.forwarder.spool import Segment, Spool
from soc.model.event import Event, utcnow

log = logging.getLogger(__name__)

SOURCE = "forwarder"  # dead-letter source name
_RESUME_FRACTION = 0.9


@dataclass(frozen=True)
class ForwarderStatus:
    spooled_batches: int
    spooled_bytes: int
    sent_events: int
    dead_letters: int
    last_success: datetime | None
    last_error: str | None


class ForwardingSink:
    def __init__(
        self,
        spool: Spool,
        client: IngestClient,
        *,
        dead_letter: DeadLetter,
        batch_size: int = 2000,
        max_batch_bytes: int = 4 * 1024 * 1024,
        flush_interval_seconds: float = 1.0,
        retry_initial_seconds: float = 1.0,
        retry_max_seconds: float = 300.0,
        block_seconds: float = 5.0,
        heartbeat_seconds: float = 60.0,
    ) -> None:
        self._spool = spool
        self._client = client
        self._dead_letter = dead_letter
        self._batch_size = batch_size
        self._max_batch_bytes = max_batch_bytes
        self._flush_interval = flush_interval_seconds
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._block_seconds = block_seconds
        self._heartbeat = heartbeat_seconds
        self._lock = threading.Lock()  # the writer side of the spool
        self._changed = threading.Condition(self._lock)  # sealed, sent or space freed
        self._stop = threading.Event()
        self._shedding = False
        self._active_since: float | None = None
        self.sent_events = 0
        self.dead_letters = 0
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        if spool.torn:
            self._give_up([spool.torn], "line torn by a crash of the collector")
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        self._thread.start()

    # -- the sink interface ----------------------------------------------------------------------

    def put(self, event: Event) -> None:
        line = orjson.dumps(event)
        with self._lock:
            if not self._room_for(len(line)):
                self._give_up([line], self._full_reason())
                return
            self._spool.append(line)
            if self._active_since is None:
                self._active_since = time.monotonic()
            if (
                self._spool.active_lines >= self._batch_size
                or self._spool.active_bytes >= self._max_batch_bytes
            ):
                self._seal()

    def put_many(self, events: Iterable[Event]) -> None:
        for event in events:
            self.put(event)

    def flush(self, timeout_seconds: float = 30.0) -> bool:
        """Wait until every event put so far is acknowledged by the server (or dead-lettered);
        False on timeout, the events then stay spooled."""
        deadline = time.monotonic() + timeout_seconds
        with self._lock:
            target = self._seal() or self._spool.last_sequence
            while (oldest := self._spool.oldest()) is not None and oldest.sequence <= target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def close(self, timeout_seconds: float = 10.0) -> None:
        """Seal what is pending, try to deliver it for up to `timeout_seconds` (not at all while
        the server is failing), and stop. What was not delivered stays in the spool for the next
        start."""
        if self.last_error is None:
            self.flush(timeout_seconds)
        else:
            with self._lock:
                self._seal()
        self._stop.set()
        with self._lock:
            self._changed.notify_all()
        self._thread.join(timeout_seconds + self._client.timeout_seconds)
        self._client.close()
        self._spool.close()

    def status(self) -> ForwarderStatus:
        return ForwarderStatus(
            spooled_batches=self._spool.segment_count(),
            spooled_bytes=self._spool.used_bytes,
            sent_events=self.sent_events,
            dead_letters=self.dead_letters,
            last_success=self.last_success,
            last_error=self.last_error,
        )

    # -- writer side (called with the lock held) -------------------------------------------------

    def _room_for(self, size: int) -> bool:
        """Block while the spool is full, up to `block_seconds`; False: shed this event."""
        spool = self._spool
        if self._shedding:
            if spool.used_bytes > spool.max_bytes * _RESUME_FRACTION:
                return False
            self._shedding = False
            log.warning("spool has room again: accepting events")
        deadline = time.monotonic() + self._block_seconds
        while spool.used_bytes + size > spool.max_bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.is_set():
                self._shedding = True
                log.error("spool full (%d bytes): dead-lettering events", spool.used_bytes)
                return False
            self._changed.wait(remaining)
        return True

    def _full_reason(self) -> str:
        since = f" since {self.last_success.isoformat()}" if self.last_success else ""
        return (
            f"spool full ({self._spool.used_bytes} of {self._spool.max_bytes} bytes): "
            f"server not acknowledging{since}; last error: {self.last_error or 'none'}"
        )

    def _seal(self) -> int | None:
        sequence = self._spool.seal()
        if sequence is not None:
            self._active_since = None
            self._changed.notify_all()
        return sequence

    # -- sender thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        idle_since = time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                if (
                    self._active_since is not None
                    and time.monotonic() - self._active_since >= self._flush_interval
                ):
                    self._seal()
            segment = self._spool.oldest()
            if segment is None:
                if time.monotonic() - idle_since >= self._heartbeat:
                    idle_since = time.monotonic()
                    self._beat()
                with self._lock:
                    if self._spool.oldest() is None and not self._stop.is_set():
                        self._changed.wait(self._flush_interval)
                continue
            idle_since = time.monotonic()
            if self._deliver(segment):
                failures = 0
                continue
            failures += 1
            delay = min(self._retry_max, self._retry_initial * 2 ** min(failures - 1, 30))
            self._stop.wait(delay * random.uniform(0.5, 1.0))

    def _deliver(self, segment: Segment) -> bool:
        """Send one segment; True when it is done with (acknowledged, split or given up)."""
        lines = segment.lines()
        try:
            reply = self._client.send(b"\n".join(lines) + b"\n", health=self._health())
        except TooLargeError:
            if not self._spool.split(segment):
                self._give_up(lines, "a single event larger than the server accepts")
                self._done(segment)
            return True
        except RefusedError as exc:
            self._give_up(lines, str(exc))
            self._done(segment)
            return True
        except DeliveryError as exc:
            self.last_error = str(exc)
            level = logging.ERROR if isinstance(exc, AuthError) else logging.WARNING
            log.log(level, "batch of %d events not delivered, will retry: %s", len(lines), exc)
            return False
        refused = {int(r.get("line", 0)): str(r.get("reason", "")) for r in reply.rejected}
        for number, reason in sorted(refused.items()):
            if 1 <= number <= len(lines):
                self._give_up([lines[number - 1]], f"refused by the server: {reason}")
        if reply.accepted + len(refused) < len(lines):
            # Not all lines accounted for: keep the segment and send it again (ids dedupe).
            self.last_error = f"server acknowledged {reply.accepted} of {len(lines)} events"
            return False
        self.sent_events += reply.accepted
        self.last_success = utcnow()
        self.last_error = None
        self._done(segment)
        return True

    def _done(self, segment: Segment) -> None:
        self._spool.remove(segment)
        with self._lock:
            self._changed.notify_all()  # wakes `flush` and a `put` waiting for room

    def _beat(self) -> None:
        """Tell the province this site is alive though its devices are quiet."""
        try:
            self._client.send(b"", health=self._health())
        except DeliveryError as exc:
            self.last_error = str(exc)

    def _health(self) -> dict[str, int]:
        return {
            "spool_bytes": self._spool.used_bytes,
            "spool_batches": self._spool.segment_count(),
            "dead_letters": self.dead_letters,
        }

    def _give_up(self, lines: list[bytes], reason: str) -> None:
        for line in lines:
            self._dead_letter.write(source=SOURCE, reason=reason, raw=line)
        self.dead_letters += len(lines)
