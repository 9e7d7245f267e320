"""The syslog message as a typed record: what the header parsers produce and normalize reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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

    @property
    def facility(self) -> int | None:
        return None if self.priority is None else self.priority >> 3

    @property
    def severity(self) -> int | None:
        return None if self.priority is None else self.priority & 7
