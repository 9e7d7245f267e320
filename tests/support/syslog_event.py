"""One syslog line as the listener stores it: its header parsed, then normalized to ECS."""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.model.event import Event

RECEIVED = datetime(2024, 3, 5, 12, tzinfo=UTC)
"""When the parser tests' lines arrive: the year and zone of a BSD header come from it."""
SENDER = "10.20.0.1"
"""The address they arrive from (a device of agency so-yte's network)."""


def syslog_event(
    line: str | bytes, *, peer_ip: str = SENDER, received: datetime = RECEIVED
) -> Event:
    raw = line.encode() if isinstance(line, str) else line
    return to_ecs(parse_syslog(raw, received=received), peer_ip=peer_ip)
