"""NetFlow throughput: our struct decoders (v5, v9, IPFIX) against scapy, then normalize, then
the listener end to end.

Prints flows per second; asserts nothing (speed depends on the machine). Run:
    .venv/bin/python bench/bench_netflow.py [--seconds 2]

v9 and IPFIX datagrams are shaped like softflowd's (16 fields, 25 records each). scapy needs
`netflowv9_defragment` to apply templates; how many records it finds is printed beside its rate.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import communityid
from scapy.layers.netflow import (
    NetflowDataflowsetV9,
    NetflowHeader,
    NetflowHeaderV5,
    NetflowRecordV5,
    netflowv9_defragment,
)

import collectors.netflow
from collectors.deadletter import DeadLetter
from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import decode
from collectors.netflow.normalize import DATASET, normalize_flows, normalize_v5
from collectors.netflow.session import Sessions
from collectors.sink import BatchingSink
from soc.config import NetflowSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.model.event import new_event_ids, stamp
from soc.storage.duckdb_store import DuckDBEventStore

RECORDS_PER_DATAGRAM = 30
TEMPLATE_RECORDS = 25
# softflowd's IPv4 template: src, dst, start, end, bytes, packets, ifindexes, direction,
# end reason, ports, protocol, flags, IP version, ToS.
SOFTFLOWD_FIELDS = [(8, 4), (12, 4), (22, 4), (21, 4), (1, 4), (2, 4), (10, 4), (14, 4)]
SOFTFLOWD_FIELDS += [(61, 1), (136, 1), (7, 2), (11, 2), (4, 1), (6, 1), (60, 1), (5, 1)]
VARIABLE_FIELDS = [(8, 4), (12, 4), (1, 8), (2, 8), (7, 2), (11, 2), (4, 1), (96, 0xFFFF)]


def datagram(seed: int) -> bytes:
    now = time.time()
    packet = NetflowHeader(version=5) / NetflowHeaderV5(
        count=RECORDS_PER_DATAGRAM, sysUptime=600_000, unixSecs=int(now), flowSequence=seed
    )
    for i in range(RECORDS_PER_DATAGRAM):
        packet /= NetflowRecordV5(
            src=f"10.20.{seed % 250}.{i + 1}",
            dst=f"203.0.113.{i + 1}",
            srcport=40_000 + i,
            dstport=443,
            prot=6,
            dpkts=10 + i,
            dOctets=1_500 * (10 + i),
            first=590_000,
            last=599_000,
        )
    return bytes(packet)


def _record(seed: int, i: int) -> bytes:
    src = bytes((10, 20, seed % 250, i + 1))
    dst = bytes((203, 0, 113, i + 1))
    return src + dst + struct.pack("!IIIIII", 590_000, 599_000, 1_500 * (10 + i), 10 + i, 1, 2)


def template_datagram(version: int, seed: int, *, with_template: bool) -> bytes:
    """A softflowd-shaped v9 (version 9) or IPFIX (10) datagram of TEMPLATE_RECORDS flows."""
    tail = struct.pack("!BBHHBBBB", 0, 2, 40_000 + seed % 1000, 443, 6, 0x1B, 4, 0)
    body = b"".join(_record(seed, i) + tail for i in range(TEMPLATE_RECORDS))
    sets = b""
    if with_template:
        fields = b"".join(struct.pack("!HH", *f) for f in SOFTFLOWD_FIELDS)
        template = struct.pack("!HH", 1024, len(SOFTFLOWD_FIELDS)) + fields
        sets += struct.pack("!HH", 0 if version == 9 else 2, len(template) + 4) + template
    sets += struct.pack("!HH", 1024, len(body) + 4) + body
    if version == 9:
        return (
            struct.pack("!HHIIII", 9, TEMPLATE_RECORDS, 600_000, int(time.time()), seed, 0) + sets
        )
    header = struct.pack("!HHIII", 10, 16 + len(sets), int(time.time()), seed * TEMPLATE_RECORDS, 0)
    return header + sets


def variable_datagram(seed: int) -> bytes:
    """IPFIX with a variable-length applicationName: the field-by-field path."""
    fields = b"".join(struct.pack("!HH", *f) for f in VARIABLE_FIELDS)
    template = struct.pack("!HH", 1025, len(VARIABLE_FIELDS)) + fields
    body = b"".join(
        bytes((10, 20, seed % 250, i + 1, 203, 0, 113, i + 1))
        + struct.pack("!QQHHB", 1_500 * (10 + i), 10 + i, 40_000 + i, 443, 6)
        + b"\x05https"
        for i in range(TEMPLATE_RECORDS)
    )
    sets = struct.pack("!HH", 2, len(template) + 4) + template
    sets += struct.pack("!HH", 1025, len(body) + 4) + body
    return struct.pack("!HHIII", 10, 16 + len(sets), int(time.time()), seed, 0) + sets


def rate(label: str, seconds: float, step: Callable[[], int]) -> float:
    """Run `step` (returns flows handled) repeatedly for about `seconds`; print flows/s."""
    flows, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        flows += step()
    per_second = flows / elapsed
    print(f"{label:<44} {per_second:>12,.0f} flows/s")
    return per_second


def scapy_templates(data: list[bytes]) -> float | None:
    """scapy's rate on template-based datagrams (parse, then apply templates), printed with
    how many of the records it found; None when it cannot decode them at all."""
    label = "scapy (NetflowHeader + netflowv9_defragment)"
    start = time.perf_counter()
    try:
        found = netflowv9_defragment([NetflowHeader(d) for d in data])
    except Exception as exc:  # what scapy does with these bytes is the figure here
        print(f"{label:<44} {'raises':>12}   ({type(exc).__name__})")
        return None
    elapsed = time.perf_counter() - start
    records = sum(
        len(layer.records)
        for packet in found
        for layer in packet.iterpayloads()
        if isinstance(layer, NetflowDataflowsetV9)
    )
    print(
        f"{label:<44} {records / elapsed:>12,.0f} flows/s"
        f"   (found {records} of {len(data) * TEMPLATE_RECORDS} records)"
    )
    return records / elapsed if records else None


def bench_templates(seconds: float) -> None:
    """v9 and IPFIX: steady state (templates known), against scapy, then to ECS."""
    ids = CommunityId()
    for version, name in ((9, "NetFlow v9"), (10, "IPFIX")):
        data = [template_datagram(version, i, with_template=i == 0) for i in range(100)]
        sessions = Sessions(pending_max_records=10_000, pending_max_age_seconds=300)
        cycle = iter(range(1 << 62))

        def ours(data: list[bytes] = data, sessions: Sessions = sessions, cycle=cycle) -> int:
            packet = decode(data[next(cycle) % 100], exporter="bench")
            return len(sessions.process(packet, ip="127.0.0.1", port=9, now=0).flows)

        def to_ecs(data: list[bytes] = data, sessions: Sessions = sessions, cycle=cycle) -> int:
            packet = decode(data[next(cycle) % 100], exporter="bench")
            flows = sessions.process(packet, ip="127.0.0.1", port=9, now=0).flows
            return len(normalize_flows(flows, community_id=ids))

        print(f"\n{name}, {TEMPLATE_RECORDS} records per datagram, {len(SOFTFLOWD_FIELDS)} fields")
        ours()  # learn the template
        struct_rate = rate("struct decoder + template state", seconds, ours)
        scapy_rate = scapy_templates(data[:20])
        if scapy_rate:
            print(f"{'ratio struct / scapy':<44} {struct_rate / scapy_rate:>12,.1f} x")
        rate("decode + template state + normalize to ECS", seconds, to_ecs)

    variable = [variable_datagram(i) for i in range(100)]
    sessions = Sessions(pending_max_records=10_000, pending_max_age_seconds=300)
    cycle = iter(range(1 << 62))

    def variable_path() -> int:
        packet = decode(variable[next(cycle) % 100], exporter="bench")
        return len(sessions.process(packet, ip="127.0.0.1", port=9, now=0).flows)

    print(f"\nIPFIX, variable-length applicationName ({len(VARIABLE_FIELDS)} fields)")
    slow = rate("struct decoder + template state (field walk)", seconds, variable_path)
    scapy_rate = scapy_templates(variable[:20])
    if scapy_rate:
        print(f"{'ratio struct / scapy':<44} {slow / scapy_rate:>12,.1f} x")


def bench_columnar_sets(seconds: float) -> None:
    """v9 and IPFIX to what the sink takes, CPU µs per flow: the dict path (decode, template
    state, ECS, event id, stamp, agency tag) against the columnar one (`process(columnar=True)`
    and `SetColumns.take` once per 1,000 flows, as a listener's drain), alternating."""
    try:  # absent from code before the columnar path: then the dict path alone is measured
        from collectors.netflow.columnar_sets import SetColumns
    except ImportError:
        SetColumns = None
    ids = CommunityId()
    tagger = AgencyTagger([Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",))])
    for version, name in ((9, "NetFlow v9"), (10, "IPFIX")):
        data = [template_datagram(version, i, with_template=i == 0) for i in range(40)]
        packets = [decode(d, exporter="bench") for d in data]

        def dicts(packets: list = packets) -> int:
            sessions = Sessions(pending_max_records=10_000, pending_max_age_seconds=300)
            flows = 0
            for packet in packets:
                outcome = sessions.process(packet, ip="10.20.0.1", port=9, now=0)
                events = normalize_flows(outcome.flows, community_id=ids)
                for event, event_id in zip(events, new_event_ids(len(events)), strict=True):
                    event["event"]["id"] = event_id
                    tagger.tag(stamp(event, dataset=DATASET))
                flows += len(events)
            return flows

        def columns(packets: list = packets) -> int:
            sessions = Sessions(pending_max_records=10_000, pending_max_age_seconds=300)
            kept = SetColumns(ids)
            for packet in packets:
                outcome = sessions.process(packet, ip="10.20.0.1", port=9, now=0, columnar=True)
                for item in outcome.sets:
                    kept.add(item)
            return sum(len(batch) for batch in kept.take(tagger.ipv4_prefixes(), tagger.lookup))

        paths = [("dict path", dicts)] + ([("columns", columns)] if SetColumns else [])
        print(f"\n{name} to the sink's input, CPU per flow (alternating)")
        for _ in range(2):
            for label, step in paths:
                flows, start = 0, time.process_time()
                while time.process_time() - start < seconds / 2:
                    flows += step()
                spent = time.process_time() - start
                print(f"{label:<44} {spent / flows * 1e6:>12.2f} us/flow")


def bench_listener(data: list[bytes], seconds: float, label: str, per_datagram: int) -> None:
    """Datagrams over loopback into the listener, the sink and a DuckDB file.

    The sender paces five datagrams per millisecond of sleep; what the collector
    cannot take the kernel drops, so the stored rate is the sustainable rate and the loss
    shows the headroom missing.
    """
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBEventStore(Path(tmp) / "events.duckdb")
        sink = BatchingSink(store, batch_size=5_000, flush_interval_seconds=0.2)
        listener = collectors.netflow.start(
            NetflowSettings(port=0),
            sink=sink,
            tagger=AgencyTagger([Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",))]),
            dead_letter=DeadLetter(Path(tmp) / "dead-letter.ndjson"),
        )
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        start, sent = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            for _ in range(5):
                sender.sendto(data[sent % len(data)], listener.addresses[0])
                sent += 1
            time.sleep(0.001)
        sender.close()
        stored, last_change = 0, time.perf_counter()
        while time.perf_counter() - last_change < 1.0:  # drained: nothing new for a second
            time.sleep(0.1)
            if (now_stored := sink.written) != stored:
                stored, last_change = now_stored, time.perf_counter()
        elapsed = last_change - start
        listener.close()
        sink.close()
        store.close()
    offered = sent * per_datagram
    print(
        f"{label:<44} {stored / elapsed:>12,.0f} flows/s"
        f"   (offered {offered / seconds:,.0f}/s, lost {1 - stored / offered:.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    seconds = parser.parse_args().seconds

    data = [datagram(i) for i in range(100)]
    cycle = iter(range(1 << 62))

    def ours() -> int:
        return len(decode(data[next(cycle) % 100], exporter="bench").records)

    def scapy_records() -> int:
        packet = NetflowHeader(data[next(cycle) % 100])
        return sum(1 for _ in packet.iterpayloads()) - 2  # minus NetflowHeader, NetflowHeaderV5

    ids = CommunityId()

    def decode_and_normalize() -> int:
        packet = decode(data[next(cycle) % 100], exporter="bench")
        return len(normalize_v5(packet, exporter_ip="127.0.0.1", exporter_port=9, community_id=ids))

    print(f"NetFlow v5, {RECORDS_PER_DATAGRAM} records per datagram")
    struct_rate = rate("struct decoder (collectors.netflow.decode)", seconds, ours)
    scapy_rate = rate("scapy decoder (NetflowHeader(bytes))", seconds, scapy_records)
    print(f"{'ratio struct / scapy':<44} {struct_rate / scapy_rate:>12,.1f} x")
    rate("decode + normalize to ECS", seconds, decode_and_normalize)

    ports = itertools.count()
    reference = communityid.CommunityID()

    def ours_id() -> int:
        ids.of(6, "10.20.1.5", "203.0.113.9", next(ports) % 65536, 443)
        return 1

    def package_id() -> int:
        flow = communityid.FlowTuple(6, "10.20.1.5", "203.0.113.9", next(ports) % 65536, 443)
        reference.calc(flow)
        return 1

    ours_rate = rate("community id, our fast path", seconds, ours_id)
    package_rate = rate("community id, communityid package", seconds, package_id)
    print(f"{'ratio ours / package':<44} {ours_rate / package_rate:>12,.1f} x")
    bench_templates(seconds)
    bench_columnar_sets(seconds)
    print()
    bench_listener(data, seconds, "v5 listener -> sink -> DuckDB", RECORDS_PER_DATAGRAM)
    v9 = [template_datagram(9, i, with_template=i % 20 == 0) for i in range(100)]
    bench_listener(v9, seconds, "v9 listener -> sink -> DuckDB", TEMPLATE_RECORDS)


if __name__ == "__main__":
    main()
