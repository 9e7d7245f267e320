"""IBM QRadar LEEF (Log Event Extended Format) 1.0 and 2.0 to ECS.

`LEEF:1.0|Vendor|Product|Version|EventID|attributes`, the attributes `key=value` separated by
tabs; LEEF 2.0 adds a header field naming the separator (`LEEF:2.0|...|EventID|^|attributes`),
one character or its code in hex (`x09`, `0x5E`), a tab when empty. A 2.0 sender that leaves
that field out (Trend Micro Deep Security does) gets the tab; attributes with no separator in
them at all (spaces between pairs) are read the way CEF extensions are (a value runs up to the
space before the next `key=`) rather than as one huge value.

Elastic has no LEEF decoder, so the layout follows its CEF one (`collectors.parsers.cef`):
`leef.version`, `leef.device.{vendor,product,version,event_id}`, every attribute as sent under
`leef.attributes.*` (numbers as numbers), and the predefined keys of IBM's LEEF reference
(src, dst, srcPort, srcMAC, srcPostNAT, srcBytes, srcPackets and their dst twins, proto, usrName,
sev, devTime with devTimeFormat, url, policy, identSrc, ...) under the ECS names the CEF mapping
gives their CEF equivalents. `usrName` is `user.name` (LEEF, unlike CEF, does not say which side
the user is on); `identSrc`, the address of an identity event's user, is `source.ip` when `src`
is not there; `cat` stays an attribute, as ECS categories are a closed list.
"""

from __future__ import annotations

import contextlib
import functools
import re
from datetime import UTC, datetime
from typing import Any

from collectors.parsers import cef
from collectors.parsers.values import int_or_none, ip_or_none, mac_or_none
from soc.model.event import Event, isoformat, set_field

DATASET = "leef.log"
_MARK = "LEEF:"
_INTEGERS = frozenset({"srcPort", "dstPort", "srcPreNATPort", "dstPreNATPort", "srcPostNATPort",
                       "dstPostNATPort", "srcBytes", "dstBytes", "totalPackets", "srcPackets",
                       "dstPackets", "sev"})  # fmt: skip
