"""NetFlow v9 export packets (RFC 3954) to templates and raw data sets: pure, no state.

Data FlowSets stay raw here because their meaning depends on templates that may have
arrived in an earlier packet (or not yet); `collectors.netflow.session` decodes them.
The header's `count` is not checked: exporters disagree whether it counts template records,
and the FlowSet lengths frame the packet unambiguously.
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
from collectors.netflow.templates import Template, TemplateField
from soc.errors import ParseError

HEADER = struct.Struct("!HHIIII")
_PAIR = struct.Struct("!HH")
_OPTIONS_HEAD = struct.Struct("!HHH")
TEMPLATE_SET, OPTIONS_TEMPLATE_SET = 0, 1


class V9Header(NamedTuple):
    version: int
    count: int
    sys_uptime: int  # ms since the exporter booted, when this packet was sent
    unix_secs: int
    sequence: int  # export packets sent before this one: gaps reveal lost packets
    source_id: int  # the observation domain: templates are scoped by it


class V9Packet(NamedTuple):
    header: V9Header
    items: list[SetItem]  # in packet order: templates may follow the data they describe
    problems: list[Problem]


def decode_v9(datagram: bytes, exporter: str) -> V9Packet:
    if len(datagram) < HEADER.size:
        raise ParseError(
            f"v9 header truncated: {len(datagram)} of {HEADER.size} bytes", where=exporter
        )
    header = V9Header._make(HEADER.unpack_from(datagram))
    items: list[SetItem] = []
    problems: list[Problem] = []
    for entry in walk_sets(datagram, HEADER.size, len(datagram)):
        if isinstance(entry, Problem):
            problems.append(entry)
            continue
        set_id, body = entry
        if set_id == TEMPLATE_SET:
            _templates(body, items, problems)
        elif set_id == OPTIONS_TEMPLATE_SET:
            _options_templates(body, items, problems)
        elif set_id >= MIN_DATA_SET_ID:
            items.append(DataSet(set_id, body))
        # FlowSet ids 2-255 are reserved: skipped, as the RFC asks.
    return V9Packet(header, items, problems)


def _fields(body: bytes, offset: int, count: int) -> tuple[TemplateField, ...]:
    return tuple(
        TemplateField(kind, length)
        for kind, length in (_PAIR.unpack_from(body, offset + 4 * i) for i in range(count))
    )


def _templates(body: bytes, items: list[SetItem], problems: list[Problem]) -> None:
    """Template records until the bytes left are padding.

    An empty record (0 fields, which some exporters send in place of the withdrawal v9 lacks;
    Filebeat skips it too) is skipped and the records after it are still read. A reserved id
    or a record that overruns the FlowSet is reported and ends the walk: what follows cannot
    be trusted or found.
    """
    offset = 0
    while len(body) - offset >= _PAIR.size:  # fewer bytes left: padding
        template_id, count = _PAIR.unpack_from(body, offset)
        end = offset + _PAIR.size + 4 * count
        if (template_id < MIN_DATA_SET_ID or count == 0) and not any(body[offset:]):
            return  # zero padding
        if end > len(body):
            problems.append(
                Problem(
                    f"v9 template {template_id} with {count} fields does not fit its FlowSet "
                    f"({len(body) - offset} bytes left)",
                    body[offset:],
                )
            )
            return
        if template_id < MIN_DATA_SET_ID:  # not a template: the rest of the set is suspect
            problems.append(
                Problem(f"v9 template with the reserved id {template_id}", body[offset:])
            )
            return
        if count:
            items.append(Template(template_id, _fields(body, offset + _PAIR.size, count)))
        offset = end


def _options_templates(body: bytes, items: list[SetItem], problems: list[Problem]) -> None:
    offset = 0
    while len(body) - (offset := after_alignment(body, offset)) >= _OPTIONS_HEAD.size:
        template_id, scope_bytes, option_bytes = _OPTIONS_HEAD.unpack_from(body, offset)
        start = offset + _OPTIONS_HEAD.size
        end = start + scope_bytes + option_bytes
        if (
            template_id < MIN_DATA_SET_ID
            or scope_bytes % 4
            or option_bytes % 4
            or end > len(body)
            or scope_bytes + option_bytes == 0
        ):
            if not any(body[offset:]):
                return
            problems.append(
                Problem(
                    f"v9 options template {template_id} (scope {scope_bytes} bytes, options "
                    f"{option_bytes} bytes) does not fit its FlowSet or is malformed",
                    body[offset:],
                )
            )
            return
        fields = _fields(body, start, (scope_bytes + option_bytes) // 4)
        items.append(Template(template_id, fields, scope_count=scope_bytes // 4, options=True))
        offset = end
