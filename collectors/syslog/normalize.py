"""A parsed syslog message to its ECS document.

The message parser (sshd, FortiGate, Windows JSON, access log) owns the content fields; the
transport owns what only it knows for sure: the header (`log.syslog.*`) and the sending address
(`observer.ip`, `log.source.address`). Those are written last so that content cannot forge them.

A line no parser knows still names addresses (`neighbor 192.0.2.7 down`, `login from
2001:db8::5`): they go to `related.ip`, where threat-intel lists and searches by address find
them, as they find a parsed event's source and destination.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from collectors.parsers import parse_message
from collectors.parsers.values import int_or_none, ip_or_none, object_field
from collectors.syslog.record import FACILITIES, SEVERITIES, SyslogMessage
from soc.model.event import Event, isoformat


def to_ecs(msg: SyslogMessage, *, peer_ip: str | None) -> Event:
    """The event for one message; `event.dataset` is set when a parser recognised the content
    (the caller's `stamp` defaults it to `syslog` otherwise). `peer_ip` is None for a line read
    from a file, which has no sender address."""
    doc = parse_message(msg.message, program=msg.appname, pid=msg.procid, msgid=msg.msgid,
                        structured_data=msg.structured_data, zone=msg.zone)  # fmt: skip
    if doc is None:
        doc = _process(msg)
        if addresses := _addresses(msg.message):
            doc["related"] = {"ip": addresses}
    elif "process" not in doc and "winlog" not in doc and not _tag_is_content(msg.appname):
        # kernel, filterlog, nginx... A Windows event's tag is NXLog's SourceName (the event's
        # provider, `Microsoft-Windows-Security-Auditing[560]`) or the forwarder: no process.
        doc.update(_process(msg))
    doc.setdefault("message", msg.message)
    if msg.timestamp is not None and "@timestamp" not in doc:
        doc["@timestamp"] = _header_time(msg.timestamp)
    if msg.hostname:
        object_field(doc, "host").setdefault("name", msg.hostname)
    if msg.sequence is not None:
        object_field(doc, "event")["sequence"] = msg.sequence
    syslog = _syslog_fields(msg)
    log = object_field(doc, "log")
    if msg.severity is not None:
        log.setdefault("level", SEVERITIES[msg.severity])
    log["syslog"] = syslog
    if peer_ip is not None:
        log["source"] = {"address": peer_ip}
        object_field(doc, "observer")["ip"] = peer_ip
    return doc


def _tag_is_content(tag: str | None) -> bool:
    """A tag the header took from the content, naming no process: a Cisco `%ASA-6-...`, or the
    `CEF` of `CEF: 0|...`."""
    return tag is not None and (tag.startswith("%") or tag in ("CEF", "LEEF"))


@functools.lru_cache(maxsize=1024)
def _header_time(moment: datetime) -> str:
    """`isoformat` of a header timestamp. Cached: a sender's lines repeat the same second, and the
    RFC 3164 parser hands out one datetime for them, whose hash is kept after its first use."""
    return isoformat(moment)


# Candidates only: `ip_or_none` decides (a version `10.2.0.1` passes, a clock `10:00:11` or a
# MAC `52:54:00:12:34:56` does not). Not inside a longer run of digits and dots (or colons, for
# IPv6); an IPv4 address may have its port after a colon.
_ADDRESS = re.compile(
    r"(?<![\w.:])(?:(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
    r"|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w.:]))"
)
_UNSPECIFIED = frozenset({"0.0.0.0", "::"})
_MAX_ADDRESSES = 16


def _addresses(message: str) -> list[str]:
    """The IP addresses a message names, canonical, each once, at most `_MAX_ADDRESSES`."""
    found: dict[str, None] = {}
    for candidate in _ADDRESS.findall(message):
        if (ip := ip_or_none(candidate)) is not None and ip not in _UNSPECIFIED:
            found[ip] = None
            if len(found) == _MAX_ADDRESSES:
                break
    return list(found)


def _process(msg: SyslogMessage) -> Event:
    """For a line no parser knows, the syslog tag is the best name of the process that wrote it."""
    process: dict[str, Any] = {}
    if msg.appname and not msg.appname.isdigit():  # a number there is a Cisco sequence number
        process["name"] = msg.appname
    if (pid := int_or_none(msg.procid)) is not None:
        process["pid"] = pid
    return {"process": process} if process else {}


def _syslog_fields(msg: SyslogMessage) -> dict[str, Any]:
    syslog: dict[str, Any] = {}
    priority = msg.priority
    if priority is not None:
        facility, severity = priority >> 3, priority & 7
        syslog["priority"] = priority
        syslog["facility"] = {"code": facility, "name": FACILITIES[facility]}
        syslog["severity"] = {"code": severity, "name": SEVERITIES[severity]}
    if msg.version is not None:
        syslog["version"] = str(msg.version)
    if msg.hostname is not None:
        syslog["hostname"] = msg.hostname
    if msg.appname is not None:
        syslog["appname"] = msg.appname
    if msg.procid is not None:
        syslog["procid"] = msg.procid
    if msg.msgid is not None:
        syslog["msgid"] = msg.msgid
    if msg.structured_data:
        syslog["structured_data"] = msg.structured_data
    return syslog
