"""ArcSight CEF (Common Event Format) to ECS, after Elastic's `decode_cef` processor and CEF module.

`CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|
Extension`, as the ArcSight CEF specification (version 25) writes it: header fields escape `\\|`
and `\\\\`; the extension is `key=value` pairs separated by spaces, a value running up to the
space before the next `key=` (so values may hold spaces), with `\\=`, `\\\\`, `\\n` and `\\r`
escaped. Content before `CEF:` (a device's own host name or clock) is ignored, as Filebeat does.

Like Filebeat, every extension is kept under `cef.extensions.<full name>` (`src` becomes
`sourceAddress`; keys sent in full stay as they are), empty values are dropped and numbers
become numbers (times stay as sent there, and are ISO 8601 in their ECS fields); the header goes
to `observer.*`, `event.code`, `event.severity` and `message` (the Name, unless `msg` is there).
The ECS names are Filebeat's, with four kinds left out on purpose: `eventId`/`devicePayloadId`
(Filebeat's `event.id`) would replace our own event id, which makes redelivery idempotent;
`customerExternalID`/`customerURI` (`organization.*`) would let a sender choose the agency an
event is filed under; `type` (`event.kind`) is ArcSight's 0-3 code, not an ECS kind; `agent*`
describes ArcSight's connector, and ECS `agent` is our collector. A `fileHash` goes to
`file.hash.<md5|sha1|sha256|sha512>` by its length, which Filebeat does not do, so
threat-intelligence matches on hashes see it. Custom fields whose label names an ECS field (Check
Point's `c6a2Label=Source IPv6 Address`, Forcepoint's `cs1Label=RuleID`) fill it, as the CEF
module's vendor pipelines do; so do Check Point's own keys (`inzone`, `rule_uid`, `ifname`).

A truncated line keeps what was read; text whose `CEF:` is not followed by a version number is
not CEF. Hostile lines cost time linear in their length: keys are found by one scan for `=`
after a space and a run of key characters, header fields by an unrolled escape loop.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from collectors.parsers import checkpoint
from collectors.parsers.values import IANA_TRANSPORTS, int_or_none, ip_or_none, mac_or_none
from soc.model.event import Event, isoformat, set_field

DATASET = "cef.log"
HEADER_FIELDS = 7
_MARK = "CEF:"
# One header field (escapes `\|` and `\\` kept for _unescape_header) and the pipe that ends it.
_HEADER_FIELD = re.compile(r"([^|\\]*(?:\\.[^|\\]*)*)\|", re.S)
_HEADER_ESCAPE = re.compile(r"\\([|\\])")
# An extension key: starts a value, after a space (or at the start); `\=` is no key's end.
_KEY = re.compile(r"(?:^|(?<= ))([A-Za-z_][\w.,\[\]-]*)=")
_VALUE_ESCAPE = re.compile(r"\\([\\=nr])")
_VALUE_ESCAPES = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}
_SEVERITY_NAMES = {"unknown": None, "low": 0, "medium": 4, "high": 7, "very-high": 9}
_OUTCOMES = frozenset({"success", "failure", "unknown"})
_HASHES = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_HEX = frozenset("0123456789abcdefABCDEF")

# Short names of the CEF specification (v25) to full names, as Filebeat expands them.
FULL_NAMES = {
    "act": "deviceAction", "agt": "agentAddress", "ahost": "agentHostName", "aid": "agentId",
    "amac": "agentMacAddress", "app": "applicationProtocol", "art": "agentReceiptTime",
    "at": "agentType", "atz": "agentTimeZone", "av": "agentVersion",
    "c6a1": "deviceCustomIPv6Address1",
    "c6a1Label": "deviceCustomIPv6Address1Label", "c6a2": "deviceCustomIPv6Address2",
    "c6a2Label": "deviceCustomIPv6Address2Label", "c6a3": "deviceCustomIPv6Address3",
    "c6a3Label": "deviceCustomIPv6Address3Label", "c6a4": "deviceCustomIPv6Address4",
    "c6a4Label": "deviceCustomIPv6Address4Label", "cat": "deviceEventCategory",
    "catdt": "categoryDeviceType", "cfp1": "deviceCustomFloatingPoint1",
    "cfp1Label": "deviceCustomFloatingPoint1Label", "cfp2": "deviceCustomFloatingPoint2",
    "cfp2Label": "deviceCustomFloatingPoint2Label", "cfp3": "deviceCustomFloatingPoint3",
    "cfp3Label": "deviceCustomFloatingPoint3Label", "cfp4": "deviceCustomFloatingPoint4",
    "cfp4Label": "deviceCustomFloatingPoint4Label", "cn1": "deviceCustomNumber1",
    "cn1Label": "deviceCustomNumber1Label", "cn2": "deviceCustomNumber2",
    "cn2Label": "deviceCustomNumber2Label", "cn3": "deviceCustomNumber3",
    "cn3Label": "deviceCustomNumber3Label", "cnt": "baseEventCount",
    "cs1": "deviceCustomString1", "cs1Label": "deviceCustomString1Label",
    "cs2": "deviceCustomString2", "cs2Label": "deviceCustomString2Label",
    "cs3": "deviceCustomString3", "cs3Label": "deviceCustomString3Label",
    "cs4": "deviceCustomString4", "cs4Label": "deviceCustomString4Label",
    "cs5": "deviceCustomString5", "cs5Label": "deviceCustomString5Label",
    "cs6": "deviceCustomString6", "cs6Label": "deviceCustomString6Label",
    "dhost": "destinationHostName", "dlat": "destinationGeoLatitude",
    "dlong": "destinationGeoLongitude", "dmac": "destinationMacAddress",
    "dntdom": "destinationNtDomain", "dpid": "destinationProcessId",
    "dpriv": "destinationUserPrivileges", "dproc": "destinationProcessName",
    "dpt": "destinationPort", "dst": "destinationAddress", "dtz": "deviceTimeZone",
    "duid": "destinationUserId", "duser": "destinationUserName", "dvc": "deviceAddress",
    "dvchost": "deviceHostName", "dvcmac": "deviceMacAddress", "dvcpid": "deviceProcessId",
    "end": "endTime", "fname": "filename", "fsize": "fileSize", "in": "bytesIn",
    "msg": "message", "out": "bytesOut", "outcome": "eventOutcome", "proto": "transportProtocol",
    "reason": "reason", "request": "requestUrl", "rt": "deviceReceiptTime",
    "shost": "sourceHostName", "slat": "sourceGeoLatitude", "slong": "sourceGeoLongitude",
    "smac": "sourceMacAddress", "sntdom": "sourceNtDomain", "spid": "sourceProcessId",
    "spriv": "sourceUserPrivileges", "sproc": "sourceProcessName", "spt": "sourcePort",
    "src": "sourceAddress", "start": "startTime", "suid": "sourceUserId",
    "suser": "sourceUserName",
}  # fmt: skip

_INTEGERS = frozenset({
    "baseEventCount", "bytesIn", "bytesOut", "destinationPort", "destinationProcessId",
    "destinationTranslatedPort", "deviceCustomNumber1", "deviceCustomNumber2",
    "deviceCustomNumber3", "deviceDirection", "deviceProcessId", "eventId", "fileSize",
    "oldFileSize", "sourcePort", "sourceProcessId", "sourceTranslatedPort", "type",
})  # fmt: skip
_FLOATS = frozenset({
    "deviceCustomFloatingPoint1", "deviceCustomFloatingPoint2", "deviceCustomFloatingPoint3",
    "deviceCustomFloatingPoint4", "destinationGeoLatitude", "destinationGeoLongitude",
    "sourceGeoLatitude", "sourceGeoLongitude",
})  # fmt: skip
_TIMES = frozenset({
    "agentReceiptTime", "deviceCustomDate1", "deviceCustomDate2", "deviceReceiptTime", "endTime",
    "fileCreateTime", "fileModificationTime", "flexDate1", "oldFileCreateTime",
    "oldFileModificationTime", "startTime",
})  # fmt: skip

# Full name -> ECS path, Filebeat's `decode_cef` mapping (less what the module docstring lists).
ECS_NAMES = {
    "applicationProtocol": "network.application", "bytesIn": "source.bytes",
    "bytesOut": "destination.bytes", "destinationDnsDomain": "destination.domain",
    "destinationGeoLatitude": "destination.geo.location.lat",
    "destinationGeoLongitude": "destination.geo.location.lon",
    "destinationHostName": "destination.domain", "destinationPort": "destination.port",
    "destinationProcessId": "destination.process.pid",
    "destinationProcessName": "destination.process.name",
    "destinationServiceName": "destination.service.name",
    "destinationTranslatedPort": "destination.nat.port", "destinationUserId": "destination.user.id",
    "destinationUserName": "destination.user.name",
    "destinationUserPrivileges": "destination.user.group.name", "deviceAction": "event.action",
    "deviceDnsDomain": "observer.hostname", "deviceHostName": "observer.hostname",
    "deviceProcessId": "process.pid", "deviceProcessName": "process.name",
    "deviceReceiptTime": "@timestamp", "deviceTimeZone": "event.timezone",
    "endTime": "event.end", "fileCreateTime": "file.created", "fileId": "file.inode",
    "fileModificationTime": "file.mtime", "filename": "file.name", "filePath": "file.path",
    "filePermission": "file.group", "fileSize": "file.size", "fileType": "file.type",
    "message": "message", "requestClientApplication": "user_agent.original",
    "requestMethod": "http.request.method", "requestUrl": "url.original",
    "sourceDnsDomain": "source.domain", "sourceGeoLatitude": "source.geo.location.lat",
    "sourceGeoLongitude": "source.geo.location.lon", "sourceHostName": "source.domain",
    "sourcePort": "source.port", "sourceProcessId": "source.process.pid",
    "sourceProcessName": "source.process.name", "sourceServiceName": "source.service.name",
    "sourceTranslatedPort": "source.nat.port", "sourceUserId": "source.user.id",
    "sourceUserName": "source.user.name", "sourceUserPrivileges": "source.user.group.name",
    "startTime": "event.start",
}  # fmt: skip
_ADDRESSES = {
    "sourceAddress": "source.ip", "destinationAddress": "destination.ip",
    "sourceTranslatedAddress": "source.nat.ip",
    "destinationTranslatedAddress": "destination.nat.ip", "deviceAddress": "observer.ip",
}  # fmt: skip
_MACS = {"sourceMacAddress": "source.mac", "destinationMacAddress": "destination.mac",
         "deviceMacAddress": "observer.mac"}  # fmt: skip
ECS_NAMES |= _ADDRESSES | _MACS

# Custom fields ECS has a field for, by the label the device gives them (`c6a2Label=Source IPv6
# Address c6a2=2001:db8::5`): Check Point's Log Exporter sends an IPv6 connection's addresses and
# its rule this way, Forcepoint its rule id (Filebeat's CEF module maps the same, vendor by
# vendor). A standard key (`src`, `dst`) wins over a labelled one.
_LABELLED = {f"{key}Label": key for key in (
    *(f"deviceCustomString{n}" for n in range(1, 7)),
    *(f"deviceCustomIPv6Address{n}" for n in range(1, 5)),
    *(f"deviceCustomNumber{n}" for n in range(1, 4)),
)}  # fmt: skip
_LABELS = {
    "source ipv6 address": "source.ip", "destination ipv6 address": "destination.ip",
    "rule name": "rule.name", "ruleid": "rule.id", "rule id": "rule.id",
    "matched category": "rule.category",
    "duration in seconds": "event.duration", "durationinseconds": "event.duration",
}  # fmt: skip
# Check Point's own names for what CEF has no key for (`inzone=Internal rule_uid=...`), mapped
# as the Check Point parser maps them; `ifname` is the interface in `deviceDirection`'s way.
_CHECK_POINT = {
    "inzone": "observer.ingress.zone", "outzone": "observer.egress.zone",
    "rule_uid": "rule.uuid", "rule_name": "rule.name", "layer_name": "network.name",
    "origin": "observer.name",
}  # fmt: skip

# Device times: `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]` (the spec's formats) besides epoch ms.
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                       "sep", "oct", "nov", "dec"), start=1)}  # fmt: skip
_DEVICE_TIME = re.compile(
    r"(?P<mon>[A-Za-z]{3}) +(?P<day>\d{1,2})(?: +(?P<year>\d{4}))? +"
    r"(?P<h>\d{1,2}):(?P<m>\d\d):(?P<s>\d\d)(?:\.(?P<frac>\d{1,9}))?(?: +(?P<zone>\S+))?"
)
_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])(\d\d):?(\d\d)")
_FUTURE_SLACK = timedelta(days=2)
_ICT = timezone(timedelta(hours=7))


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a CEF message (after any prefix); None when there is no CEF header."""
    start = message.find(_MARK)
    if start < 0:
        return None
    header, extension = split_header(message, start + len(_MARK), HEADER_FIELDS)
    version = header[0].strip() if header else ""  # Trend Micro writes `CEF: 0|`
    if not version.isdigit() or not version.isascii():
        return None
    cef: dict[str, Any] = {"version": version}
    doc: Event = {
        "event": {"module": "cef", "dataset": DATASET, "original": message},
        "cef": cef,
    }
    _header_fields(doc, cef, header)
    if extension:
        extensions = parse_extension(extension)
        if extensions:
            cef["extensions"] = extensions
            _ecs_fields(doc, extensions)
            if header[1:2] == ["Check Point"]:
                _check_point(doc, extensions)
    return doc