_ECS_NAMES = (
    ("srcPort", "source.port"), ("dstPort", "destination.port"),
    ("srcPostNATPort", "source.nat.port"), ("dstPostNATPort", "destination.nat.port"),
    ("srcBytes", "source.bytes"), ("dstBytes", "destination.bytes"),
    ("srcPackets", "source.packets"), ("dstPackets", "destination.packets"),
    ("usrName", "user.name"), ("url", "url.original"), ("action", "event.action"),
    ("policy", "rule.name"),
)  # fmt: skip
_ECS_ADDRESSES = (
    ("src", "source.ip"), ("dst", "destination.ip"), ("srcPostNAT", "source.nat.ip"),
    ("dstPostNAT", "destination.nat.ip"),
)  # fmt: skip
_ECS_MACS = (("srcMAC", "source.mac"), ("dstMAC", "destination.mac"))
# Java SimpleDateFormat letters (devTimeFormat) to strptime directives; `S...` is a fraction.
_JAVA_FIELD = re.compile(r"'([^']*)'|([A-Za-z])\2*|([^A-Za-z']+)")
_JAVA_DIRECTIVES = {"yyyy": "%Y", "yy": "%y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "M": "%m",
                    "dd": "%d", "d": "%d", "HH": "%H", "H": "%H", "hh": "%I", "h": "%I",
                    "mm": "%M", "m": "%M", "ss": "%S", "s": "%S", "a": "%p", "EEE": "%a",
                    "EEEE": "%A", "z": "%Z", "zzz": "%Z", "Z": "%z", "X": "%z", "XX": "%z",
                    "XXX": "%z"}  # fmt: skip


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a LEEF message (after any prefix); None when there is no LEEF header."""
    start = message.find(_MARK)
    if start < 0:
        return None
    header, attributes = cef.split_header(message, start + len(_MARK), 5)
    version = header[0].strip() if header else ""
    if not _is_version(version):
        return None
    leef: dict[str, Any] = {"version": version}
    doc: Event = {
        "event": {"module": "leef", "dataset": DATASET, "original": message},
        "leef": leef,
    }
    _header_fields(doc, leef, header)
    if attributes is None:
        return doc
    delimiter: str | None = "\t"
    if version.startswith("2"):
        candidate, separator, rest = attributes.partition("|")
        if separator and (chosen := _delimiter(candidate)) is not None:
            delimiter, attributes = chosen, rest
    if delimiter is not None and delimiter not in attributes:
        delimiter = None  # a space-separated sender: read as CEF extensions are
    raw = _attributes(attributes, delimiter)
    if raw:
        leef["attributes"] = raw
        _ecs_fields(doc, raw)
    return doc


def _is_version(text: str) -> bool:
    major, _, minor = text.partition(".")
    return major.isdigit() and major.isascii() and (not minor or minor.isdigit())


def _delimiter(text: str) -> str | None:
    """The separator LEEF 2.0 names: one character, or hex (`x09`, `0x09`); empty means tab.
    None when the field is not a separator (the sender left it out; this is an attribute)."""
    if not text:
        return "\t"
    if len(text) == 1:
        return text
    digits = text[2:] if text[:2].lower() == "0x" else text[1:] if text[:1] in "xX" else ""
    code = int_or_none(digits, base=16) if 0 < len(digits) <= 4 else None
    return chr(code) if code else None


def _header_fields(doc: Event, leef: dict[str, Any], header: list[str]) -> None:
    names = ("vendor", "product", "version", "event_id")
    device = {name: text for name, text in zip(names, header[1:5], strict=False) if text}
    if not device:
        return
    leef["device"] = device
    if observer := {k: device[k] for k in ("vendor", "product", "version") if k in device}:
        doc["observer"] = observer
    if "event_id" in device:
        doc["event"]["code"] = device["event_id"]


def _attributes(text: str, delimiter: str | None) -> dict[str, Any]:
    if delimiter is None:
        pairs = cef.pairs(text)
    else:
        pairs = (item.partition("=")[::2] for item in text.split(delimiter) if "=" in item)
    raw: dict[str, Any] = {}
    for key, value in pairs:
        key, value = key.strip(), value.strip()
        if not key or value == "":
            continue
        number = int_or_none(value) if key in _INTEGERS else None
        raw[key] = value if number is None else number
    return raw


def _ecs_fields(doc: Event, raw: dict[str, Any]) -> None:
    for key, path in _ECS_NAMES:
        value = raw.get(key)
        if value is not None and (key not in _INTEGERS or isinstance(value, int)):
            set_field(doc, path, value)
    for key, path in _ECS_ADDRESSES:
        if ip := ip_or_none(raw.get(key)):
            set_field(doc, path, ip)
    if "ip" not in doc.get("source", {}) and (ip := ip_or_none(raw.get("identSrc"))):
        set_field(doc, "source.ip", ip)  # an identity event's address: the user's machine
    for key, path in _ECS_MACS:
        if mac := mac_or_none(raw.get(key)):
            set_field(doc, path, mac)
    if isinstance(severity := raw.get("sev"), int):
        doc["event"]["severity"] = severity
    if proto := raw.get("proto"):
        cef.transport(doc, proto)
    if (text := raw.get("devTime")) and (moment := _dev_time(str(text), raw.get("devTimeFormat"))):
        doc["@timestamp"] = isoformat(moment)


def _dev_time(text: str, java_format: object) -> datetime | None:
    """`devTime` in its `devTimeFormat` (Java SimpleDateFormat); without one, epoch ms or LEEF's
    default `MMM dd yyyy HH:mm:ss`, which CEF's time reader covers."""
    if not isinstance(java_format, str) or not java_format:
        return cef.device_time(text)
    directives = _strptime_format(java_format)
    if directives is None:
        return cef.device_time(text)
    with contextlib.suppress(ValueError):
        moment = datetime.strptime(text, directives)
        return cef.in_utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return None


@functools.lru_cache(maxsize=64)
def _strptime_format(java_format: str) -> str | None:
    """The strptime format for a SimpleDateFormat pattern; None for letters it cannot express."""
    parts: list[str] = []
    for match in _JAVA_FIELD.finditer(java_format):
        literal, letter, other = match.groups()
        if literal is not None:
            parts.append(literal.replace("%", "%%") or "'")
        elif other is not None:
            parts.append(other.replace("%", "%%"))
        elif letter == "S":
            parts.append("%f")
        elif (directive := _JAVA_DIRECTIVES.get(match[0])) is not None:
            parts.append(directive)
        else:
            return None
    return "".join(parts)
