"""Which files `soc ingest` has already stored, by content, so that reading them again is a
choice and not an accident.

Events read from a file get new ids on every reading (two identical log lines must stay two
events, and an EVTX record's id alone does not make a usable store id), so ingesting the same
evidence folder twice, after adding one file to it, used to store every older file's events a
second time, and every single-event alert over them twice. The ledger remembers each file's
SHA-256 once its events are stored; the same content under any name or path is then skipped.
A file that has changed at all (a log that grew) is new content and is read whole.
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


def digest(path: Path) -> str:
    """The SHA-256 of the file's content, read in pieces (evidence files can be gigabytes)."""
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


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

    def get(self, content: str) -> Ingested | None:
        return self._entries.get(content)

    def record(self, files: dict[str, Path]) -> None:
        """Remember `files` (digest -> path) as stored now, and write the ledger atomically: a
        crash leaves the old ledger or the new one, never half of one."""
        now = utcnow()
        for content, path in files.items():
            self._entries[content] = Ingested(str(path), path.stat().st_size, now)
        data = {
            key: {"path": e.path, "size": e.size, "at": isoformat(e.at)}
            for key, e in self._entries.items()
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        os.replace(temporary, self.path)
