"""Which v9/IPFIX templates the columnar path takes, and where each field sits in a record.

A template whose fields all have fixed lengths describes records of one size, so a data set is
an array of one numpy structured dtype (`np.frombuffer`, big-endian) and every field a column.
The columnar mapping (`collectors.netflow.columnar_sets`) reproduces `ecs.flow_event` for the
fields that most exporters send (addresses, ports, counters, times, interfaces, AS numbers,
masks, next hops, direction, MACs, VLANs, sampler ids); a template with anything else
(variable-length or list fields, floats, booleans, strings, NAT, biflow, application, user or
a flow's own sampling fields, odd lengths) returns no layout and keeps the dict path, which
handles everything. Being strict here is what keeps the two paths' documents equal: a field
is only admitted with the lengths whose values the mapping reads the way
`fields.RecordDecoder` and `ecs.flow_event` do.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from collectors.netflow.ecs import APPLICATION_USER_KEYS, AVC_ENDPOINT_KEYS, NAT_KEYS
from collectors.netflow.elements import Element
from collectors.netflow.fields import unique_keys
from collectors.netflow.options import OptionsSnapshot
from collectors.netflow.templates import VARIABLE_LENGTH, Template

_UNSIGNED = {1: ">u1", 2: ">u2", 4: ">u4", 8: ">u8"}
# abstract type -> (lengths admitted, the column's kind)
_KINDS = {
    "ipv4Address": ((4,), "ipv4"),
    "ipv6Address": ((16,), "ipv6"),
    "macAddress": ((6,), "mac"),
    "dateTimeSeconds": ((4,), "seconds"),
    "dateTimeMilliseconds": ((8,), "milliseconds"),
    "dateTimeMicroseconds": ((8,), "ntp"),
    "dateTimeNanoseconds": ((8,), "ntp"),
}
_FORMATS = {
    "ipv4": ">u4",
    "ipv6": "V16",
    "mac": ("u1", 6),
    "seconds": ">u4",
    "milliseconds": ">u8",
    "ntp": ">u8",
}
# Integer fields the mapping reads as more than a number: the most bytes it handles exactly
# (a port wider than 2 bytes is no port, a 2-byte protocol indexes no table of 256).
_MAX_LENGTH = {
    "protocol_identifier": 1,
    "tcp_control_bits": 2,
    "icmp_type_code_ipv4": 2,
    "icmp_type_code_ipv6": 2,
    "ingress_interface": 4,
    "egress_interface": 4,
    "flow_start_sys_up_time": 4,
    "flow_end_sys_up_time": 4,
    "flow_start_delta_microseconds": 4,
    "flow_end_delta_microseconds": 4,
    "flow_duration_milliseconds": 4,
    "flow_duration_microseconds": 4,
    **dict.fromkeys(
        (f"{kind}_{side}_port" for kind in ("udp", "tcp") for side in ("source", "destination")),
        2,
    ),
    "source_transport_port": 2,
    "destination_transport_port": 2,
    **dict.fromkeys(("icmp_type_ipv4", "icmp_code_ipv4", "icmp_type_ipv6", "icmp_code_ipv6"), 1),
}
_DICT_ONLY = (
    NAT_KEYS
    | APPLICATION_USER_KEYS
    | {key for pair in AVC_ENDPOINT_KEYS for key in pair}
    | {
        "system_init_time_milliseconds",
        # a flow's own sampling fields choose its rate (`OptionsState.rate_for`)
        "sampling_interval",
        "sampler_random_interval",
        "sampling_packet_interval",
        "sampling_packet_space",
        "sampling_probability",
        "sampling_size",
        "sampling_population",
    }
)


class Column(NamedTuple):
    key: str  # the `netflow.*` key (`fields.unique_keys`)
    kind: str  # "unsigned", or a `_KINDS` kind
    length: int


class Layout(NamedTuple):
    """The records of one template as a numpy dtype whose field names are the `netflow.*`
    keys, in template order."""

    dtype: np.dtype
    columns: dict[str, Column]


def layout(template: Template, elements: list[Element]) -> Layout | None:
    """The template's layout, or None when the columnar path does not take it."""
    if template.options or not template.fields:
        return None
    formats, offsets = [], []
    columns: dict[str, Column] = {}
    offset = 0
    for field, element, key in zip(template.fields, elements, unique_keys(elements), strict=True):
        length = field.length
        if length == VARIABLE_LENGTH:
            return None
        if length:
            column = _column(element, key, length)
            if column is None:
                return None
            kind = column.kind
            formats.append(_UNSIGNED[length] if kind == "unsigned" else _FORMATS[kind])
            offsets.append(offset)
            columns[key] = column
        offset += length
    if not columns:
        return None
    dtype = np.dtype(
        {"names": list(columns), "formats": formats, "offsets": offsets, "itemsize": offset}
    )
    return Layout(dtype, columns)


def _column(element: Element, key: str, length: int) -> Column | None:
    if _base_key(key) in _DICT_ONLY:
        return None
    if element.kind.startswith("unsigned"):
        if length not in _UNSIGNED or length > _MAX_LENGTH.get(key, 8):
            return None
        return Column(key, "unsigned", length)
    admitted = _KINDS.get(element.kind)
    if admitted is None or length not in admitted[0]:
        return None
    return Column(key, admitted[1], length)


def _base_key(key: str) -> str:
    """`octet_delta_count_2` -> `octet_delta_count`: a repeated element is only kept raw."""
    head, _, tail = key.rpartition("_")
    return head if head and tail.isdigit() else key


SAFE_MILLISECONDS = (1 << 62) // 1_000_000
"""Milliseconds since the epoch (year 2116) below which a time in ns, plus any duration the
mapping adds (at most 2**32 ms), stays inside int64: the columnar mapping computes in int64."""


def readable(snapshot: OptionsSnapshot) -> bool:
    """Whether the columnar mapping reads flows under these options exactly as the dict path
    does: integral sampling rates, the exporter's and each sampler's
    (`netflow.exporter.sampling_interval` stays an integer, as `normalize._plain` writes it),
    and a system init time in int64 reach."""
    rates = [snapshot.rate, *snapshot.options.sampling.values()]
    init = snapshot.options.system_init_ms
    integral = all(rate.is_integer() and rate < 1 << 53 for rate in rates)
    return integral and (init is None or abs(init) < SAFE_MILLISECONDS)
