"""Typed values out of untrusted input: bad values are dropped, never raised, so one odd field
of a device's log line does not cost the rest of the event."""

from __future__ import annotations

import functools
import ipaddress
import string
from collections.abc import Mapping
from typing import Any

from soc.model.event import Event

StructuredData = Mapping[str, Mapping[str, object]]
"""An RFC 5424 header's structured data as parsers receive it: SD-ID -> parameters."""

_MAX_INT_DIGITS = 19  # fits a BIGINT; also keeps int() far below Python's digit limit
_DECIMAL_DIGITS = frozenset(string.digits)
_HEX_DIGITS = frozenset(string.hexdigits)


@functools.lru_cache(maxsize=65_536)
def ip_or_none(value: str | None) -> str | None:
    """The address in canonical form (as stores and CIDR lookups compare it), or None.

    Cached: the same few thousand addresses recur in every log, and `ipaddress` parsing was
    a tenth of the parse-to-store time (bench/bench_syslog.py --profile)."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def int_or_none(value: object, *, base: int = 10) -> int | None:
    """A non-negative integer written in plain ASCII digits (base 16: hex digits, optional `0x`),
    or None; JSON may hand over anything, and `int()` alone would accept `1_0` or `²`-like input
    or raise on it.

    Called ~6 times per firewall line: the common case (a short run of ASCII digits) is
    answered first, without the set arithmetic."""
    if value.__class__ is str and base == 10 and value.isdigit() and value.isascii():
        return int(value) if len(value) <= _MAX_INT_DIGITS else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if base == 16:
        text = text.removeprefix("0x").removeprefix("0X")
    digits = _HEX_DIGITS if base == 16 else _DECIMAL_DIGITS
    if not text or len(text) > _MAX_INT_DIGITS or not set(text) <= digits:
        return None
    return int(text, base)


def object_field(doc: Event, key: str) -> dict[str, Any]:
    """doc[key] as an object, replacing whatever else is there (sender JSON may hold anything)."""
    value = doc.get(key)
    if not isinstance(value, dict):
        value = doc[key] = {}
    return value


IANA_TRANSPORTS = {"1": "icmp", "2": "igmp", "6": "tcp", "17": "udp", "41": "ipv6", "47": "gre",
                   "50": "esp", "51": "ah", "58": "ipv6-icmp", "89": "ospf", "112": "vrrp",
                   "132": "sctp"}  # fmt: skip
"""ECS `network.transport` names by IANA protocol number (as Elastic's integrations write them)."""


def fill_missing(into: dict[str, Any], values: dict[str, Any]) -> None:
    """Set what `into` lacks from `values`, object by object."""
    for key, value in values.items():
        current = into.get(key)
        if key not in into:
            into[key] = value
        elif isinstance(current, dict) and isinstance(value, dict):
            fill_missing(current, value)


def mac_or_none(value: str | None) -> str | None:
    """A MAC address in ECS form (`AA-BB-CC-DD-EE-FF`), from `:`, `-` or `.` notation."""
    if not value:
        return None
    # Chained `replace` and one f-string, not generators: a third of the cost, and iptables
    # lines carry two MAC addresses each.
    digits = value.replace(":", "").replace("-", "").replace(".", "")
    if len(digits) != 12 or not set(digits) <= _HEX_DIGITS:
        return None
    d = digits.upper()
    return f"{d[0:2]}-{d[2:4]}-{d[4:6]}-{d[6:8]}-{d[8:10]}-{d[10:12]}"


def endpoint(ip: str | None, port: object = None) -> dict[str, Any]:
    """`source`/`destination` object: `ip` when the text is an address, else `domain`; the port
    when it is a number (port 0 and unparsable ports are left out)."""
    result: dict[str, Any] = {}
    if ip:
        address = ip_or_none(ip)
        result["ip" if address else "domain"] = address or ip
    if number := int_or_none(port):
        result["port"] = number
    return result


def program_name(program: str | None) -> str:
    """The program part of a syslog tag, lower case: `sshd(pam_unix)` and `sshd-session` are
    sshd's, `/usr/sbin/cron` is cron, `(squid-1)` is squid."""
    if not program:
        return ""
    if program[0] == "(":  # a forked worker's `(squid-1)`, `(squid-coord-3)`: squid's
        program = program[1:].partition(")")[0].split("-", 1)[0]
    name = program.split("(", 1)[0].rsplit("/", 1)[-1].lower()
    return name.removesuffix("-session").removesuffix("-auth")


def text_or_none(value: object) -> str | None:
    """A non-empty string from decoded JSON, or None for anything else (numbers, lists, "")."""
    return value if isinstance(value, str) and value else None


def request_url(host: object, target: object) -> dict[str, str]:
    """ECS `url` of an HTTP request a sensor saw on the wire (Suricata, Zeek): the host the
    request named and its target, split into path and query; empty when neither is text."""
    url: dict[str, str] = {}
    if domain := text_or_none(host):
        url["domain"] = domain
    if original := text_or_none(target):
        path, _, query = original.partition("?")
        url.update(original=original, path=path)
        if query:
            url["query"] = query
    return url
