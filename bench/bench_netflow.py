"""NetFlow v5 throughput: our struct decoder against scapy, then normalize, then the listener.

Prints flows per second; asserts nothing (speed depends on the machine). Run:
    .venv/bin/python bench/bench_netflow.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import itertools
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import communityid
from scapy.layers.netflow import NetflowHeader, NetflowHeaderV5, NetflowRecordV5

import collectors.netflow
from collectors.deadletter import DeadLetter
from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import decode
from collectors.netflow.normalize import normalize
from collectors.sink import BatchingSink
from soc.config import NetflowSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.storage.duckdb_store import DuckDBEventStore

RECORDS_PER_DATAGRAM = 30


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


def rate(label: str, seconds: float, step: Callable[[], int]) -> float:
    """Run `step` (returns flows handled) repeatedly for about `seconds`; print flows/s."""
    flows, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        flows += step()
    per_second = flows / elapsed
    print(f"{label:<44} {per_second:>12,.0f} flows/s")
    return per_second


def bench_listener(data: list[bytes], seconds: float) -> None:
    """Datagrams over loopback into the listener, the sink and a DuckDB file.

    The sender paces five datagrams (150 flows) per millisecond of sleep; what the collector
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
    offered = sent * RECORDS_PER_DATAGRAM
    print(
        f"{'listener -> sink -> DuckDB (end to end)':<44} {stored / elapsed:>12,.0f} flows/s"
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
        return len(normalize(packet, exporter_ip="127.0.0.1", exporter_port=9, community_id=ids))

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
    bench_listener(data, seconds)


if __name__ == "__main__":
    main()
