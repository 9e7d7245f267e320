"""Reading a syslog header from raw bytes: PRI, then RFC 5424 or (failing that) RFC 3164.

Senders on a provincial network are a zoo (Linux, network gear, FortiGate, NXLog), so the parser
is lenient: anything that is not an RFC 5424 header is read as RFC 3164 with its real-world
variants, and whatever cannot be recognised stays in `message`. Only input with no content at all
raises, because an event without content is useless to an analyst.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collectors.syslog.record import SyslogMessage
from collectors.syslog.rfc3164 import parse_rfc3164
from collectors.syslog.rfc5424 import parse_rfc5424
from soc.errors import ConfigError, ParseError

_STRIP = "\r\n\x00 \t"
_OFFSET = re.compile(r"(?:UTC)?(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d\d)")


def parse_syslog(raw: bytes, *, received: datetime, zone: tzinfo = UTC) -> SyslogMessage:
    """Read one framed message. `received` (aware) anchors the year of RFC 3164 timestamps;
    `zone` is where timestamps that name no zone were written (see `zone_setting`).

    Invalid UTF-8 is replaced rather than rejected: a mangled character must not cost the event.
    A PRI above 191 is not a PRI (RFC 3164 4.3.3): the text is kept whole as content.
    A relay that wrote its own header before the device's whole message (`Aug 22 05:11:06
    relay01 <189>2: *Jan  2 ...: %SYS-...`) gives the device's message, with the relay's time and
    host name where the device's lacks them.
    Raises ParseError only when nothing but whitespace (or a bare PRI) is left.
    """
    message = _parse_text(raw.decode("utf-8", errors="replace").strip(_STRIP), received, zone)
    if message is None:
        raise ParseError("empty message", where="syslog header")
    if message.appname is None and message.message[:1] == "<" and message.message[1:2].isdigit():
        inner = _parse_text(message.message, received, zone)
        if inner is not None and inner.priority is not None:
            return replace(
                inner,
                timestamp=inner.timestamp or message.timestamp,
                hostname=inner.hostname or message.hostname,
            )
    return message


def _parse_text(text: str, received: datetime, zone: tzinfo) -> SyslogMessage | None:
    """The message in `text`; None when nothing but whitespace (or a bare PRI) is there."""
    priority = None
    if text.startswith("<"):  # what `<(\d{1,3})>` matches, without the regex
        end = text.find(">", 2, 5)
        if end > 0 and (digits := text[1:end]).isdecimal() and (value := int(digits)) <= 191:
            priority = value
            text = text[end + 1 :]
    if not text.strip(_STRIP):
        return None
    if priority is not None:
        parsed = parse_rfc5424(text, priority, zone=zone)
        if parsed is not None:
            return parsed
    return parse_rfc3164(text, priority, received=received, zone=zone)


def zone_setting(name: str) -> tzinfo:
    """The zone of the `timezone` setting: an IANA name (`Asia/Ho_Chi_Minh`), `UTC`, or a fixed
    offset (`+07:00`). Raises ConfigError, so a typo stops start-up instead of shifting every
    timestamp by hours."""
    text = name.strip()
    if text.upper() in ("", "UTC", "Z"):
        return UTC
    if match := _OFFSET.fullmatch(text):
        sign = -1 if match["sign"] == "-" else 1
        return timezone(sign * timedelta(hours=int(match["hours"]), minutes=int(match["minutes"])))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r}", where="syslog.timezone") from exc