def split_header(text: str, pos: int, count: int) -> tuple[list[str], str | None]:
    """Up to `count` pipe-separated fields from `pos`, unescaped, and the text after the last
    pipe (None when the line ended before it: then the last field is whatever was left)."""
    fields: list[str] = []
    while len(fields) < count:
        match = _HEADER_FIELD.match(text, pos)
        if match is None:
            if pos < len(text):
                fields.append(_unescape_header(text[pos:].rstrip()))
            return fields, None
        fields.append(_unescape_header(match[1]))
        pos = match.end()
    return fields, text[pos:]


def parse_extension(text: str) -> dict[str, Any]:
    """Extension pairs by full name, unescaped and typed; empty values left out."""
    result: dict[str, Any] = {}
    for key, value in pairs(text):
        if "\\" in value:
            value = _VALUE_ESCAPE.sub(lambda m: _VALUE_ESCAPES[m[1]], value)
        name = FULL_NAMES.get(key, key)
        result[name] = _typed(name, value)
    return result


def pairs(text: str) -> Iterator[tuple[str, str]]:
    """`key=value` pairs as sent, a value running up to the space before the next `key=`;
    pairs with an empty value are left out."""
    keys = list(_KEY.finditer(text))
    for index, match in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        if value := text[match.end() : end].rstrip(" "):
            yield match[1], value


