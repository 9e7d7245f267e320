"""NetFlow v9 and IPFIX data sets as columns: the sets of a drain whose template has a
`layout.Layout`, decoded with one `np.frombuffer` per template and mapped to ECS as arrays,
handed to the store as one `soc.storage.columns.ColumnBatch` per layout.

Why: the dict path spends ~31-47 µs of CPU per v9/IPFIX flow before the store (a dict per
record, `ecs.flow_event`, stamp, the tagger), then DuckDB parses each document again; here
~5 µs (bench/README.md: softflowd's template, 1,000 flows per drain), the per-flow Python
left being the community id's SHA-1 and the event id, as in `columnar_v5`. At a 200,000
flows/s peak v9 and IPFIX store 1.7-5.6x the flows (28-48k against 8-18k flows/s, two
sittings), the listener thread spending ~5 µs per stored flow instead of 41-62.

The documents are the dict path's (`normalize.normalize_flows` + `stamp` + `AgencyTagger.tag`,
and `GeoIp.tag` when the enricher has GeoIP), field for field: every choice `ecs.flow_event`
makes per record from which fields are present is made once per layout here, and what depends
on values (which address of a v4/v6 pair, ICMP type and code, sampling scale, times) is made
per row with numpy; tests/unit/netflow/test_columnar_sets.py compares both paths on random
templates and records through real DuckDB stores.

The records' fields are read as columns in `columnar_records` and the flow times worked out in
`columnar_times`; this module decides which ECS field each column becomes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
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
    perimeter_direction,
    related,
    timestamps,
    with_geoip,
)
from collectors.netflow.columnar_records import V6_HALVES, SetRecords
from collectors.netflow.columnar_times import flow_times, iso_microseconds
from collectors.netflow.community_id import CommunityId
from collectors.netflow.ecs import COUNTERS, FIREWALL_EVENTS, LONG_MAX
from collectors.netflow.layout import SAFE_MILLISECONDS
from collectors.netflow.normalize import DATASET
from collectors.netflow.session import ColumnarSet
from soc.enrich.geoip import GeoInfo
from soc.model.agency import Agency
from soc.storage.columns import ColumnBatch

CONSTANTS: dict[str, Any] = {
    "event.kind": "event",
    "event.category": ["network"],
    "event.type": ["connection"],
    "event.action": "netflow_flow",
    "event.module": "netflow",
    "event.dataset": DATASET,
    "netflow.type": "netflow_flow",
}
_FIREWALL = [FIREWALL_EVENTS.get(value) for value in range(256)]  # indexed by firewallEvent
_FIREWALL_ACTIONS = pa.array([f[0] if f else CONSTANTS["event.action"] for f in _FIREWALL])
_FIREWALL_TYPES = pa.array(
    [list(f[1]) if f else CONSTANTS["event.type"] for f in _FIREWALL], pa.list_(pa.string())
)
_FIREWALL_OUTCOMES = pa.array([f[2] if f else None for f in _FIREWALL], pa.string())
_PER_FIREWALL_EVENT = ("event.action", "event.type")
_DIRECTIONS = pa.array(["inbound", "outbound", "unknown"], pa.string())
_FAMILIES = pa.array(["ipv4", "ipv6"], pa.string())
_MACS = (("source", "source_mac_address"), ("destination", "destination_mac_address"))


class SetColumns:
    """Collects `ColumnarSet`s (from `Sessions.process(columnar=True)`) and turns them into
    column batches; `ids` makes event ids (tests pin them)."""

    def __init__(
        self,
        community_id: CommunityId,
        *,
        ids: Callable[[int], pa.Array] = event_ids,
    ) -> None:
        self._community_id = community_id
        self._ids = ids
        self._sets: list[ColumnarSet] = []
        self._prefixes = PrefixTables()
        self.flows = 0

    def __len__(self) -> int:
        return self.flows

    def pending(self) -> list[ColumnarSet]:
        """The sets added since the last `take`."""
        return list(self._sets)

    def add(self, item: ColumnarSet) -> bool:
        """Keep a set for `take`; False when its values need the dict path (a millisecond time
        past year 2116: the dict path keeps one past 9999 as an integer, and int64 ns end in
        2262), which then takes it."""
        for key, column in item.layout.columns.items():
            if column.kind == "milliseconds":
                values = np.frombuffer(item.body, item.layout.dtype)[key]
                if values.size and values.max() >= SAFE_MILLISECONDS:
                    return False
        self._sets.append(item)
        self.flows += item.count
        return True

    def take(
        self,
        prefixes: Prefixes,
        lookup: Callable[[str], Agency | None],
        geoip: Callable[[str], GeoInfo | None] | None = None,
    ) -> list[ColumnBatch]:
        """The flows added since the last `take`: one batch per layout, in order of first set.
        `prefixes` and `lookup`: the tagger's `ipv4_prefixes()` (IPv4 addresses) and `lookup`
        (IPv6 ones and exporters); `geoip`: `GeoIp.lookup` when the tagger adds GeoIP
        (`Enricher.geoip_lookup()`)."""
        sets, self._sets, self.flows = self._sets, [], 0
        self._prefixes.prepare(prefixes)
        batches = []
        for group in _by_layout(sets):
            mapping = _Mapping(group, self._community_id, self._prefixes, lookup)
            batch = mapping.batch(self._ids)
            batches.append(batch if geoip is None else with_geoip(batch, geoip))
        return batches


def _by_layout(sets: list[ColumnarSet]) -> Iterator[list[ColumnarSet]]:
    groups: dict[tuple[np.dtype, tuple[Any, ...]], list[ColumnarSet]] = {}
    for item in sets:
        layout = item.layout
        groups.setdefault((layout.dtype, tuple(layout.columns.values())), []).append(item)
    return iter(groups.values())


class _Mapping(SetRecords):
    """`ecs.flow_event` over the records of sets sharing one layout, as columns; the records
    read through `SetRecords`, so that each field is decoded once however many ECS fields
    come from it."""

    def __init__(
        self,
        sets: list[ColumnarSet],
        community_id: CommunityId,
        prefixes: PrefixTables,
        lookup: Callable[[str], Agency | None],
    ) -> None:
        super().__init__(sets)
        self.prefixes = prefixes
        self.community_id = community_id
        self.lookup = lookup
        self.cols: dict[str, pa.Array] = {}

    def batch(self, ids: Callable[[int], pa.Array]) -> ColumnBatch:
        cols = self.cols
        export_ns = np.array([s.export.export_ns for s in self.sets], np.int64)[self.which]
        export_time = timestamps(export_ns)
        cols["@timestamp"] = export_time
        cols["event.id"] = ids(self.n)
        cols.update(flow_times(self, export_ns))
        src, dst = self._address("source"), self._address("destination")
        protocol = self.ints("protocol_identifier") if self.has("protocol_identifier") else None
        ports = self._ports(protocol)
        icmp = self._icmp(protocol, ports[1])
        self._counters()
        if src is not None or dst is not None:
            either = src if src is not None else dst
            assert either is not None
            six = pc.match_substring(either, ":").to_numpy(zero_copy_only=False)
            cols["network.type"] = _FAMILIES.take(pa.array(six.astype(np.int8)))
        if protocol is not None:
            cols["network.iana_number"] = IANA.take(pa.array(protocol))
            cols["network.transport"] = TRANSPORT.take(pa.array(protocol))
            if src is not None and dst is not None:
                cols["network.community_id"] = self._community_ids(protocol, src, dst, ports, icmp)
        cols["network.direction"] = self._direction()
        self._extras()
        self._observer()
        if src is not None and dst is not None:
            differ = pc.not_equal(src, dst).to_numpy(zero_copy_only=False)
            cols["related.ip"] = related(src, dst, differ)
        elif src is not None or dst is not None:
            one = src if src is not None else dst
            assert one is not None
            cols["related.ip"] = related(one, one, np.zeros(self.n, bool))
        self._agencies(src, dst)
        self._netflow(export_time)
        if self.has("firewall_event"):
            self._firewall_event()
            constants = {k: v for k, v in CONSTANTS.items() if k not in _PER_FIREWALL_EVENT}
            return ColumnBatch(pa.table(cols), constants)
        return ColumnBatch(pa.table(cols), CONSTANTS)

    def _firewall_event(self) -> None:
        """`ecs.FIREWALL_EVENTS`: what the firewall says happened sets action, type and (for a
        denial) outcome, per record."""
        index = pa.array(np.minimum(self.ints("firewall_event"), 255).astype(np.uint8))
        self.cols["event.action"] = _FIREWALL_ACTIONS.take(index)
        self.cols["event.type"] = _FIREWALL_TYPES.take(index)
        outcome = _FIREWALL_OUTCOMES.take(index)
        if outcome.null_count < len(outcome):
            self.cols["event.outcome"] = outcome

    def _address(self, side: str) -> pa.Array | None:
        """`ecs._ip`: the IPv4 address unless unspecified, else the IPv6 one unless
        unspecified, else the first given."""
        v4, v6 = f"{side}_ipv4_address", f"{side}_ipv6_address"
        has4, has6 = self.has(v4), self.has(v6)
        if not has4 and not has6:
            return None
        if has4 and has6:
            halves = np.ascontiguousarray(self.records[v6]).view(V6_HALVES)
            use4 = (self.ints(v4) != 0) | ((halves["high"] == 0) & (halves["low"] == 0))
            ip = pc.if_else(pa.array(use4), self.text(v4), self.text(v6))
        else:
            ip = self.text(v4 if has4 else v6)
        self.cols[f"{side}.ip"] = ip
        return ip

    def _ports(self, protocol: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        found = []
        for side, keys in (
            ("source", ("source_transport_port", "udp_source_port", "tcp_source_port")),
            (
                "destination",
                ("destination_transport_port", "udp_destination_port", "tcp_destination_port"),
            ),
        ):
            key = self.first(*keys)
            port = None if key is None else self.ints(key).astype(np.int64)
            if port is not None and protocol is not None:
                self.cols[f"{side}.port"] = pa.array(port, mask=~PORT_PROTOCOLS[protocol])
            found.append(port)
        return found[0], found[1]

    def _icmp(self, protocol: np.ndarray | None, dst_port: np.ndarray | None) -> np.ndarray:
        """`ecs._icmp`: type * 256 + code of ICMP(v6) flows (-1: none), and the
        `netflow.icmp_type/code_*` it fills in."""
        combined = np.full(self.n, -1, np.int64)
        if protocol is None:
            return combined
        for number, family in ((1, "ipv4"), (58, "ipv6")):
            rows = protocol == number
            kind, code = f"icmp_type_{family}", f"icmp_code_{family}"
            if self.has(key := f"icmp_type_code_{family}"):
                values = self.ints(key).astype(np.int64)
            elif self.has(kind):
                values = self.ints(kind).astype(np.int64) * 256
                if self.has(code):
                    values = values + self.ints(code)
            elif family == "ipv6" and self.has("icmp_type_code_ipv4"):
                values = self.ints("icmp_type_code_ipv4").astype(np.int64)
                if dst_port is not None:
                    values = np.where(values == 0, dst_port, values)
            elif dst_port is not None:
                values = dst_port
            else:
                continue
            combined[rows] = values[rows]
            for key, part in ((kind, values >> 8 & 0xFF), (code, values & 0xFF)):
                if not self.has(key):
                    self.cols["netflow." + key] = pa.array(part, mask=~rows)
        if self.has("tcp_control_bits"):
            bits = pa.array(
                self.ints("tcp_control_bits").astype(np.int64) & 0x1FF, mask=protocol != 6
            )
            self.cols["netflow.tcp_flags"] = FLAGS.take(bits)
        return combined

    def _counters(self) -> None:
        """`source/destination/network.bytes|packets`, scaled by the sampling rate and
        saturated at an ECS long (`ecs.saturate`)."""
        rate = self.rates()
        sides: dict[str, dict[str, np.ndarray]] = {"source": {}, "destination": {}}
        for side, name, keys in COUNTERS:
            key = self.first(*keys)
            if key is not None:
                sides[side][name] = _scaled(self.ints(key), rate)
                self.cols[f"{side}.{name}"] = pa.array(sides[side][name])
        for name in ("bytes", "packets"):
            parts = [sides[s][name] for s in sides if name in sides[s]]
            if parts:
                total = sum((p.astype(np.uint64) for p in parts), np.zeros(self.n, np.uint64))
                self.cols[f"network.{name}"] = pa.array(
                    np.minimum(total, np.uint64(LONG_MAX)).astype(np.int64)
                )

    def _community_ids(
        self,
        protocol: np.ndarray,
        src: pa.Array,
        dst: pa.Array,
        ports: tuple[np.ndarray | None, np.ndarray | None],
        icmp: np.ndarray,
    ) -> pa.Array:
        """`network.community_id` as `ecs.flow_event` computes it: IPv4 port flows hashed with
        numpy (`CommunityId.ipv4_port_flows`), every other flow one by one."""
        zero = np.zeros(self.n, np.int64)
        src_port = zero if ports[0] is None else ports[0]
        dst_port = zero if ports[1] is None else ports[1]
        fast = np.zeros(self.n, bool)
        only_v4 = not self.has("source_ipv6_address") and not self.has("destination_ipv6_address")
        if only_v4:
            fast = PORT_PROTOCOLS[protocol]
        result = pa.nulls(self.n, pa.string())
        if fast.any():
            rows = np.flatnonzero(fast)
            text = self.community_id.ipv4_port_flows(
                protocol[rows],
                self.ints("source_ipv4_address")[rows],
                self.ints("destination_ipv4_address")[rows],
                src_port[rows],
                dst_port[rows],
            )
            offsets = np.arange(0, len(text) + 1, 30, dtype=np.int32)
            hashed = pa.StringArray.from_buffers(
                len(rows), pa.py_buffer(offsets), pa.py_buffer(text)
            )
            if len(rows) == self.n:
                return hashed
            result = pc.replace_with_mask(result, pa.array(fast), hashed)
        slow = np.flatnonzero(~fast)
        of = self.community_id.of
        take = pa.array(slow)
        rows_slow = zip(
            protocol[slow].tolist(),
            src.take(take).to_pylist(),
            dst.take(take).to_pylist(),
            src_port[slow].tolist(),
            dst_port[slow].tolist(),
            icmp[slow].tolist(),
            strict=True,
        )
        values: list[str | None] = []
        for number, s, d, sp, dp, combined in rows_slow:
            values.append(None)
            with suppress(OSError, ValueError):
                values[-1] = of(number, s, d, *((sp, dp) if combined < 0 else (0, combined)))
        return pc.replace_with_mask(result, pa.array(~fast), pa.array(values, pa.string()))

    def _direction(self) -> pa.Array:
        if not self.has("flow_direction"):
            return _DIRECTIONS.take(pa.array(np.full(self.n, 2, np.int64)))
        return _DIRECTIONS.take(pa.array(np.minimum(self.ints("flow_direction"), 2)))

    def _extras(self) -> None:
        """`ecs._extras` for what a layout admits: MAC addresses and VLANs."""
        for side, key in _MACS:
            if self.has(key):
                unset = ~self.records[key].any(axis=1)  # 00-00-00-00-00-00
                nothing = pa.nulls(self.n, pa.string())
                self.cols[f"{side}.mac"] = pc.if_else(pa.array(unset), nothing, self.text(key))
        vlan = self.first("vlan_id", "dot1q_vlan_id")
        if vlan is not None:
            self.cols["network.vlan.id"] = pc.cast(pa.array(self.ints(vlan)), pa.string())
        if self.has("dot1q_customer_vlan_id"):
            inner = pa.array(self.ints("dot1q_customer_vlan_id"))
            self.cols["network.inner.vlan.id"] = pc.cast(inner, pa.string())

    def _observer(self) -> None:
        self.cols["observer.ip"] = self.per_set(
            [s.export.exporter_ip for s in self.sets], pa.string()
        )
        named = [s.options.options.interfaces for s in self.sets]
        for edge in ("ingress", "egress"):
            if not self.has(key := f"{edge}_interface"):
                continue
            index = self.ints(key).astype(np.int64)
            self.cols[f"observer.{edge}.interface.id"] = pc.cast(pa.array(index), pa.string())
            if any(named):
                pairs = self.which.astype(np.int64) << 32 | index
                unique, inverse = np.unique(pairs, return_inverse=True)
                names = [named[int(p) >> 32].get(int(p) & 0xFFFFFFFF) for p in unique]
                column = pa.array(names, pa.string()).take(pa.array(inverse.ravel()))
                self.cols[f"observer.{edge}.interface.name"] = column

    def _agencies(self, src: pa.Array | None, dst: pa.Array | None) -> None:
        """`AgencyTagger.tag` over source, destination and observer: IPv4-only sides through
        the tagger's prefix table as v5 does, others with its own lookup once per distinct
        address."""
        numbers = AgencyNumbers(self.prefixes.agencies)
        found = []
        for side, ip in (("source", src), ("destination", dst)):
            if ip is None:
                found.append(np.full(self.n, -1, np.int64))
            elif not self.has(f"{side}_ipv6_address"):
                found.append(
                    self.prefixes.lookup(self.ints(f"{side}_ipv4_address").astype(np.int64))
                )
            else:
                found.append(numbers.of_text(ip, self.lookup))
        observers = [numbers.of(self.lookup(s.export.exporter_ip)) for s in self.sets]
        found.append(np.array(observers, np.int64)[self.which])
        if src is not None and dst is not None:  # as the tagger: a flow with both addresses
            both = pc.and_(pc.is_valid(src), pc.is_valid(dst)).to_numpy(zero_copy_only=False)
            ends = [np.where(both, side, -1) for side in found[:2]]
            self.cols["network.direction"] = perimeter_direction(
                ends, self.cols["network.direction"]
            )
        self.cols.update(agency_columns(found, numbers.agencies))

    def _netflow(self, export_time: pa.Array) -> None:
        """`netflow.*`: every field as decoded (times as `ecs._json_safe` writes them), then
        the exporter."""
        cols = self.cols
        for key, column in self.layout.columns.items():
            name = "netflow." + key
            if column.kind == "unsigned":
                cols[name] = pa.array(self.ints(key))
            elif column.kind in ("ipv4", "ipv6", "mac"):
                cols[name] = self.text(key)
            else:
                cols[name] = iso_microseconds(self.microseconds(key))
        sets = self.sets
        cols["netflow.exporter.address"] = self.per_set(
            [f"{s.export.exporter_ip}:{s.export.exporter_port}" for s in sets], pa.string()
        )
        cols["netflow.exporter.version"] = self.per_set(
            [s.export.version for s in sets], pa.int64()
        )
        cols["netflow.exporter.source_id"] = self.per_set(
            [s.export.domain for s in sets], pa.int64()
        )
        uptime = [s.export.sys_uptime_ms for s in sets]
        if any(u is not None for u in uptime):
            cols["netflow.exporter.uptime_millis"] = self.per_set(uptime, pa.int64())
        rate = self.rates()
        sampled = rate != 1
        if sampled.any():
            interval = pa.array(rate.astype(np.int64), mask=~sampled)
            cols["netflow.exporter.sampling_interval"] = interval
        cols["netflow.exporter.timestamp"] = export_time


def _scaled(values: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """`ecs._scaled` then `ecs.saturate`: round(value * rate) as Python rounds a float (half to
    even), the value itself at rate 1, both capped at LONG_MAX."""
    exact = np.minimum(values, np.uint64(LONG_MAX)).astype(np.int64)
    product = np.rint(values.astype(np.float64) * rate)
    big = product >= float(1 << 63)
    scaled = np.where(big, LONG_MAX, np.where(big, 0, product).astype(np.int64))
    return np.where(rate == 1, exact, scaled)
