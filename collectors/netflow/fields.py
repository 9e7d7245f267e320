"""Field values by abstract data type (RFC 7011 §6, RFC 7012 §3.1), and per-template decoders.

Every converter is total: a value it cannot interpret (a 5-byte "IPv4 address", a timestamp
past year 9999) comes back as its raw hex or integer instead of raising, because one odd
field must not cost the record, let alone the datagram. Reduced-size encoding (§6.2: an
unsigned64 counter sent in 4 bytes) falls out of decoding integers by their actual length.

A template whose fields all have fixed lengths compiles to one `struct.Struct`, unpacked with
`iter_unpack` over the whole set (~1 µs a record); templates with variable-length fields walk
field by field.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from collectors.netflow.elements import LIST_KINDS, Element
from collectors.netflow.templates import VARIABLE_LENGTH, Template

if TYPE_CHECKING:
    from collectors.netflow.lists import ListDecoder

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ALIGNMENT = 4  # v9 pads FlowSets to 32 bits (RFC 3954 §5.3); IPFIX exporters often do too
_NTP_TO_UNIX_SECONDS = 2_208_988_800  # 1900-01-01 to 1970-01-01

Converter = Callable[[Any], Any]


def _unsigned(raw: bytes) -> int | str:
    return int.from_bytes(raw, "big") if len(raw) <= 8 else raw.hex()


def _signed(raw: bytes) -> int | str:
    return int.from_bytes(raw, "big", signed=True) if len(raw) <= 8 else raw.hex()


def _string(raw: bytes) -> str:
    """Up to the first NUL: fixed-size string fields are NUL-padded (Palo Alto, nProbe)."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _mac(raw: bytes) -> str:
    """ECS writes MAC addresses upper-case with dashes."""
    return raw.hex("-").upper() if len(raw) == 6 else raw.hex()


def _ipv4(raw: bytes) -> str:
    return socket.inet_ntoa(raw) if len(raw) == 4 else raw.hex()


def _ipv6(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, raw) if len(raw) == 16 else raw.hex()


def _float(raw: bytes) -> float | str:
    """float64 may be sent as float32 (reduced size)."""
    if len(raw) == 4:
        return struct.unpack("!f", raw)[0]
    if len(raw) == 8:
        return struct.unpack("!d", raw)[0]
    return raw.hex()


def _boolean(value: int) -> bool | int:
    """RFC 7011 §6.1.5: 1 is true, 2 is false; anything else is kept as sent."""
    return {1: True, 2: False}.get(value, value)


def _acl_id(raw: bytes) -> str:
    """Cisco ASA ACL ids: ACL, ACE and extended ACE, three 32-bit hashes as show commands print."""
    text = raw.hex()
    return "-".join(text[i : i + 8] for i in range(0, len(text), 8)) if len(raw) == 12 else text


def _at(seconds: int, microseconds: int = 0) -> datetime | None:
    try:
        return _EPOCH + timedelta(seconds=seconds, microseconds=microseconds)
    except OverflowError:
        return None


def _seconds(value: int) -> datetime | int:
    moment = _at(value)
    return value if moment is None else moment


