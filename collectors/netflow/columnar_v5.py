"""NetFlow v5 as columns: a drain's datagrams decoded with numpy, mapped to ECS as arrays, and
handed to the store as one `soc.storage.columns.ColumnBatch` (the store builds the documents).

Why columns: see `collectors.netflow.columnar`. Here the per-flow Python left is one
`hashlib.sha1` for the community id; decoding (`np.frombuffer` with a big-endian record
dtype), event ids, times, counters, address text, agency lookup and the lists are numpy/Arrow
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
an enricher holding threat-intel indicators, which it matches per event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.netflow.columnar import (
    FLAGS,
    IANA,
    PORT_PROTOCOLS,
    TRANSPORT,
    AgencyNumbers,
    Prefixes,
    PrefixTables,
    agency_columns,
    event_ids,
    ipv4_text,
    perimeter_direction,
    related,
    signed32,
    timestamps,
    with_geoip,
)
from collectors.netflow.community_id import CommunityId
from collectors.netflow.normalize import DATASET, V5_NAMES
from soc.enrich.geoip import GeoInfo
from soc.model.agency import Agency
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
    "netflow.type": "netflow_flow",
    "netflow.exporter.version": 5,
}
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
        ids: Callable[[int], pa.Array] = event_ids,
    ) -> None:
        self._community_id = community_id
        self._ids = ids
        self._datagrams: list[tuple[bytes, int, str, int]] = []
        self.flows = 0
        self._prefixes = PrefixTables()

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
        prefixes: Prefixes,
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
            batch = with_geoip(batch, geoip)
        return batch

    def _build(
        self,
        datagrams: list[tuple[bytes, int, str, int]],
        prefixes: Prefixes,
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
        start = export_ns - signed32(uptime - records["first"]) * 1_000_000
        end = export_ns - signed32(uptime - records["last"]) * 1_000_000
        export_time = timestamps(export_ns)
        cols["@timestamp"] = export_time
        cols["event.id"] = self._ids(n)
        cols["event.start"] = timestamps(start)
        cols["event.end"] = timestamps(end)
        cols["event.duration"] = pa.array(end - start)

        protocol = records["protocol"]
        ports = PORT_PROTOCOLS[protocol]
        no_ports = ~ports
        src_port, dst_port = records["src_port"], records["dst_port"]
        addresses = {name: ipv4_text(records[name]) for name in _ADDRESSES}
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
        cols["network.iana_number"] = IANA.take(protocols)
        cols["network.transport"] = TRANSPORT.take(protocols)
        cols["network.bytes"] = cols["source.bytes"]
        cols["network.packets"] = cols["source.packets"]
        cols["network.community_id"] = self._community_ids(records, src, dst, ports)

        observer = [d[2] for d in datagrams]
        cols["observer.ip"] = pa.array(observer, pa.string()).take(pa.array(which))
        cols["observer.ingress.interface.id"] = pc.cast(pa.array(records["input"]), pa.string())
        cols["observer.egress.interface.id"] = pc.cast(pa.array(records["output"]), pa.string())
        cols["related.ip"] = related(src, dst, records["src"] != records["dst"])
        cols.update(self._agencies(records, datagrams, which, prefixes, lookup))

        for name, key in _NETFLOW.items():
            cols["netflow." + key] = (
                addresses[name] if name in addresses else pa.array(records[name].astype(np.int64))
            )
        flags = pa.array(records["tcp_flags"], mask=protocol != 6)
        cols["netflow.tcp_flags"] = FLAGS.take(flags)
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
        prefixes: Prefixes,
        lookup: Callable[[str], Agency | None],
    ) -> dict[str, pa.Array]:
        """`organization.*` and `related.organization_ids` (`columnar.agency_columns`) and
        `network.direction` (`columnar.perimeter_direction`): source and destination through
        the prefix tables, the exporter through the tagger's lookup."""
        self._prefixes.prepare(prefixes)
        numbers = AgencyNumbers(self._prefixes.agencies)
        observers = np.array([numbers.of(lookup(d[2])) for d in datagrams], np.int64)
        found = [
            self._prefixes.lookup(records["src"].astype(np.int64)),
            self._prefixes.lookup(records["dst"].astype(np.int64)),
            observers[which],
        ]
        unknown = pa.repeat(pa.scalar("unknown"), len(records))
        cols = {"network.direction": perimeter_direction(found, unknown)}
        return cols | agency_columns(found, numbers.agencies)
