"""NetFlow v5 as columns: a drain's datagrams decoded with numpy, mapped to ECS as arrays, and
handed to the store as one `soc.storage.columns.ColumnBatch` (the store builds the documents).

Why: the dict path costs ~45-60 µs of CPU per stored flow end to end (a Python dict per flow,
orjson, then DuckDB parsing each ~1.3 KB document again for the typed columns); 100,000 flows/s
on two cores leaves <20 µs. Here the per-flow Python left is one `hashlib.sha1` for the
community id and the event id (`new_event_ids`); decoding (`np.frombuffer` with a big-endian
record dtype), times, counters, address text, agency lookup and the lists are numpy/Arrow
operations over every flow of the drain at once.

Measured (bench/README.md, one session, alternating with main): the mapping costs 2.7-2.9 µs
of CPU per flow offline against ~13 µs for the dict path before its orjson; end to end the
listener thread spends ~3 µs per stored flow instead of ~25, and v5 stores 2.1-2.9x the flows
per second at a 200,000/s peak (33-40k against 14-16k; CPU per stored flow 22-26 µs against
46-65), the rest being DuckDB inserting the compressed documents.

The documents are the dict path's (`normalize.normalize_v5` + `stamp` + `AgencyTagger.tag`, and
`GeoIp.tag` when the enricher has GeoIP: looked up once per distinct address of the batch),
field for field: tests/unit/netflow/test_columnar.py stores random datagrams both ways and
compares the parsed documents and the typed columns. The listener keeps the dict path for
what this does not cover (v9/IPFIX, and an enricher holding threat-intel indicators, which
it matches per event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.netflow.community_id import CommunityId
from collectors.netflow.ecs import TRANSPORTS, tcp_flag_names
from collectors.netflow.normalize import DATASET, V5_NAMES
from soc.enrich.geoip import GeoInfo
from soc.model.agency import Agency
from soc.model.event import new_event_ids
from soc.storage.columns import ColumnBatch

HEADER = np.dtype(
    {
        "names": [
            "version",
            "count",
            "sys_uptime",
            "unix_secs",
            "unix_nsecs",
            "flow_sequence",
            "engine_type",
            "engine_id",
            "sampling",
        ],
        "formats": [">u2", ">u2", ">u4", ">u4", ">u4", ">u4", "u1", "u1", ">u2"],
    }
)
RECORD = np.dtype(
    {
        "names": [
            "src",
            "dst",
            "next_hop",
            "input",
            "output",
            "packets",
            "octets",
            "first",
            "last",
            "src_port",
            "dst_port",
            "pad1",
            "tcp_flags",
            "protocol",
            "tos",
            "src_as",
            "dst_as",
            "src_mask",
            "dst_mask",
            "pad2",
        ],
        "formats": [">u4"] * 3
        + [">u2"] * 2
        + [">u4"] * 4
        + [">u2"] * 2
        + ["u1"] * 4
        + [">u2"] * 2
        + ["u1", "u1", ">u2"],
    }
)
if HEADER.itemsize != 24 or RECORD.itemsize != 48:
    raise AssertionError("v5 layout")
# The same in this machine's byte order: Arrow takes no byte-swapped arrays.
_NATIVE_HEADER, _NATIVE_RECORD = HEADER.newbyteorder("="), RECORD.newbyteorder("=")

# Fields with one value in every v5 flow event.
CONSTANTS: dict[str, Any] = {
    "event.kind": "event",
    "event.category": ["network"],
    "event.type": ["connection"],
    "event.action": "netflow_flow",
    "event.module": "netflow",
    "event.dataset": DATASET,
    "network.type": "ipv4",
    "network.direction": "unknown",
    "netflow.type": "netflow_flow",
    "netflow.exporter.version": 5,
}
_PORT_PROTOCOLS = np.zeros(256, bool)
_PORT_PROTOCOLS[[6, 17, 132]] = True
_TRANSPORT = pa.array([TRANSPORTS.get(i) for i in range(256)], pa.string())
_IANA = pa.array([str(i) for i in range(256)], pa.string())
_FLAGS = pa.array([tcp_flag_names(i) for i in range(256)], pa.list_(pa.string()))
_OCTET_TEXT = [str(i).encode() for i in range(256)]
_OCTET_LEN = np.array([len(t) for t in _OCTET_TEXT], np.int64)
_OCTET_CHARS = np.array([list(t.ljust(3, b"\0")) for t in _OCTET_TEXT], np.uint8)
# record field -> netflow.* name (V5_NAMES follows decode.V5Record's order)
_RECORD_FIELDS = (
    "src", "dst", "next_hop", "input", "output", "packets", "octets", "first", "last",
    "src_port", "dst_port", "tcp_flags", "protocol", "tos", "src_as", "dst_as",
    "src_mask", "dst_mask",
)  # fmt: skip
_NETFLOW = dict(zip(_RECORD_FIELDS, V5_NAMES, strict=True))
_ADDRESSES = ("src", "dst", "next_hop")


class V5Columns:
    """Collects validated v5 datagrams (header checked by the caller: `decode.v5_header`) and
    turns them into one `ColumnBatch`.

    `prefixes` is `AgencyTagger.ipv4_prefixes()`; `ids` makes event ids (tests pin them).
    """

    def __init__(
        self,
        community_id: CommunityId,
        *,
        ids: Callable[[int], list[str]] = new_event_ids,
    ) -> None:
        self._community_id = community_id
        self._ids = ids
        self._datagrams: list[tuple[bytes, int, str, int]] = []
        self.flows = 0
        self._tables: tuple[object, list[tuple[int, np.ndarray, np.ndarray]], list[Agency]]
        self._tables = (None, [], [])

    def __len__(self) -> int:
        return self.flows

    def pending(self) -> list[tuple[bytes, int, str, int]]:
        """The datagrams added since the last `take`: (bytes, flows, exporter ip, port)."""
        return list(self._datagrams)

    def add(self, datagram: bytes, count: int, exporter_ip: str, exporter_port: int) -> None:
        if count:
            self._datagrams.append((datagram, count, exporter_ip, exporter_port))
            self.flows += count

    def take(
        self,
        prefixes: list[tuple[int, dict[int, Agency]]],
        lookup: Callable[[str], Agency | None],
        geoip: Callable[[str], GeoInfo | None] | None = None,
    ) -> ColumnBatch | None:
        """The flows added since the last `take`, as one batch (None when there are none).
        `prefixes` and `lookup`: the tagger's `ipv4_prefixes()` and `lookup` (exporters);
        `geoip`: `GeoIp.lookup` when the tagger adds GeoIP (`Enricher.geoip_lookup()`)."""
        if not self._datagrams:
            return None
        datagrams, self._datagrams, self.flows = self._datagrams, [], 0
        batch = self._build(datagrams, prefixes, lookup)
        if geoip is not None:
            batch = _with_geoip(batch, geoip)
        return batch

    def _build(
        self,
        datagrams: list[tuple[bytes, int, str, int]],
        prefixes: list[tuple[int, dict[int, Agency]]],
        lookup: Callable[[str], Agency | None],
    ) -> ColumnBatch:
        counts = np.array([d[1] for d in datagrams], np.int64)
        headers = np.frombuffer(b"".join(d[0][:24] for d in datagrams), HEADER)
        headers = headers.astype(_NATIVE_HEADER)
        records = np.frombuffer(b"".join(d[0][24 : 24 + 48 * d[1]] for d in datagrams), RECORD)
        records = records.astype(_NATIVE_RECORD)
        n = len(records)
        which = np.repeat(np.arange(len(datagrams)), counts)
        head = headers[which]
        cols: dict[str, pa.Array] = {}

        export_ns = head["unix_secs"].astype(np.int64) * 1_000_000_000 + head["unix_nsecs"]
        uptime = head["sys_uptime"].astype(np.int64)
        start = export_ns - _signed32(uptime - records["first"]) * 1_000_000
        end = export_ns - _signed32(uptime - records["last"]) * 1_000_000
        export_time = _timestamps(export_ns)
        cols["@timestamp"] = export_time
        cols["event.id"] = pa.array(self._ids(n), pa.string())
        cols["event.start"] = _timestamps(start)
        cols["event.end"] = _timestamps(end)
        cols["event.duration"] = pa.array(end - start)

        protocol = records["protocol"]
        ports = _PORT_PROTOCOLS[protocol]
        no_ports = ~ports
        src_port, dst_port = records["src_port"], records["dst_port"]
        addresses = {name: _ipv4_text(records[name]) for name in _ADDRESSES}
        src, dst = addresses["src"], addresses["dst"]
        rate = np.maximum(head["sampling"] & 0x3FFF, 1).astype(np.int64)
        octets = records["octets"].astype(np.int64) * rate
        packets = records["packets"].astype(np.int64) * rate
        cols["source.ip"] = src
        cols["source.port"] = pa.array(src_port.astype(np.int32), mask=no_ports)
        cols["source.bytes"] = pa.array(octets)
        cols["source.packets"] = pa.array(packets)
        cols["destination.ip"] = dst
        cols["destination.port"] = pa.array(dst_port.astype(np.int32), mask=no_ports)
        protocols = pa.array(protocol)
        cols["network.iana_number"] = _IANA.take(protocols)
        cols["network.transport"] = _TRANSPORT.take(protocols)
        cols["network.bytes"] = cols["source.bytes"]
        cols["network.packets"] = cols["source.packets"]
        cols["network.community_id"] = self._community_ids(records, src, dst, ports)

        observer = [d[2] for d in datagrams]
        cols["observer.ip"] = pa.array(observer, pa.string()).take(pa.array(which))
        cols["observer.ingress.interface.id"] = pc.cast(pa.array(records["input"]), pa.string())
        cols["observer.egress.interface.id"] = pc.cast(pa.array(records["output"]), pa.string())
        cols["related.ip"] = _related(src, dst, records["src"] != records["dst"])
        cols.update(self._agencies(records, datagrams, which, prefixes, lookup))

        for name, key in _NETFLOW.items():
            cols["netflow." + key] = (
                addresses[name] if name in addresses else pa.array(records[name].astype(np.int64))
            )
        flags = pa.array(records["tcp_flags"], mask=protocol != 6)
        cols["netflow.tcp_flags"] = _FLAGS.take(flags)
        for number, family in ((1, "ipv4"), (58, "ipv6")):
            # `ecs._icmp`: v5 has no ICMP fields, so type and code come from the port
            other = protocol != number
            cols[f"netflow.icmp_type_{family}"] = pa.array(dst_port >> 8 & 0xFF, mask=other)
            cols[f"netflow.icmp_code_{family}"] = pa.array(dst_port & 0xFF, mask=other)
        address = [f"{d[2]}:{d[3]}" for d in datagrams]
        cols["netflow.exporter.address"] = pa.array(address, pa.string()).take(pa.array(which))
        cols["netflow.exporter.uptime_millis"] = pa.array(uptime)
        cols["netflow.exporter.flow_sequence"] = pa.array(head["flow_sequence"].astype(np.int64))
        cols["netflow.exporter.engine_type"] = pa.array(head["engine_type"].astype(np.int64))
        cols["netflow.exporter.engine_id"] = pa.array(head["engine_id"].astype(np.int64))
        cols["netflow.exporter.sampling_mode"] = pa.array((head["sampling"] >> 14).astype(np.int64))
        sampling = (head["sampling"] & 0x3FFF).astype(np.int64)
        cols["netflow.exporter.sampling_interval"] = pa.array(sampling)
        cols["netflow.exporter.timestamp"] = export_time
        return ColumnBatch(pa.table(cols), CONSTANTS)

    def _community_ids(
        self, records: np.ndarray, src: pa.Array, dst: pa.Array, ports: np.ndarray
    ) -> pa.Array:
        """`network.community_id` as `normalize._v5_event` computes it."""
        n = len(records)
        protocol = records["protocol"]
        sub = records[ports]
        text = self._community_id.ipv4_port_flows(
            sub["protocol"], sub["src"], sub["dst"], sub["src_port"], sub["dst_port"]
        )
        offsets = np.arange(0, len(text) + 1, 30, dtype=np.int32)
        hashed = pa.StringArray.from_buffers(len(sub), pa.py_buffer(offsets), pa.py_buffer(text))
        if len(sub) == n:
            return hashed
        result = pc.replace_with_mask(pa.nulls(n, pa.string()), pa.array(ports), hashed)
        others = np.flatnonzero(~ports)
        of = self._community_id.of
        values = []
        srcs, dsts = src.take(pa.array(others)).to_pylist(), dst.take(pa.array(others)).to_pylist()
        for i, s, d in zip(others.tolist(), srcs, dsts, strict=True):
            number = int(protocol[i])
            sp, dp = int(records["src_port"][i]), int(records["dst_port"][i])
            icmp = number in (1, 58)
            try:
                values.append(of(number, s, d, 0 if icmp else sp, dp))
            except (OSError, ValueError):
                values.append(None)
        mask = pa.array(~ports)
        return pc.replace_with_mask(result, mask, pa.array(values, pa.string()))

    def _agencies(
        self,
        records: np.ndarray,
        datagrams: list[tuple[bytes, int, str, int]],
        which: np.ndarray,
        prefixes: list[tuple[int, dict[int, Agency]]],
        lookup: Callable[[str], Agency | None],
    ) -> dict[str, pa.Array]:
        """`organization.*` and `related.organization_ids` as `AgencyTagger.tag` sets them:
        the first agency of source, destination and exporter (observer) owns the flow; two or
        more distinct agencies are all listed, sorted by id."""
        tables, known = self._prepared(prefixes)
        agencies = list(known)
        number = {id(a): i for i, a in enumerate(agencies)}
        observers = []
        for agency in (lookup(d[2]) for d in datagrams):  # the tagger's own lookup, cached
            if agency is None:
                observers.append(-1)
                continue
            if id(agency) not in number:
                number[id(agency)] = len(agencies)
                agencies.append(agency)
            observers.append(number[id(agency)])
        if not agencies:
            return {}
        found = [
            _lookup(tables, records["src"].astype(np.int64)),
            _lookup(tables, records["dst"].astype(np.int64)),
            np.array(observers, np.int64)[which],
        ]
        owner = np.where(found[0] >= 0, found[0], np.where(found[1] >= 0, found[1], found[2]))
        none = owner < 0
        index = pa.array(np.where(none, 0, owner), mask=none)
        ids = pa.array([a.id for a in agencies], pa.string())
        cols = {
            "organization.id": ids.take(index),
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
        many = distinct.sum(axis=1)
        listed = many >= 2
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

    def _prepared(
        self, prefixes: list[tuple[int, dict[int, Agency]]]
    ) -> tuple[list[tuple[int, np.ndarray, np.ndarray]], list[Agency]]:
        """The tagger's table as sorted numpy keys per prefix length (rebuilt when it changes)."""
        if self._tables[0] is not prefixes:
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
            self._tables = (prefixes, tables, agencies)
        return self._tables[1], self._tables[2]


