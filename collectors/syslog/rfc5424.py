"""RFC 5424 headers: `VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]` after the PRI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from collectors.syslog.record import StructuredData, SyslogMessage, in_utc

_NIL = "-"
# The timestamp shape is part of the match so that an RFC 3164 message that merely starts with a
# digit and a space is not mistaken for RFC 5424. Check Point's Log Exporter (R80) writes the
# date and time apart, `2018-03-21 17:25:25`, as `datetime.fromisoformat` also reads them.
_HEADER = re.compile(
    r"(?P<version>[1-9]\d{0,2}) (?P<ts>-|\d{4}-\d\d-\d\d(?:T| \d\d:\d\d:)\S+) (?P<host>\S+)"
    r" (?P<app>\S+)"
    r" (?P<procid>\S+) (?P<msgid>\S+)(?: |$)"
)
# One SD-ELEMENT whole, its parameters read after by `findall`. The value is unrolled (runs of
# plain characters, then one escape): an alternation per character cost ~3 us a parameter, most
# of the header of an SRX session log (~30 parameters): 96 -> 39 us a line.
_SD_VALUE = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_SD_NAME = r'[^\s=\]"]+'
_SD_BLOCK = re.compile(rf"\[({_SD_NAME})((?: +{_SD_NAME}={_SD_VALUE})*)\]", re.S)
_SD_PARAM = re.compile(rf" +({_SD_NAME})={_SD_VALUE}", re.S)
_SD_ESCAPE = re.compile(r"\\([\"\\\]])")
_BOM = "\ufeff"
_BARE_CONTENT = ("CEF:", "LEEF:")
# The header's first three fields and CEF or LEEF right after them (LEEF's tabs would stop
# _HEADER from matching at all).
_BARE_HEADER = re.compile(
    r"(?P<version>[1-9]\d{0,2}) (?P<ts>-|\d{4}-\d\d-\d\dT\S+) (?P<host>\S+) (?=CEF:|LEEF:)"
)


def parse_rfc5424(text: str, priority: int, *, zone: tzinfo = UTC) -> SyslogMessage | None:
    """Parse the text after the PRI; None when it does not carry an RFC 5424 header.

    The RFC requires an offset in the timestamp; senders that leave it out get `zone`.

    Spaces before MSG are dropped: rsyslog's RFC 5424 templates keep the space that followed the
    original tag (`%msg%` of `app: text` is ` text`). A malformed STRUCTURED-DATA part is not
    fatal: the header is kept and the rest of the line, brackets included, becomes the message,
    so nothing the sender wrote is lost.

    A sender that writes CEF or LEEF right after the host name (no APP-NAME, PROCID, MSGID or
    STRUCTURED-DATA) keeps it whole as the message, not cut into header fields.
    """
    header = _HEADER.match(text)
    if header is None or header["app"].startswith(_BARE_CONTENT):
        return _bare_content(text, priority, zone)
    rest = text[header.end() :]
    structured: StructuredData = {}
    if rest.startswith(_NIL) and (len(rest) == 1 or rest[1] == " "):
        rest = rest[2:]
    elif rest.startswith("["):
        parsed = _structured_data(rest)
        if parsed is not None:
            structured, rest = parsed
            rest = rest.removeprefix(" ")
    return SyslogMessage(
        message=rest.removeprefix(_BOM).lstrip(" "),
        priority=priority,
        version=int(header["version"]),
        timestamp=_timestamp(header["ts"], zone),
        hostname=_nil(header["host"]),
        appname=_nil(header["app"]),
        procid=_nil(header["procid"]),
        msgid=_nil(header["msgid"]),
        structured_data=structured,
        zone=zone,
    )


def _bare_content(text: str, priority: int, zone: tzinfo) -> SyslogMessage | None:
    """CEF or LEEF right after the host name, whole as the message; None for other text."""
    header = _BARE_HEADER.match(text)
    if header is None:
        return None
    return SyslogMessage(
        message=text[header.end() :],
        priority=priority,
        version=int(header["version"]),
        timestamp=_timestamp(header["ts"], zone),
        hostname=_nil(header["host"]),
        zone=zone,
    )


def _nil(value: str) -> str | None:
    return None if value == _NIL else value


def _timestamp(value: str, zone: tzinfo) -> datetime | None:
    """An unreadable timestamp is dropped (receive time is used) rather than losing the event."""
    if value == _NIL:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return in_utc(moment if moment.tzinfo else moment.replace(tzinfo=zone))


def _structured_data(text: str) -> tuple[StructuredData, str] | None:
    """Read `[id name="value" ...]...` from the start of text; None when malformed.

    A repeated parameter name (allowed by the RFC) becomes a list, keeping every value.
    """
    result: StructuredData = {}
    pos = 0
    while pos < len(text) and text[pos] == "[":
        element = _SD_BLOCK.match(text, pos)
        if element is None:
            return None
        params = result.setdefault(element[1], {})
        for name, raw in _SD_PARAM.findall(element[2]):
            value = _SD_ESCAPE.sub(r"\1", raw) if "\\" in raw else raw
            previous = params.get(name)
            if previous is None:
                params[name] = value
            elif isinstance(previous, list):
                previous.append(value)
            else:
                params[name] = [previous, value]
        pos = element.end()
    return result, text[pos:]
