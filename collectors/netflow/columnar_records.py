"""The records of v9/IPFIX data sets sharing one `layout.Layout`, read as numpy columns.

Why apart from the mapping (`columnar_sets`): what a field's bytes mean (native integers,
address text as `fields.RecordDecoder` writes it, dateTime fields in µs, each flow's sampling
rate) is decoded once per layout and field here and cached, so the ECS mapping reads columns
and only decides what goes where, as `ecs.flow_event` does over a decoded record.
"""

from __future__ import annotations

import socket
from typing import Any

import numpy as np
import pyarrow as pa

from collectors.netflow.columnar import ipv4_text
from collectors.netflow.layout import Layout
from collectors.netflow.session import ColumnarSet

V6_HALVES = np.dtype([("high", ">u8"), ("low", ">u8")])
"""An IPv6 address as two big-endian 64-bit halves, to compare and sort whole addresses."""
_NTP_TO_UNIX_SECONDS = 2_208_988_800
_HEX = np.array([list(f"{i:02X}".encode()) for i in range(256)], np.uint8)


class SetRecords:
    """The records of sets sharing one layout, joined in one array; `which` is each record's
    set, for the values that come with the set (export header, options)."""

    def __init__(self, sets: list[ColumnarSet]) -> None:
        self.sets = sets
        self.layout: Layout = sets[0].layout
        self.records = np.frombuffer(b"".join(s.body for s in sets), self.layout.dtype)
        self.n = len(self.records)
        self.which = np.repeat(np.arange(len(sets)), [s.count for s in sets])
        self._native: dict[str, np.ndarray] = {}
        self._text: dict[str, pa.Array] = {}

    def has(self, key: str) -> bool:
        return key in self.layout.columns

    def first(self, *keys: str) -> str | None:
        """The first of `keys` the layout has (`times.first_int` reads the same)."""
        return next((k for k in keys if k in self.layout.columns), None)

    def ints(self, key: str) -> np.ndarray:
        """An unsigned field's values in native byte order."""
        if key not in self._native:
            values = self.records[key]
            self._native[key] = values.astype(values.dtype.newbyteorder("="))
        return self._native[key]

    def text(self, key: str) -> pa.Array:
        """An address field as `fields.RecordDecoder` writes it."""
        if key not in self._text:
            kind = self.layout.columns[key].kind
            if kind == "ipv4":
                self._text[key] = ipv4_text(self.ints(key))
            elif kind == "ipv6":
                self._text[key] = _ipv6_text(self.records[key])
            else:
                self._text[key] = _mac_text(self.records[key])
        return self._text[key]

    def microseconds(self, key: str) -> np.ndarray:
        """A dateTime field in µs since the epoch, as `fields` converts it to a datetime."""
        kind = self.layout.columns[key].kind
        values = self.ints(key).astype(np.int64 if kind != "ntp" else np.uint64)
        if kind == "seconds":
            return values * 1_000_000
        if kind == "milliseconds":
            return values * 1000
        seconds = (values >> np.uint64(32)).astype(np.int64) - _NTP_TO_UNIX_SECONDS
        fraction = (values & np.uint64(0xFFFFFFFF)) * np.uint64(1_000_000) >> np.uint64(32)
        return seconds * 1_000_000 + fraction.astype(np.int64)

    def per_set(self, values: list[Any], kind: pa.DataType) -> pa.Array:
        """A value per set spread over its flows. Typed: inferring the type of a list costs
        pyarrow ~0.1-0.4 ms (it tries imports), more than the rest of a set's mapping."""
        return pa.array(values, kind).take(pa.array(self.which))

    def rates(self) -> np.ndarray:
        """`OptionsState.rate_for` of every flow (integral: `layout.readable`): its sampler's
        rate when the layout has a sampler or selector id and the options name that one, else
        the exporter-wide rate."""
        if "rate" in self._native:
            return self._native["rate"]
        rate = np.array([s.options.rate for s in self.sets], np.float64)[self.which]
        key = self.first("sampler_id", "selector_id")
        if key is not None and any(s.options.options.sampling for s in self.sets):
            prefix = "sampler" if key == "sampler_id" else "selector"
            ids = self.ints(key).astype(np.uint64)
            pairs = np.stack([self.which.astype(np.uint64), ids], axis=1)
            unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
            own = []
            for which, number in unique.tolist():
                options = self.sets[which].options
                named = options.options.sampling.get(f"{prefix}:{number}")
                own.append(named or options.rate)
            rate = np.array(own, np.float64)[inverse.ravel()]
        self._native["rate"] = rate
        return rate


def _ipv6_text(values: np.ndarray) -> pa.Array:
    """`socket.inet_ntop` once per distinct address."""
    halves = np.ascontiguousarray(values).view(V6_HALVES)
    unique, inverse = np.unique(halves, return_inverse=True)
    raw = unique.tobytes()
    ntop, family = socket.inet_ntop, socket.AF_INET6
    texts = [ntop(family, raw[i : i + 16]) for i in range(0, len(raw), 16)]
    return pa.array(texts, pa.string()).take(pa.array(inverse.ravel()))


def _mac_text(values: np.ndarray) -> pa.Array:
    """MAC addresses as `fields._mac` writes them: upper-case hex pairs joined by dashes."""
    octets = np.ascontiguousarray(values).reshape(-1, 6)
    n = len(octets)
    chars = np.full((n, 17), ord("-"), np.uint8)
    for i in range(6):
        chars[:, 3 * i : 3 * i + 2] = _HEX[octets[:, i]]
    offsets = np.arange(0, 17 * n + 1, 17, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))
