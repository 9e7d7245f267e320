"""Retro-hunts in the background of a web process, one at a time, with progress to look at.

In memory on purpose: a hunt's lasting effects are its alerts and its audit row, both stored;
the job is only there to watch it run. One worker runs the hunts in the order asked, so two
analysts hunting at once share the store with ingestion instead of crowding it out. The worker
is a daemon thread that exists only while there is work, so a server stops without waiting
for a month-long hunt (whatever was stored stays; running it again is harmless).
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from soc.detection.ports import AlertSink
from soc.detection.retro import Progress, RetroResult, check_window, run_retro, select_rules
from soc.model.event import utcnow
from soc.rules import Catalog
from soc.storage.base import EventStore

log = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True)
class RetroJob:
    """A snapshot of one hunt; the registry replaces it as the hunt goes on."""

    id: str
    rule_ids: tuple[str, ...]
    start: datetime
    end: datetime
    requested_by: str
    submitted_at: datetime
    state: JobState = "queued"
    done_steps: int = 0
    total_steps: int = 0
    result: RetroResult | None = None
    error: str | None = None  # why the whole hunt stopped (a rule's own error is in `result`)
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return self.done_steps * 100 // self.total_steps if self.total_steps else 0


class RetroJobs:
    """The hunts of one process: the running one, the queued ones and the last `keep` done."""

    def __init__(self, *, keep: int = 50) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, RetroJob] = OrderedDict()
        self._finished: dict[str, threading.Event] = {}
        self._queue: deque[tuple[str, Callable[[Progress], RetroResult]]] = deque()
        self._worker: threading.Thread | None = None

    def submit(
        self,
        store: EventStore,
        catalog: Catalog,
        alert_sink: AlertSink,
        rule_ids: Sequence[str],
        *,
        start: datetime,
        end: datetime,
        requested_by: str,
    ) -> RetroJob:
        """Queue a hunt; raises at once (nothing queued) for an unknown rule or a bad window."""
        rules = select_rules(catalog, rule_ids)
        check_window(start, end)
        job = RetroJob(
            id=uuid.uuid4().hex,
            rule_ids=tuple(rule.id for rule in rules),
            start=start,
            end=end,
            requested_by=requested_by,
            submitted_at=utcnow(),
        )

        def hunt(progress: Progress) -> RetroResult:
            return run_retro(
                store,
                catalog,
                job.rule_ids,
                start=start,
                end=end,
                alert_sink=alert_sink,
                on_progress=progress,
            )

        with self._lock:
            self._jobs[job.id] = job
            self._finished[job.id] = threading.Event()
            self._queue.append((job.id, hunt))
            self._forget_old()
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="soc-retro", daemon=True)
                self._worker.start()
        return job

    def get(self, job_id: str) -> RetroJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self) -> list[RetroJob]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def wait(self, job_id: str, timeout_seconds: float | None = None) -> RetroJob | None:
        """The job once it finished (or as it is when the timeout ends); None if unknown."""
        with self._lock:
            finished = self._finished.get(job_id)
        if finished is not None:
            finished.wait(timeout_seconds)
        return self.get(job_id)

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                job_id, hunt = self._queue.popleft()
            self._update(job_id, state="running")
            try:
                result = hunt(functools.partial(self._progress, job_id))
            # The worker outlives a failed hunt (store closed, case store down): the job says why.
            except Exception as exc:
                log.exception("retro-hunt %s failed", job_id)
                self._update(job_id, state="failed", error=str(exc), finished_at=utcnow())
            else:
                self._update(job_id, state="done", result=result, finished_at=utcnow())
            with self._lock:
                finished = self._finished.get(job_id)
            if finished is not None:
                finished.set()

    def _progress(self, job_id: str, done: int, total: int) -> None:
        self._update(job_id, done_steps=done, total_steps=total)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def _forget_old(self) -> None:
        """Drop the oldest finished jobs beyond `keep`; queued and running ones always stay."""
        finished = [job_id for job_id, job in self._jobs.items() if job.finished]
        for job_id in finished[: max(0, len(finished) - self._keep)]:
            del self._jobs[job_id]
            del self._finished[job_id]
