"""The syslog message as a typed record: what the header parsers produce and normalize reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = (
    "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug",
)  # fmt: skip

StructuredData = dict[str, dict[str, str | list[str]]]


@dataclass(frozen=True)
class SyslogMessage:
    """One received message: header fields (None when the sender left them out) and content."""

    message: str
    priority: int | None = None
    version: int | None = None
    timestamp: datetime | None = None
    hostname: str | None = None
    appname: str | None = None
    procid: str | None = None
    msgid: str | None = None
    structured_data: StructuredData = field(default_factory=dict)
    sequence: int | None = None
    zone: tzinfo = UTC
    """Where times that name no zone were written (the `syslog.timezone` setting): the header's
    are read in it already; the content parsers read theirs (NXLog's `EventTime`) in it too."""

    @property
    def facility(self) -> int | None:
        return None if self.priority is None else self.priority >> 3

    @property
    def severity(self) -> int | None:
        return None if self.priority is None else self.priority & 7


def in_utc(moment: datetime) -> datetime | None:
    """The moment, when it also exists in UTC, the store's zone; None otherwise. A sender's
    `0001-01-01T00:00:00+12:00` or `9999-12-31T23:59:59-12:00` is a valid time that no UTC
    date holds, and every later conversion of it would raise."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment
