"""Which field a template's (element id, enterprise number) pair is, and its `netflow.*` key.

Keys are Filebeat's: the registry's camelCase name in snake_case, with Filebeat's rule for
acronyms (`postNATSourceIPv4Address` -> `post_nat_source_ipv4_address`), so dashboards and
Sigma pipelines written for Filebeat read our events unchanged. An element no table knows is
kept under a generic key (`ie_<id>`, `pen<pen>_ie_<id>`) with its raw value: an exporter's new
field must never cost the record.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from collectors.netflow.iana import IANA_ELEMENTS
from collectors.netflow.vendor import (
    CERT_PEN,
    CERT_REVERSE_BIT,
    ENTERPRISE_ELEMENTS,
    REVERSE_PEN,
    V9_VENDOR_ELEMENTS,
)

UNKNOWN = "unknown"
"""Abstract type of an element no table describes: decoded as its raw octets."""

LIST_KINDS = frozenset({"basicList", "subTemplateList", "subTemplateMultiList"})
"""Structured data types (RFC 6313): lists of values or of records, decoded generically."""

# v9 options scope types (RFC 3954 §6.1): not information elements, so named here.
V9_SCOPES = {
    1: "scope_system",
    2: "scope_interface",
    3: "scope_line_card",
    4: "scope_netflow_cache",
    5: "scope_template",
}

_SPECIAL = {"VRFname": "vrf_name"}  # the registry's one irregular capitalisation


class Element(NamedTuple):
    key: str  # the `netflow.*` key
    kind: str  # IANA abstract data type (RFC 7012 §3.1), our "aclId", or UNKNOWN


def snake_case(name: str) -> str:
    """Filebeat's conversion of registry names.

    A capital starts a word, except that inside a run of capitals only the last one before a
    lower-case letter starts the next word (`NATSource` -> `nat_source`); a run of two stays
    one word (`IPv4` -> `ipv4`). Names that already contain `_` are only lower-cased.
    """
    if name in _SPECIAL:
        return _SPECIAL[name]
    if "_" in name:
        return name.lower()
    out: list[str] = []
    capitals = 1  # a leading capital starts no new word
    for char in name:
        lower = char.lower()
        if lower != char:
            if capitals == 0:
                out.append("_")
            capitals += 1
        else:
            if capitals > 2:
                out.insert(len(out) - 1, "_")
            capitals = 0
        out.append(lower)
    return "".join(out)


@lru_cache(maxsize=4096)
def ipfix_element(element_id: int, pen: int = 0) -> Element:
    """An IPFIX field (RFC 7011 §3.2): IANA when `pen` is 0, else enterprise-specific."""
    if pen == 0:
        spec = IANA_ELEMENTS.get(element_id)
        if spec is None:
            return Element(f"ie_{element_id}", UNKNOWN)
    elif pen == REVERSE_PEN and element_id in IANA_ELEMENTS:
        name, kind = IANA_ELEMENTS[element_id]
        spec = ("reverse" + name[0].upper() + name[1:], kind)
    else:
        spec = ENTERPRISE_ELEMENTS.get((pen, element_id))
        if spec is None and pen == CERT_PEN and element_id & CERT_REVERSE_BIT:
            forward = ENTERPRISE_ELEMENTS.get((pen, element_id & ~CERT_REVERSE_BIT))
            if forward is not None:
                spec = ("reverse" + forward[0][0].upper() + forward[0][1:], forward[1])
        if spec is None:
            return Element(f"pen{pen}_ie_{element_id}", UNKNOWN)
    return Element(snake_case(spec[0]), spec[1])


@lru_cache(maxsize=4096)
def v9_element(field_type: int) -> Element:
    """A NetFlow v9 field (RFC 3954 §8): IANA numbering below 32768, vendors' above."""
    if field_type < 0x8000:
        return ipfix_element(field_type)
    spec = V9_VENDOR_ELEMENTS.get(field_type)
    if spec is None:
        return Element(f"ie_{field_type}", UNKNOWN)
    return Element(snake_case(spec[0]), spec[1])


def v9_scope_element(scope_type: int) -> Element:
    """A v9 options scope field: System, Interface, Line Card, Cache or Template."""
    return Element(V9_SCOPES.get(scope_type, f"scope_{scope_type}"), "unsigned64")
