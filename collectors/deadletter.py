"""The dead-letter file: input we could not use, with the reason and the raw bytes.

Bad input is normal on a government network (misconfigured devices, truncated UDP); keeping it
lets an analyst see what was lost and replay it once a parser is fixed.
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import orjson

from soc.model.event import isoformat, utcnow


class DeadLetter:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.count = 0

    def write(self, *, source: str, reason: str, raw: bytes, peer: str | None = None) -> None:
        """Append one record; `raw` is kept as text when it decodes, else base64."""
        try:
            payload = {"raw": raw.decode("utf-8")}
        except UnicodeDecodeError:
            payload = {"raw_base64": base64.b64encode(raw).decode()}
        record = {"@timestamp": isoformat(utcnow()), "source": source, "reason": reason}
        if peer:
            record["peer"] = peer
        record.update(payload)
        line = orjson.dumps(record) + b"\n"
        with self._lock, self.path.open("ab") as fh:
            fh.write(line)
            self.count += 1
