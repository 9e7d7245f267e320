"""Which files `soc ingest` has already stored, by content, so that reading them again is a
choice and not an accident.

Events read from a file get new ids on every reading (two identical log lines must stay two
events, and an EVTX record's id alone does not make a usable store id), so ingesting the same
evidence folder twice, after adding one file to it, used to store every older file's events a
second time, and every single-event alert over them twice. The ledger remembers each file's
SHA-256 once its events are stored; the same content under any name or path is then skipped.

A log that grew since it was stored (the same path, its old content now the start of it, as
with Filebeat's registry, but judged by content rather than by inode and offset) is read from
where the stored part ended: `Resume`. A last line that was still being written then is read
again whole. A file whose start changed (rotated, truncated, edited) is new content, read whole.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from soc.errors import ValidationError
from soc.model.event import isoformat, utcnow

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Ingested:
    """A file whose content was stored: where it was and when."""

    path: str
    size: int
    at: datetime


@dataclass(frozen=True)
class Resume:
    """Where the part of a grown file not yet stored starts: the beginning of the line that
    the stored part ended in (after its last newline), and how many lines come before it."""

    offset: int
    lines: int
    before: Ingested


@dataclass(frozen=True)
class Examined:
    """A file looked up in the ledger: its digest, its own earlier ingest if its content was
    stored before, and otherwise where to resume it if it grew from a stored content."""

    digest: str
    seen: Ingested | None
    resume: Resume | None


def _scan(path: Path, marks: list[int]) -> tuple[str, dict[int, tuple[str, int, int]]]:
    """The file's SHA-256 (read in pieces: evidence files can be gigabytes) and, for each
    size in `marks` (ascending) that the file reaches, the SHA-256 of its first that many bytes
    with the offset just after their last newline and the count of newlines before it: one read
    of the file for all of them."""
    sha = hashlib.sha256()
    found: dict[int, tuple[str, int, int]] = {}
    position = newlines = line_start = 0
    pending = iter(marks)
    mark = next(pending, None)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            start = 0
            end = len(chunk)
            while start < end:
                cut = end if mark is None else min(end, start + mark - position)
                piece = chunk[start:cut]
                sha.update(piece)
                if (last := piece.rfind(b"\n")) >= 0:
                    newlines += piece.count(b"\n")
                    line_start = position + last + 1
                position += len(piece)
                start = cut
                if mark is not None and position == mark:
                    found[mark] = (sha.copy().hexdigest(), line_start, newlines)
                    mark = next(pending, None)
    return sha.hexdigest(), found


class IngestLedger:
    """The ledger file (`<data_dir>/ingested-files.json`): content digest -> `Ingested`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, Ingested] = {}
        if not path.exists():
            return
        try:
            for key, entry in orjson.loads(path.read_bytes()).items():
                self._entries[key] = Ingested(
                    entry["path"], entry["size"], datetime.fromisoformat(entry["at"])
                )
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            # Forgetting it silently would store every file in it again.
            raise ValidationError(
                f"the ingest ledger {path} is unreadable ({exc}); move it away to start anew"
            ) from exc

    def examine(self, path: Path) -> Examined:
        """Whether `path`'s content was stored before, or grew from what was stored under its
        path (the longest such stored content wins)."""
        here = str(path.absolute())  # as `record` keeps it, whatever folder it is named from
        size = path.stat().st_size
        earlier = sorted(
            {e.size for e in self._entries.values() if e.path == here and 0 < e.size < size}
        )
        content, prefixes = _scan(path, earlier)
        seen = self._entries.get(content)
        if seen is not None:
            return Examined(content, seen, None)
        for length in reversed(earlier):
            if length not in prefixes:  # the file shrank while it was read
                continue
            prefix, offset, lines = prefixes[length]
            before = self._entries.get(prefix)
            if before is not None and before.path == here:
                return Examined(content, None, Resume(offset, lines, before))
        return Examined(content, None, None)

    def record(self, files: dict[str, Path]) -> None:
        """Remember `files` (digest -> path) as stored now, and write the ledger atomically: a
        crash leaves the old ledger or the new one, never half of one."""
        now = utcnow()
        for content, path in files.items():
            self._entries[content] = Ingested(str(path.absolute()), path.stat().st_size, now)
        data = {
            key: {"path": e.path, "size": e.size, "at": isoformat(e.at)}
            for key, e in self._entries.items()
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        os.replace(temporary, self.path)
