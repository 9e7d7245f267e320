"""What the columnar paths of every NetFlow version share: ECS lookup tables as Arrow arrays,
address text, `related.ip`, agencies and GeoIP over whole columns.

Why columns at all: the dict path costs ~45-65 µs of CPU per stored flow end to end (a Python
dict per flow, orjson, then DuckDB parsing each ~1.3 KB document again for the typed columns);
100,000 flows/s on two cores leaves <20 µs. `columnar_v5` (v5 datagrams) and `columnar_sets`
(v9/IPFIX data sets of fixed-length templates) decode with numpy and hand the store one
`soc.storage.columns.ColumnBatch`, whose documents DuckDB builds; these helpers make the
enrichment the dict path applies per event (`AgencyTagger.tag`, `GeoIp.tag`) whole-column
operations with the same rules, so both paths store the same documents (property tests in
tests/unit/netflow/test_columnar.py and test_columnar_sets.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.netflow.ecs import TRANSPORTS, tcp_flag_names
from soc.enrich.geoip import GeoInfo
from soc.model.agency import Agency
from soc.storage.columns import ColumnBatch

PORT_PROTOCOLS = np.zeros(256, bool)
PORT_PROTOCOLS[[6, 17, 132]] = True
TRANSPORT = pa.array([TRANSPORTS.get(i) for i in range(256)], pa.string())
IANA = pa.array([str(i) for i in range(256)], pa.string())
FLAGS = pa.array([tcp_flag_names(i) for i in range(512)], pa.list_(pa.string()))
"""`tcp_flag_names` of every value of the 9 flag bits (index: bits & 0x1FF)."""
_OCTET_TEXT = [str(i).encode() for i in range(256)]
_OCTET_LEN = np.array([len(t) for t in _OCTET_TEXT], np.int64)
_OCTET_CHARS = np.array([list(t.ljust(3, b"\0")) for t in _OCTET_TEXT], np.uint8)

_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_UUID_DIGITS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])
"""Where the 32 hex digits of a UUID go in its 36-character text (dashes between)."""
_random = np.random.default_rng()


def _reseed() -> None:
    global _random
    _random = np.random.default_rng()


os.register_at_fork(after_in_child=_reseed)  # two processes never share a sequence

Prefixes = list[tuple[int, dict[int, Agency]]]
"""`AgencyTagger.ipv4_prefixes()`: (netmask, {network: agency}), longest prefix first."""


def event_ids(count: int) -> pa.Array:
    """`count` event ids as `soc.model.event.new_event_ids` makes them (UUIDv7 of this
    millisecond, 74 random bits each), built as one text buffer: a Python string per id cost
    ~1.9 us, 42 % of turning v5 datagrams into a batch (0.24 of 0.57 s for 122,880 flows,
    cProfile) on the listener thread, the one that drops datagrams when it falls behind."""
    ids = np.empty((count, 16), np.uint8)
    moment = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    ids[:, :6] = np.frombuffer(moment.to_bytes(6, "big"), np.uint8)
    ids[:, 6:] = _random.integers(0, 256, (count, 10), np.uint8)
    ids[:, 6] = 0x70 | ids[:, 6] & 0x0F  # version 7 over 4 random bits (rand_a: 12 bits)
    ids[:, 8] = 0x80 | ids[:, 8] & 0x3F  # the RFC 9562 variant over 6 (rand_b: 62 bits)
    text = np.full((count, 36), ord("-"), np.uint8)
    text[:, _UUID_DIGITS[0::2]] = _HEX[ids >> 4]
    text[:, _UUID_DIGITS[1::2]] = _HEX[ids & 0x0F]
    offsets = np.arange(0, 36 * (count + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(text))


def signed32(value: np.ndarray) -> np.ndarray:
    """The uptime difference as `times._signed32` takes it: the counter wraps every 49.7 days."""
    value = value.astype(np.int64) & 0xFFFFFFFF
    return np.where(value >= 1 << 31, value - (1 << 32), value)


def timestamps(ns: np.ndarray) -> pa.Array:
    """Milliseconds, rounded down as `times.iso` does."""
    return pa.array((ns // 1_000_000).astype("datetime64[ms]"))


def ipv4_text(addresses: np.ndarray) -> pa.Array:
    """Dotted-quad text of IPv4 addresses (integers), built in one numpy pass."""
    n = len(addresses)
    octets = [(addresses >> shift & 0xFF).astype(np.int64) for shift in (24, 16, 8, 0)]
    lengths = [_OCTET_LEN[o] for o in octets]
    sizes = lengths[0] + lengths[1] + lengths[2] + lengths[3] + 3
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    data = np.zeros(int(offsets[-1]), np.uint8)
    at = offsets[:-1].copy()
    for k, (octet, length) in enumerate(zip(octets, lengths, strict=True)):
        chars = _OCTET_CHARS[octet]
        for j in range(3):
            has = length > j
            data[at[has] + j] = chars[has, j]
        at += length
        if k < 3:
            data[at] = ord(".")
            at += 1
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)
    )


def related(src: pa.Array, dst: pa.Array, differ: np.ndarray) -> pa.Array:
    """`related.ip`: [source, destination], or [source] when they are the same address."""
    n = len(src)
    index = np.stack([np.arange(n), np.arange(n) + n], axis=1).ravel()
    keep = np.stack([np.ones(n, bool), differ], axis=1).ravel()
    values = pa.concat_arrays([src, dst]).take(pa.array(index[keep]))
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(1 + differ.astype(np.int32), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


class PrefixTables:
    """The tagger's IPv4 table as sorted numpy keys per prefix length, rebuilt only when the
    tagger hands over a new one (agencies reloaded)."""

    def __init__(self) -> None:
        self._source: Prefixes | None = None
        self._tables: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.agencies: list[Agency] = []

    def prepare(self, prefixes: Prefixes) -> None:
        if self._source is prefixes:
            return
        agencies: list[Agency] = []
        number: dict[int, int] = {}
        tables = []
        for mask, table in prefixes:
            keys = np.array(sorted(table), np.int64)
            values = []
            for key in keys.tolist():
                agency = table[key]
                if id(agency) not in number:
                    number[id(agency)] = len(agencies)
                    agencies.append(agency)
                values.append(number[id(agency)])
            tables.append((mask, keys, np.array(values, np.int64)))
        self._source, self._tables, self.agencies = prefixes, tables, agencies

    def lookup(self, addresses: np.ndarray) -> np.ndarray:
        """Agency number per address (-1: none), longest prefix first as `AgencyTagger.lookup`."""
        found = np.full(len(addresses), -1, np.int64)
        for mask, keys, values in self._tables:
            if not len(keys):
                continue
            network = addresses & mask
            at = np.minimum(np.searchsorted(keys, network), len(keys) - 1)
            hit = (keys[at] == network) & (found < 0)
            found[hit] = values[at[hit]]
        return found


class AgencyNumbers:
    """Agencies numbered in order of first sight, so that per-side lookups become arrays."""

    def __init__(self, agencies: list[Agency] | None = None) -> None:
        self.agencies = list(agencies or [])
        self._number = {id(a): i for i, a in enumerate(self.agencies)}

    def of(self, agency: Agency | None) -> int:
        if agency is None:
            return -1
        number = self._number.get(id(agency))
        if number is None:
            number = self._number[id(agency)] = len(self.agencies)
            self.agencies.append(agency)
        return number

    def of_text(self, addresses: pa.Array, lookup: Callable[[str], Agency | None]) -> np.ndarray:
        """Agency number per address (text; null: none), `lookup` once per distinct address."""
        unique = pc.unique(addresses)
        numbers = np.array([self.of(lookup(ip)) if ip else -1 for ip in unique.to_pylist()] + [-1])
        index = pc.index_in(addresses, value_set=unique).fill_null(len(unique))
        return numbers[index.to_numpy(zero_copy_only=False)]


def agency_columns(found: list[np.ndarray], agencies: list[Agency]) -> dict[str, pa.Array]:
    """`organization.*` and `related.organization_ids` as `AgencyTagger.tag` sets them, from the
    agency number of each side (source, destination, observer; -1: none): the first side with
    an agency owns the flow; two or more distinct agency ids are all listed, sorted."""
    if not agencies:
        return {}
    owner = np.full(len(found[0]), -1, np.int64)
    for side in reversed(found):
        owner = np.where(side >= 0, side, owner)
    none = owner < 0
    index = pa.array(np.where(none, 0, owner), mask=none)
    cols = {
        "organization.id": pa.array([a.id for a in agencies], pa.string()).take(index),
        "organization.name": pa.array([a.name for a in agencies], pa.string()).take(index),
    }
    # Distinct agency ids per flow, in id order (codes follow the sorted ids).
    order = sorted(range(len(agencies)), key=lambda i: agencies[i].id)
    code_of_id: dict[str, int] = {}
    for i in order:
        code_of_id.setdefault(agencies[i].id, len(code_of_id))
    code = np.array([code_of_id[a.id] for a in agencies] + [-1], np.int64)
    id_of_code = pa.array(list(code_of_id), pa.string())
    codes = np.sort(np.stack([code[f] for f in found], axis=1), axis=1)  # -1 (none) first
    first = np.ones((len(codes), 1), bool)
    distinct = (codes >= 0) & np.concatenate([first, codes[:, 1:] != codes[:, :-1]], axis=1)
    listed = distinct.sum(axis=1) >= 2
    if not listed.any():
        cols["related.organization_ids"] = pa.nulls(len(codes), pa.list_(pa.string()))
        return cols
    keep = distinct & listed[:, None]
    offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int32)
    values = id_of_code.take(pa.array(codes[keep]))
    cols["related.organization_ids"] = pa.ListArray.from_arrays(
        pa.array(offsets), values, mask=pa.array(~listed)
    )
    return cols


_PERIMETER = pa.array([None, "inbound", "outbound", "internal"], pa.string())


def perimeter_direction(found: list[np.ndarray], exported: pa.Array) -> pa.Array:
    """`network.direction` as `AgencyTagger.tag` sets it on a flow, from the agency number of
    source and destination (`found[0]`, `found[1]`; -1: none, also for no address): where
    either is an agency's, outbound, inbound or internal; elsewhere `exported`."""
    code = (found[0] >= 0).astype(np.int64) * 2 + (found[1] >= 0)
    return pc.coalesce(_PERIMETER.take(pa.array(code)), exported)


def with_geoip(batch: ColumnBatch, geoip: Callable[[str], GeoInfo | None]) -> ColumnBatch:
    """`GeoIp.tag`'s fields for source and destination, looked up once per distinct address
    of the batch (GeoIp caches them too) and spread over the flows by index."""
    table = batch.table
    for side in ("source", "destination"):
        if f"{side}.ip" not in table.column_names:
            continue
        addresses = table.column(f"{side}.ip").combine_chunks()
        unique = pc.unique(addresses)
        infos = [geoip(ip) if ip else None for ip in unique.to_pylist()]
        index = pc.index_in(addresses, value_set=unique)
        fields = {
            f"{side}.geo.country_iso_code": [i.country_iso_code if i else None for i in infos],
            f"{side}.geo.country_name": [i.country_name if i else None for i in infos],
            f"{side}.as.organization.name": [i.as_organization if i else None for i in infos],
        }
        for name, values in fields.items():
            table = table.append_column(name, pa.array(values, pa.string()).take(index))
    return ColumnBatch(table, batch.constants)
