"""IPFIX messages (RFC 7011) to templates, withdrawals and raw data sets: pure, no state.

A message whose length field exceeds the datagram is decoded as far as it goes: every set
received whole is still used and the cut one is reported. One whose length field ends inside a
set that the datagram holds whole keeps that set.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from collectors.netflow.sets import (
    MIN_DATA_SET_ID,
    DataSet,
    Problem,
    SetItem,
    after_alignment,
    walk_sets,
)
from collectors.netflow.templates import Template, TemplateField, Withdrawal
from soc.errors import ParseError

HEADER = struct.Struct("!HHIII")
_PAIR = struct.Struct("!HH")
_PEN = struct.Struct("!I")
TEMPLATE_SET, OPTIONS_TEMPLATE_SET = 2, 3
ENTERPRISE_BIT = 0x8000


class IpfixHeader(NamedTuple):
    version: int
    length: int
    export_time: int  # seconds since the epoch
    sequence: int  # data records sent before this message in this domain (mod 2^32)
    observation_domain_id: int


class IpfixPacket(NamedTuple):
    header: IpfixHeader
    items: list[SetItem]
    problems: list[Problem]


def decode_ipfix(datagram: bytes, exporter: str) -> IpfixPacket:
    if len(datagram) < HEADER.size:
        raise ParseError(
            f"IPFIX header truncated: {len(datagram)} of {HEADER.size} bytes", where=exporter
        )
    header = IpfixHeader._make(HEADER.unpack_from(datagram))
    if header.length < HEADER.size:
        raise ParseError(f"IPFIX message length {header.length} is impossible", where=exporter)
    items: list[SetItem] = []
    problems: list[Problem] = []
    if header.length > len(datagram):
        problems.append(
            Problem(
                f"IPFIX message claims {header.length} bytes, the datagram has "
                f"{len(datagram)}: truncated",
                b"",
            )
        )
    # Bytes after the message are not sets, but a set that begins inside it is read whole if
    # the datagram holds it: then the message length, not the self-framed set, is what is wrong
    # (an exporter seen to count one set short), and one bad header field must not cost data.
    sets = walk_sets(datagram, HEADER.size, len(datagram), starts_before=header.length)
    for entry in sets:
        if isinstance(entry, Problem):
            problems.append(entry)
            continue
        set_id, body = entry
        if set_id in (TEMPLATE_SET, OPTIONS_TEMPLATE_SET):
            _templates(body, set_id == OPTIONS_TEMPLATE_SET, items, problems)
        elif set_id >= MIN_DATA_SET_ID:
            items.append(DataSet(set_id, body))
        # Set ids 0, 1 and 4-255 are not IPFIX data: ignored (RFC 7011 §3.3.2).
    return IpfixPacket(header, items, problems)


def _templates(body: bytes, options: bool, items: list[SetItem], problems: list[Problem]) -> None:
    """Template or options template records until the bytes left are padding (< 4)."""
    offset = 0
    while True:
        if options:
            offset = after_alignment(body, offset)
        if len(body) - offset < _PAIR.size:
            return
        start = offset
        template_id, count = _PAIR.unpack_from(body, offset)
        offset += _PAIR.size
        if count == 0:
            if template_id == 0 and not any(body[start:]):
                return  # padding that happens to be 4 bytes or more
            kind = OPTIONS_TEMPLATE_SET if options else TEMPLATE_SET
            if template_id != kind and template_id < MIN_DATA_SET_ID:
                problems.append(Problem(f"withdrawal of invalid template id {template_id}", b""))
                return
            items.append(Withdrawal(template_id, options, template_id == kind))
            continue
        scope_count = 0
        if options and len(body) - offset >= 2:
            scope_count = int.from_bytes(body[offset : offset + 2])
            offset += 2
        fields: list[TemplateField] = []
        for _ in range(count):
            if len(body) - offset < _PAIR.size:
                break
            element_id, length = _PAIR.unpack_from(body, offset)
            offset += _PAIR.size
            pen = 0
            if element_id & ENTERPRISE_BIT:
                if len(body) - offset < _PEN.size:
                    break
                (pen,) = _PEN.unpack_from(body, offset)
                offset += _PEN.size
                element_id &= ~ENTERPRISE_BIT
            fields.append(TemplateField(element_id, length, pen))
        invalid = template_id < MIN_DATA_SET_ID or (options and not 0 < scope_count <= count)
        # (a cut-off options header leaves scope_count 0: reported as invalid too)
        if len(fields) < count or invalid:
            cut = len(fields) < count or (options and offset - start < 6)
            # a whole record with a scope count out of range costs only itself; a cut one or
            # one with a reserved id (no template at all: what follows is suspect) the rest
            ends = cut or template_id < MIN_DATA_SET_ID
            problems.append(
                Problem(
                    f"IPFIX {'options ' if options else ''}template {template_id} "
                    f"({count} fields, {scope_count} scope) is "
                    f"{'truncated' if cut else 'invalid'}",
                    body[start:] if ends else body[start:offset],
                )
            )
            if ends:
                return
            continue
        items.append(Template(template_id, tuple(fields), scope_count, options))
