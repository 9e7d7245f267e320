"""NetFlow v9 and IPFIX packets built byte by byte from the RFCs, for tests.

An encoder independent of `collectors.netflow` (which only decodes): each helper follows the
wire layout of RFC 3954 or RFC 7011 with `struct`, so a test states the bytes an exporter
sends, including the odd ones (padding, withdrawals, enterprise fields, variable lengths).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

Field = tuple[int, int] | tuple[int, int, int]  # (element id, length[, enterprise number])


def pad4(body: bytes) -> bytes:
    return body + b"\0" * (-len(body) % 4)


def flowset(set_id: int, body: bytes, *, pad: bool = True) -> bytes:
    body = pad4(body) if pad else body
    return struct.pack("!HH", set_id, len(body) + 4) + body


# -- NetFlow v9 (RFC 3954) ---------------------------------------------------------------------


def v9_packet(
    *flowsets: bytes,
    sys_uptime: int = 600_000,
    unix_secs: int = 1_700_000_000,
    sequence: int = 0,
    source_id: int = 0,
    count: int | None = None,
) -> bytes:
    count = len(flowsets) if count is None else count
    header = struct.pack("!HHIIII", 9, count, sys_uptime, unix_secs, sequence, source_id)
    return header + b"".join(flowsets)


def v9_template_set(*templates: tuple[int, Sequence[tuple[int, int]]]) -> bytes:
    body = b"".join(
        struct.pack("!HH", template_id, len(fields))
        + b"".join(struct.pack("!HH", kind, length) for kind, length in fields)
        for template_id, fields in templates
    )
    return flowset(0, body)


def v9_options_template_set(
    template_id: int, scope: Sequence[tuple[int, int]], options: Sequence[tuple[int, int]]
) -> bytes:
    body = struct.pack("!HHH", template_id, 4 * len(scope), 4 * len(options))
    body += b"".join(struct.pack("!HH", kind, length) for kind, length in (*scope, *options))
    return flowset(1, body)


def data_set(template_id: int, *records: bytes, pad: bool = True) -> bytes:
    return flowset(template_id, b"".join(records), pad=pad)


# -- IPFIX (RFC 7011) --------------------------------------------------------------------------


def ipfix_message(
    *sets: bytes,
    export_time: int = 1_700_000_000,
    sequence: int = 0,
    domain: int = 0,
    length: int | None = None,
) -> bytes:
    body = b"".join(sets)
    total = 16 + len(body) if length is None else length
    return struct.pack("!HHIII", 10, total, export_time, sequence, domain) + body


def _ipfix_fields(fields: Sequence[Field]) -> bytes:
    out = b""
    for field in fields:
        if len(field) == 3:
            element, length, pen = field  # type: ignore[misc]
            out += struct.pack("!HHI", element | 0x8000, length, pen)
        else:
            out += struct.pack("!HH", *field)
    return out


def ipfix_template(template_id: int, fields: Sequence[Field]) -> bytes:
    return struct.pack("!HH", template_id, len(fields)) + _ipfix_fields(fields)


def ipfix_template_set(*templates: bytes) -> bytes:
    return flowset(2, b"".join(templates), pad=False)


def ipfix_options_template_set(
    template_id: int, scope_count: int, fields: Sequence[Field]
) -> bytes:
    body = struct.pack("!HHH", template_id, len(fields), scope_count) + _ipfix_fields(fields)
    return flowset(3, body, pad=False)


def ipfix_withdrawal_set(*template_ids: int, options: bool = False) -> bytes:
    body = b"".join(struct.pack("!HH", template_id, 0) for template_id in template_ids)
    return flowset(3 if options else 2, body, pad=False)


def varlen(value: bytes) -> bytes:
    """RFC 7011 §7: one length octet below 255, else 255 and a 16-bit length."""
    if len(value) < 255:
        return bytes([len(value)]) + value
    return b"\xff" + struct.pack("!H", len(value)) + value


def ipv4(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))
