"""A store lock that lets one write run behind it, on a thread of its own.

A hunt reads its evidence (Python, holding the GIL) and writes it in batches; DuckDB's INSERT
lets go of the GIL, so run behind, each batch's INSERT takes the other core while the next
batch is read, instead of the reading waiting for it (`bench/README.md`). The store keeps its
one rule for its connection: whoever enters the lock has it alone. Entering first waits for the
write behind, so the next batch's duplicate check, a COMMIT, a query or `close()` all see the
connection after the write and never use it while the write does; the write's error is raised
there, once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any


class WriteBehindLock:
    """A re-entrant lock, plus at most one piece of work running behind it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[Any] | None = None

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self.settle()
        except BaseException:
            self._lock.release()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._lock.release()

    def behind(self, work: Callable[[], Any]) -> None:
        """Start `work` (using what the lock guards) and return; the caller holds the lock,
        and whoever enters it next waits for `work` to end."""
        self.settle()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="store-write-behind")
        self._pending = self._pool.submit(work)

    def settle(self) -> None:
        """Wait for the work behind, raising its error. Interrupted while waiting, the work is
        still waited for by the next entry: nothing uses the connection alongside it."""
        pending = self._pending
        if pending is None:
            return
        try:
            pending.result()
        finally:
            if pending.done():
                self._pending = None

    def close(self) -> None:
        """Wait for the work behind (its error raised) and stop the thread."""
        try:
            self.settle()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