def _signed32(value: np.ndarray) -> np.ndarray:
    value = value.astype(np.int64) & 0xFFFFFFFF
    return np.where(value >= 1 << 31, value - (1 << 32), value)


def _timestamps(ns: np.ndarray) -> pa.Array:
    """Milliseconds, rounded down as `times.iso` does."""
    return pa.array((ns // 1_000_000).astype("datetime64[ms]"))


def _ipv4_text(addresses: np.ndarray) -> pa.Array:
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


def _related(src: pa.Array, dst: pa.Array, differ: np.ndarray) -> pa.Array:
    """`related.ip`: [source, destination], or [source] when they are the same address."""
    n = len(src)
    index = np.stack([np.arange(n), np.arange(n) + n], axis=1).ravel()
    keep = np.stack([np.ones(n, bool), differ], axis=1).ravel()
    values = pa.concat_arrays([src, dst]).take(pa.array(index[keep]))
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(1 + differ.astype(np.int32), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _lookup(tables: list[tuple[int, np.ndarray, np.ndarray]], addresses: np.ndarray) -> np.ndarray:
    """Agency number per address (-1: none), longest prefix first as `AgencyTagger.lookup`."""
    found = np.full(len(addresses), -1, np.int64)
    for mask, keys, values in tables:
        if not len(keys):
            continue
        network = addresses & mask
        at = np.minimum(np.searchsorted(keys, network), len(keys) - 1)
        hit = (keys[at] == network) & (found < 0)
        found[hit] = values[at[hit]]
    return found


def _with_geoip(batch: ColumnBatch, geoip: Callable[[str], GeoInfo | None]) -> ColumnBatch:
    """`GeoIp.tag`'s fields for source and destination, looked up once per distinct address
    of the batch (GeoIp caches them too) and spread over the flows by index."""
    table = batch.table
    for side in ("source", "destination"):
        addresses = table.column(f"{side}.ip").combine_chunks()
        unique = pc.unique(addresses)
        infos = [geoip(ip) for ip in unique.to_pylist()]
        index = pc.index_in(addresses, value_set=unique)
        fields = {
            f"{side}.geo.country_iso_code": [i.country_iso_code if i else None for i in infos],
            f"{side}.geo.country_name": [i.country_name if i else None for i in infos],
            f"{side}.as.organization.name": [i.as_organization if i else None for i in infos],
        }
        for name, values in fields.items():
            table = table.append_column(name, pa.array(values, pa.string()).take(index))
    return ColumnBatch(table, batch.constants)
