"""What the platform remembers about each source between restarts, for silent-source alerts.

`soc.model.sources.SourceRegistry` is the live, in-memory view the collectors update; this is
its persisted counterpart, written by the silence checker (`soc.detection.silence`) through the
case store, so that a restart does not forget who used to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SOURCE_KINDS = ("syslog", "netflow", "site")


@dataclass(frozen=True)
class SourceState:
    kind: str  # "syslog", "netflow", "site"
    key: str  # host or exporter address, or site id
    first_seen: datetime
    last_seen: datetime
    agency_id: str | None = None
    # Expected reporting interval for this source; None: the default of its kind.
    # 0 switches monitoring off for this source.
    interval_seconds: int | None = None
    # While a silence is open: the last time the source was heard before it (so the source has
    # returned once `last_seen` passes it). None while the source reports.
    silent_since: datetime | None = None
    alert_id: str | None = None  # the alert raised for the current silence
