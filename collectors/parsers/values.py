"""Typed values out of untrusted input: bad values are dropped, never raised, so one odd field
of a device's log line does not cost the rest of the event."""

from __future__ import annotations

import ipaddress
import string
from typing import Any

from soc.model.event import Event

_MAX_INT_DIGITS = 19  # fits a BIGINT; also keeps int() far below Python's digit limit
_DECIMAL_DIGITS = frozenset(string.digits)
_HEX_DIGITS = frozenset(string.hexdigits)


def ip_or_none(value: str | None) -> str | None:
    """The address in canonical form (as stores and CIDR lookups compare it), or None."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def int_or_none(value: object, *, base: int = 10) -> int | None:
    """A non-negative integer written in plain ASCII digits (base 16: hex digits, optional `0x`),
    or None; JSON may hand over anything, and `int()` alone would accept `1_0` or `²`-like input
    or raise on it."""
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