def _milliseconds(value: int) -> datetime | int:
    moment = _at(value // 1000, value % 1000 * 1000)
    return value if moment is None else moment


def _ntp(value: int) -> datetime | int:
    """dateTimeMicroseconds/Nanoseconds: NTP seconds since 1900 and a 2^-32 s fraction."""
    seconds, fraction = value >> 32, value & 0xFFFFFFFF
    moment = _at(seconds - _NTP_TO_UNIX_SECONDS, fraction * 1_000_000 >> 32)
    return value if moment is None else moment


def _via_int(convert: Callable[[int], Any]) -> Converter:
    def from_bytes(raw: bytes) -> Any:
        return convert(int.from_bytes(raw, "big")) if 0 < len(raw) <= 8 else raw.hex()

    return from_bytes


_ntp_bytes = _via_int(_ntp)
_TIMEVAL = struct.Struct("!QQ")


def _microseconds(raw: bytes) -> Any:
    """dateTimeMicroseconds is NTP in 8 bytes (RFC 7011 §6.1.9), but pmacct's NetFlow probe
    (`nfprobe_tstamp_usec`) sends a Unix timeval in 16: seconds, then microseconds, each a
    64-bit integer. Read as NTP, that length would be hex and the flow would have no time."""
    if len(raw) != _TIMEVAL.size:
        return _ntp_bytes(raw)
    seconds, micros = _TIMEVAL.unpack(raw)
    moment = _at(seconds, micros) if micros < 1_000_000 else None
    return raw.hex() if moment is None else moment


# Any length: used for variable-length fields and unusual fixed lengths.
FROM_BYTES: dict[str, Converter] = {
    **dict.fromkeys(("unsigned8", "unsigned16", "unsigned32", "unsigned64"), _unsigned),
    **dict.fromkeys(("signed8", "signed16", "signed32", "signed64"), _signed),
    "float32": _float,
    "float64": _float,
    "boolean": _via_int(_boolean),
    "macAddress": _mac,
    "string": _string,
    "octetArray": bytes.hex,
    "ipv4Address": _ipv4,
    "ipv6Address": _ipv6,
    "dateTimeSeconds": _via_int(_seconds),
    "dateTimeMilliseconds": _via_int(_milliseconds),
    "dateTimeMicroseconds": _microseconds,
    "dateTimeNanoseconds": _ntp_bytes,
    "aclId": _acl_id,
}

_UNSIGNED_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
_SIGNED_CODES = {1: "b", 2: "h", 4: "i", 8: "q"}
_INT_VALUED = {
    "boolean": _boolean,
    "dateTimeSeconds": _seconds,
    "dateTimeMilliseconds": _milliseconds,
    "dateTimeMicroseconds": _ntp,
    "dateTimeNanoseconds": _ntp,
}


def _struct_code(kind: str, length: int) -> tuple[str, Converter | None]:
    """The struct code for one fixed-length field and what to apply to the unpacked value."""
    if kind.startswith("unsigned") and length in _UNSIGNED_CODES:
        return _UNSIGNED_CODES[length], None
    if kind.startswith("signed") and length in _SIGNED_CODES:
        return _SIGNED_CODES[length], None
    if kind in _INT_VALUED and length in _UNSIGNED_CODES:
        return _UNSIGNED_CODES[length], _INT_VALUED[kind]
    if kind.startswith("float") and length in (4, 8):
        return ("f" if length == 4 else "d"), None
    if kind == "ipv4Address" and length == 4:
        return "4s", socket.inet_ntoa
    return f"{length}s", FROM_BYTES.get(kind, bytes.hex)


def unique_keys(elements: list[Element]) -> list[str]:
    """A template may repeat an element; later copies get `_2`, `_3` instead of overwriting."""
    seen: dict[str, int] = {}
    keys = []
    for element in elements:
        count = seen[element.key] = seen.get(element.key, 0) + 1
        keys.append(element.key if count == 1 else f"{element.key}_{count}")
    return keys


class RecordDecoder:
    """Decodes the data records of one template; built once per template definition."""

    def __init__(
        self, template: Template, elements: list[Element], lists: ListDecoder | None = None
    ) -> None:
        self.template = template
        self.min_length = template.min_record_length
        self.structured = any(
            e.kind.startswith("dateTime") or e.kind in LIST_KINDS for e in elements
        )  # values that are datetimes or lists, not JSON scalars
        keys = unique_keys(elements)
        self._struct: struct.Struct | None = None
        self._keys: tuple[str, ...] = ()
        self._converters: list[tuple[int, Converter]] = []
        # (key or None for zero-length fields, length, converter of raw bytes)
        self._steps: list[tuple[str | None, int, Converter]] = []
        fixed = all(f.length != VARIABLE_LENGTH for f in template.fields)
        has_lists = any(e.kind in LIST_KINDS for e in elements)
        if fixed and not has_lists:
            codes, names = ["!"], []
            for field, element, key in zip(template.fields, elements, keys, strict=True):
                if field.length == 0:
                    continue
                code, convert = _struct_code(element.kind, field.length)
                if convert is not None:
                    self._converters.append((len(names), convert))
                codes.append(code)
                names.append(key)
            self._struct = struct.Struct("".join(codes))
            self._keys = tuple(names)
        else:
            for field, element, key in zip(template.fields, elements, keys, strict=True):
                if element.kind in LIST_KINDS and lists is not None:
                    convert = lists.converter(element.kind)
                else:
                    convert = FROM_BYTES.get(element.kind, bytes.hex)
                self._steps.append((key if field.length else None, field.length, convert))

    def decode(
        self, body: bytes, *, padded: bool = True
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The records of one data set's body, and why the rest is lost if it is.

        Bytes after the last whole record are padding (RFC 3954 §5.3, RFC 7011 §3.3.1). A
        record can be as short as the padding (variable-length fields, or fixed records of 1-3
        bytes): fewer than 4 zero bytes at the end of a set (`padded`, not of a list's content)
        are padding, not records of empty fields or zeros.
        """
        if self._struct is None:
            return self._decode_variable(body, padded)
        size = self._struct.size
        if size == 0:
            return [], f"template {self.template.template_id} describes records of 0 bytes"
        end = (whole_records(body, size) if padded else len(body) // size) * size
        keys, converters = self._keys, self._converters
        records = []
        for row in self._struct.iter_unpack(body[:end]):
            if converters:
                values = list(row)
                for index, convert in converters:
                    values[index] = convert(values[index])
                records.append(dict(zip(keys, values, strict=True)))
            else:
                records.append(dict(zip(keys, row, strict=True)))
        return records, None

    def _decode_variable(
        self, body: bytes, padded: bool
    ) -> tuple[list[dict[str, Any]], str | None]:
        records: list[dict[str, Any]] = []
        offset, size = 0, len(body)
        while size - offset >= max(self.min_length, 1):
            if padded and size - offset < _ALIGNMENT and not any(body[offset:]):
                break
            record: dict[str, Any] = {}
            for key, length, convert in self._steps:
                if length == VARIABLE_LENGTH:
                    length, offset = read_variable_length(body, offset)
                end = offset + length
                if length < 0 or end > size:
                    return records, (
                        f"template {self.template.template_id}: record {len(records) + 1} "
                        f"runs past the end of its set ({size} bytes)"
                    )
                if key is not None:
                    record[key] = convert(body[offset:end])
                offset = end
            records.append(record)
        return records, None


def read_variable_length(body: bytes, offset: int) -> tuple[int, int]:
    """RFC 7011 §7: one length octet, or 255 and a 16-bit length. (-1, offset) if cut short."""
    if offset >= len(body):
        return -1, offset
    length = body[offset]
    if length < 255:
        return length, offset + 1
    if offset + 3 > len(body):
        return -1, offset
    return int.from_bytes(body[offset + 1 : offset + 3], "big"), offset + 3


def whole_records(body: bytes, size: int) -> int:
    """How many fixed records of `size` bytes a data set's body holds (see `decode`): whole
    records of zeros within its last 3 bytes are the padding to 32 bits, not records."""
    count = len(body) // size
    while (
        count
        and len(body) - (count - 1) * size < _ALIGNMENT
        and not any(body[(count - 1) * size :])
    ):
        count -= 1
    return count
