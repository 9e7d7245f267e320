"""Syslog headers and TCP framing exactly as real senders put them on the wire.

RFC 3164 as rsyslog and most network gear forward it (`Mmm dd hh:mm:ss host tag[pid]: msg`,
no year, no zone: the demo's servers keep their clocks in UTC), Cisco IOS's own header
(sequence number, hostname, the router's local clock with its zone), RFC 5424 as rsyslog's
`RSYSLOG_SyslogProtocol23Format` sends it (local time with its +07:00 offset), and RFC 6587
framing for TCP: LF-terminated lines as rsyslog sends by default, octet counting where a
message could contain a newline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Facility * 8 + severity.
AUTH_INFO = 4 * 8 + 6
USER_INFO = 1 * 8 + 6
LOCAL6_INFO = 22 * 8 + 6
LOCAL7 = 23 * 8  # plus a severity: Cisco's and FortiGate's default facility
LOCAL7_NOTICE = LOCAL7 + 5  # FortiGate's traffic log level


def rfc3164(
    *, priority: int, moment: datetime, hostname: str, tag: str, pid: int | None, message: str
) -> bytes:
    utc = moment.astimezone(UTC)
    stamp = f"{MONTHS[utc.month - 1]} {utc.day:>2} {utc:%H:%M:%S}"
    program = f"{tag}[{pid}]" if pid is not None else tag
    return f"<{priority}>{stamp} {hostname} {program}: {message}".encode()


def cisco_ios(
    *, priority: int, sequence: int, hostname: str, moment: datetime, message: str
) -> bytes:
    """As IOS sends with `service sequence-numbers`, `logging origin-id hostname` and `service
    timestamps log datetime msec localtime show-timezone`."""
    local = moment.astimezone(VIETNAM)
    stamp = (
        f"{MONTHS[local.month - 1]} {local.day:>2} {local:%H:%M:%S}.{local.microsecond // 1000:03d}"
    )
    return f"<{priority}>{sequence}: {hostname}: {stamp} ICT: {message}".encode()


def rfc5424(
    *,
    priority: int,
    moment: datetime,
    hostname: str,
    app_name: str,
    procid: int | None,
    message: str,
    msgid: str = "-",
) -> bytes:
    stamp = moment.astimezone(VIETNAM).isoformat(timespec="microseconds")
    proc = str(procid) if procid is not None else "-"
    return f"<{priority}>1 {stamp} {hostname} {app_name} {proc} {msgid} - {message}".encode()


def line_framed(message: bytes) -> bytes:
    return message + b"\n"


def octet_counted(message: bytes) -> bytes:
    return b"%d %s" % (len(message), message)
