"""Last-seen time and counters of every source that sends us data (exporters, syslog hosts,
remote sites).

Collectors update it, the UI shows it, and silent-source detection reads it: a source that used
to send and went quiet is often the first sign of an attack or an outage. It lives in `soc.model`
because collectors and ui may not import each other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

from soc.model.event import utcnow


@dataclass(frozen=True)
class SourceStats:
    kind: str  # "netflow", "syslog", "site"
    key: str  # exporter or host address, or site id
    first_seen: datetime
    last_seen: datetime
    agency_id: str | None = None
    counters: dict[str, int] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)


class SourceRegistry:
    """Thread-safe, in-memory; cheap enough to call once per datagram or message batch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[tuple[str, str], SourceStats] = {}

    def touch(
        self,
        kind: str,
        key: str,
        *,
        agency_id: str | None = None,
        seen: datetime | None = None,
        **increments: int,
    ) -> None:
        """Record activity and add to counters (e.g. `packets=1, flows=30`)."""
        seen = seen or utcnow()
        with self._lock:
            current = self._sources.get((kind, key))
            if current is None:
                current = SourceStats(kind, key, first_seen=seen, last_seen=seen)
            counters = dict(current.counters)
            for name, amount in increments.items():
                counters[name] = counters.get(name, 0) + amount
            self._sources[(kind, key)] = replace(
                current,
                last_seen=max(seen, current.last_seen),
                agency_id=agency_id or current.agency_id,
                counters=counters,
            )

    def set_info(self, kind: str, key: str, **values: str | int) -> None:
        """Gauges and descriptions (templates known, records waiting, interface names)."""
        with self._lock:
            current = self._sources.get((kind, key))
            if current is None:
                now = utcnow()
                current = SourceStats(kind, key, first_seen=now, last_seen=now)
            info = dict(current.info)
            info.update({name: str(value) for name, value in values.items()})
            self._sources[(kind, key)] = replace(current, info=info)

    def snapshot(self) -> list[SourceStats]:
        with self._lock:
            return sorted(self._sources.values(), key=lambda s: (s.kind, s.key))
