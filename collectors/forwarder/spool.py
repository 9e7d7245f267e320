"""The on-disk spool of a remote site: events wait here until the province acknowledges them.

Layout: events are appended, one NDJSON line each, to `active.ndjson`; when it holds a batch
(by count, size or age) it is sealed, i.e. renamed to `seg-<sequence>.ndjson`, and never written
again. The sender posts the oldest sealed segment and deletes it only after the server
acknowledged every line, so a segment is the unit of retry; the `event.id` in each line makes a
retry harmless at the province.

Durability (fsync policy): with `fsync=True` (the default) a segment is fsynced before it is
sealed and the directory after every rename or delete, so sealed segments survive a power cut.
Lines of the active segment are written to the kernel at once (a crash of this process loses
none) but reach the disk at the next seal, at most one flush interval later; a line torn by a
power cut is cut off at restart and handed back in `torn` (to dead-letter). `fsync=False`
trades that for speed on hardware with a battery-backed cache.

Bounded: `max_bytes` caps the spool; `ForwardingSink` blocks its callers while the spool is full
and dead-letters beyond that, so a long outage costs neither memory nor the site's whole disk.
"""

from __future__ import annotations

import bisect
import fcntl
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from soc.errors import ConfigError

ACTIVE = "active.ndjson"
LOCK = "spool.lock"
_SEGMENT = re.compile(r"seg-(\d{12})((?:\.\d)*)\.ndjson")


@dataclass(frozen=True, order=True)
class Segment:
    sequence: int  # the two halves of a split segment keep their parent's sequence
    suffix: str  # "", ".1", ".2", ".1.2" ...: orders halves after their siblings
    path: Path = field(compare=False)
    size: int = field(compare=False)

    def lines(self) -> list[bytes]:
        return [line for line in self.path.read_bytes().split(b"\n") if line]


def _segment(path: Path) -> Segment | None:
    found = _SEGMENT.fullmatch(path.name)
    if found is None:
        return None
    return Segment(int(found.group(1)), found.group(2), path, path.stat().st_size)


class Spool:
    """The writer side (append/seal) must be called from one thread at a time (the sink holds a
    lock); the reader side (oldest/remove/split) from the sender thread. The two only share the
    index of sealed segments, which has its own lock."""

    def __init__(self, directory: str | Path, *, max_bytes: int, fsync: bool = True) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        # Two collectors on one spool would send each other's segments and seal each other's
        # active file: the second one is refused.
        self._lock_file = (self.directory / LOCK).open("a")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise ConfigError("spool in use by another collector", where=str(directory)) from None
        self.max_bytes = max_bytes
        self._fsync = fsync
        for leftover in self.directory.glob("*.tmp"):  # a split cut short: its parent remains
            leftover.unlink()
        self._index_lock = threading.Lock()
        self._sealed = sorted(s for p in self.directory.iterdir() if (s := _segment(p)))
        self._sealed_bytes = sum(s.size for s in self._sealed)
        self.last_sequence = max((s.sequence for s in self._sealed), default=0)
        self.active_lines = 0
        self.active_bytes = 0
        self._active_path = self.directory / ACTIVE
        self.torn = self._recover_active()
        self._active = self._active_path.open("ab")

    # -- writer side -----------------------------------------------------------------------------

    def append(self, line: bytes) -> None:
        """One event (an NDJSON line without its newline)."""
        self._active.write(line + b"\n")
        self._active.flush()  # into the kernel now: a crash of this process loses nothing
        self.active_lines += 1
        self.active_bytes += len(line) + 1

    def seal(self) -> int | None:
        """Turn the active segment into a sealed one; its sequence, or None if it was empty."""
        if not self.active_lines:
            return None
        if self._fsync:
            os.fsync(self._active.fileno())
        self._active.close()
        sequence = self.last_sequence + 1
        target = self.directory / f"seg-{sequence:012d}.ndjson"
        os.replace(self._active_path, target)
        self._sync_directory()
        with self._index_lock:
            self._sealed.append(Segment(sequence, "", target, self.active_bytes))
            self._sealed_bytes += self.active_bytes
        self.last_sequence = sequence
        self._active = self._active_path.open("ab")
        self.active_lines = 0
        self.active_bytes = 0
        return sequence

    @property
    def used_bytes(self) -> int:
        with self._index_lock:
            return self._sealed_bytes + self.active_bytes

    def close(self) -> None:
        self._active.close()
        self._lock_file.close()  # releases the lock

    # -- reader side -----------------------------------------------------------------------------

    def oldest(self) -> Segment | None:
        with self._index_lock:
            return self._sealed[0] if self._sealed else None

    def segment_count(self) -> int:
        with self._index_lock:
            return len(self._sealed)

    def remove(self, segment: Segment) -> None:
        segment.path.unlink()
        self._sync_directory()
        with self._index_lock:
            self._sealed.remove(segment)
            self._sealed_bytes -= segment.size

    def split(self, segment: Segment) -> bool:
        """Replace a segment by its two halves (the server found it too large); False when it
        holds a single line, which cannot be split."""
        lines = segment.lines()
        if len(lines) < 2:
            return False
        middle = len(lines) // 2
        stem = segment.path.name.removesuffix(".ndjson")
        halves = []
        for number, part in ((1, lines[:middle]), (2, lines[middle:])):
            target = self.directory / f"{stem}.{number}.ndjson"
            temporary = self.directory / f"{stem}.{number}.tmp"
            data = b"\n".join(part) + b"\n"
            with temporary.open("wb") as handle:
                handle.write(data)
                if self._fsync:
                    os.fsync(handle.fileno())
            os.replace(temporary, target)
            halves.append(
                Segment(segment.sequence, f"{segment.suffix}.{number}", target, len(data))
            )
        # A crash here leaves parent and halves: both are sent, and the event ids dedupe.
        segment.path.unlink()
        self._sync_directory()
        with self._index_lock:
            self._sealed.remove(segment)
            self._sealed_bytes -= segment.size
            for half in halves:
                bisect.insort(self._sealed, half)
                self._sealed_bytes += half.size
        return True

    # -- internals -------------------------------------------------------------------------------

    def _recover_active(self) -> bytes:
        """Seal the active segment the last run left, minus a torn last line (returned)."""
        if not self._active_path.exists():
            return b""
        data = self._active_path.read_bytes()
        complete, _, torn = data.rpartition(b"\n")
        if not complete and not data.startswith(b"\n"):
            self._active_path.unlink()
            return torn
        if torn:
            with self._active_path.open("r+b") as handle:
                handle.truncate(len(complete) + 1)
        self._active = self._active_path.open("ab")
        self.active_lines = complete.count(b"\n") + 1
        self.active_bytes = len(complete) + 1
        self.seal()
        self._active.close()
        return torn

    def _sync_directory(self) -> None:
        if not self._fsync:
            return
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