def severity(text: str) -> int | None:
    """The numeric severity: 0-10 as sent, or the spec's names at the bottom of their band."""
    if (number := int_or_none(text)) is not None:
        return number
    return _SEVERITY_NAMES.get(text.strip().lower())


def device_time(text: str, zone_name: object = None) -> datetime | None:
    """A CEF time: epoch milliseconds, `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]` or ISO 8601.

    A time that names no zone is in `zone_name` (the event's `dtz`) if that is a zone, else
    UTC (Filebeat's default); one without a year is in the latest year that does not put it
    more than two days ahead (Filebeat takes this year, wrong for a December event in January).
    """
    moment = _read_time(text.strip(), zone_name)
    return moment if moment is None else in_utc(moment)


def in_utc(moment: datetime) -> datetime | None:
    """The moment, when UTC can hold it (`Jan 01 0001 00:00:00 +1400` it cannot), else None."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment


def _read_time(text: str, zone_name: object) -> datetime | None:
    if (millis := int_or_none(text)) is not None:
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return datetime.fromtimestamp(millis / 1000, UTC)
        return None
    if match := _DEVICE_TIME.fullmatch(text):
        return _named_month_time(match, zone_name)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_zone(zone_name) or UTC)


def _named_month_time(match: re.Match[str], zone_name: object) -> datetime | None:
    month = _MONTHS.get(match["mon"].lower())
    if month is None:
        return None
    zone = _zone(match["zone"]) if match["zone"] else _zone(zone_name) or UTC
    if zone is None:
        return None
    fraction = int((match["frac"] or "0")[:6].ljust(6, "0"))
    now = datetime.now(UTC)
    years = [int(match["year"])] if match["year"] else [now.year + 1, now.year, now.year - 1]
    for year in years:
        try:
            moment = datetime(year, month, int(match["day"]), int(match["h"]), int(match["m"]),
                              int(match["s"]), fraction, tzinfo=zone)  # fmt: skip
        except ValueError:
            continue
        if match["year"] or moment <= now + _FUTURE_SLACK:
            return moment
    return None


@functools.lru_cache(maxsize=256)
def _zone(name: object) -> tzinfo | None:
    """A zone named as devices name them (`UTC`, `GMT`, `ICT`, `+0700`, `Asia/Ho_Chi_Minh`), or
    None: an abbreviation the zone database does not know (`PST`) is not guessed at, so the time
    is left out rather than put hours off (Go's parser, under Filebeat, reads it as UTC)."""
    if not isinstance(name, str) or not name:
        return None
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    if name.upper() == "ICT":  # Indochina Time, which Vietnamese devices print
        return _ICT
    if match := _OFFSET.fullmatch(name):
        offset = timedelta(hours=int(match[2]), minutes=int(match[3]))
        return timezone(-offset if match[1] == "-" else offset)
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # unknown, malformed, or a path outside the zone db
        return None


def _unescape_header(text: str) -> str:
    return _HEADER_ESCAPE.sub(r"\1", text) if "\\" in text else text


def _typed(name: str, value: str) -> Any:
    """Numbers as numbers; the text itself when it is not one (kept, so nothing is lost)."""
    if name in _INTEGERS:
        negative = value.startswith("-")
        number = int_or_none(value[1:] if negative else value)
        if number is not None:
            return -number if negative else number
    elif name in _FLOATS:
        with contextlib.suppress(ValueError):
            number = float(value)
            if math.isfinite(number):  # `nan` and `1e999` are no coordinates JSON can carry
                return number
    return value


def _header_fields(doc: Event, cef: dict[str, Any], header: list[str]) -> None:
    names = ("vendor", "product", "version", "event_class_id")
    device = {name: text for name, text in zip(names, header[1:5], strict=False) if text}
    if device:
        cef["device"] = device
        observer = {k: device[k] for k in ("vendor", "product", "version") if k in device}
        if observer:
            doc["observer"] = observer
        if "event_class_id" in device:
            doc["event"]["code"] = device["event_class_id"]
    if len(header) > 5 and header[5]:
        cef["name"] = doc["message"] = header[5]
    if len(header) > 6 and header[6]:
        cef["severity"] = header[6]
        if (number := severity(header[6])) is not None:
            doc["event"]["severity"] = number


def _ecs_fields(doc: Event, ext: dict[str, Any]) -> None:
    """ECS fields from the extensions, in their order: of two names for one field (a host name
    and a DNS domain), the later wins. Values that are not what the field holds are left out."""
    labelled = []
    for name, value in ext.items():
        if (path := ECS_NAMES.get(name)) is None:
            if name in _LABELLED:
                labelled.append(name)
            continue
        if name in _TIMES:
            moment = (
                device_time(value, ext.get("deviceTimeZone")) if value.__class__ is str else None
            )
            value = isoformat(moment) if moment else None
        elif name in _ADDRESSES:
            value = ip_or_none(value)
        elif name in _MACS:
            value = mac_or_none(value)
        elif value.__class__ is str and (name in _INTEGERS or name in _FLOATS):
            continue  # not a number: kept under cef.extensions only
        if value is not None:
            set_field(doc, path, value)
    for name in labelled:
        _labelled(doc, ext, name)
    _network(doc, ext)
    _whole_locations(doc)
    if (outcome := str(ext.get("eventOutcome", "")).lower()) in _OUTCOMES:
        doc["event"]["outcome"] = outcome
    if (context := ext.get("requestContext")) and str(context).startswith("http"):
        set_field(doc, "http.request.referrer", context)
    if digest := _hash(ext.get("fileHash")):
        set_field(doc, f"file.hash.{_HASHES[len(digest)]}", digest)


def _labelled(doc: Event, ext: dict[str, Any], label_key: str) -> None:
    path, value = _LABELS.get(ext[label_key].strip().lower()), ext.get(_LABELLED[label_key])
    if path == "event.duration":
        if value.__class__ is int and value >= 0:
            doc["event"].setdefault("duration", value * 1_000_000_000)  # ECS: nanoseconds
        return
    if path is None or value.__class__ is not str:
        return
    if path.endswith(".ip") and (value := ip_or_none(value)) is None:
        return
    side, _, field = path.partition(".")
    if field not in doc.get(side, {}):
        set_field(doc, path, value)


def _check_point(doc: Event, ext: dict[str, Any]) -> None:
    for key, path in _CHECK_POINT.items():
        if (value := ext.get(key)) and value.__class__ is str:
            side, _, field = path.partition(".")
            if field not in doc.get(side, {}):
                set_field(doc, path, value)
    if (name := ext.get("ifname")) and (direction := ext.get("deviceDirection")) in (0, 1):
        way = "ingress" if direction == 0 else "egress"
        set_field(doc, f"observer.{way}.interface.name", name)
    # The rule's verdict, as the Check Point parser classifies its syslog lines.
    verdict = ext.get("rule_action") or ext.get("deviceAction")
    if verdict in checkpoint.ALLOWED or verdict in checkpoint.DENIED:
        allowed = verdict in checkpoint.ALLOWED
        kinds = ["allowed", "connection"] if allowed else ["connection", "denied"]
        doc["event"].update(category=["network"], type=kinds,
                            outcome="success" if allowed else "failure")  # fmt: skip


def _whole_locations(doc: Event) -> None:
    """A point needs both coordinates: half of one (the other unreadable) is dropped."""
    for side in ("source", "destination"):
        geo = doc.get(side, {}).get("geo")
        if geo and len(geo["location"]) < 2:
            del doc[side]["geo"]
            if not doc[side]:
                del doc[side]


def transport(doc: Event, proto: str) -> None:
    """`network.transport` in lower case, as Filebeat writes it; a protocol number (Check Point
    and QRadar senders write `6`) is also `network.iana_number`, and names its transport."""
    if int_or_none(proto) is not None:
        set_field(doc, "network.iana_number", proto)
        if name := IANA_TRANSPORTS.get(proto):
            set_field(doc, "network.transport", name)
    else:
        set_field(doc, "network.transport", proto.lower())


def _network(doc: Event, ext: dict[str, Any]) -> None:
    if proto := ext.get("transportProtocol"):
        transport(doc, proto)
    direction = ext.get("deviceDirection")
    if direction in (0, 1):
        set_field(doc, "network.direction", "inbound" if direction == 0 else "outbound")


def _hash(value: object) -> str | None:
    if isinstance(value, str) and len(value) in _HASHES and set(value) <= _HEX:
        return value.lower()
    return None
