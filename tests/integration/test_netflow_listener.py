"""The NetFlow listener end to end: real UDP on 127.0.0.1, a real DuckDB file, the real sink."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from scapy.layers.netflow import NetflowHeader, NetflowHeaderV5, NetflowRecordV5
from shared_data import SHARED_DATA

import collectors.netflow
from collectors.deadletter import DeadLetter
from collectors.listener import Listener
from collectors.sink import BatchingSink
from soc.config import NetflowSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.storage.duckdb_store import DuckDBEventStore

AGENCY = Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",))
RECEIVE_BUFFER_BYTES = 150_000  # below Linux's default rmem_max, so the kernel grants it


@dataclass
class Collector:
    listener: Listener
    store: DuckDBEventStore
    sink: BatchingSink
    dead_letter: DeadLetter

    @property
    def address(self) -> tuple[str, int]:
        return self.listener.addresses[0]

    def send(self, datagram: bytes) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(datagram, self.address)

    def wait_for(self, done: Callable[[], bool]) -> None:
        """Wait (not a timing assertion) until the listener thread has handled what was sent."""
        deadline = time.monotonic() + 20
        while not done() and time.monotonic() < deadline:
            self.sink.flush()
            time.sleep(0.02)
        self.sink.flush()


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=100, flush_interval_seconds=0.05)
    dead_letter = DeadLetter(tmp_path / "dead-letter.ndjson")
    listener = collectors.netflow.start(
        NetflowSettings(host="127.0.0.1", port=0, receive_buffer_bytes=RECEIVE_BUFFER_BYTES),
        sink=sink,
        tagger=AgencyTagger([AGENCY]),
        dead_letter=dead_letter,
    )
    yield Collector(listener, store, sink, dead_letter)
    listener.close()
    sink.close()
    store.close()


def v5(*flows: tuple[str, str, int, int, int]) -> bytes:
    """A datagram of (src, dst, dst_port, packets, bytes) TCP flows, exported "now"."""
    now = time.time()
    packet = NetflowHeader(version=5) / NetflowHeaderV5(
        count=len(flows),
        sysUptime=600_000,
        unixSecs=int(now),
        unixNanoSeconds=int(now % 1 * 1e9),
    )
    for src, dst, dst_port, packets, octets in flows:
        packet /= NetflowRecordV5(
            src=src,
            dst=dst,
            srcport=50_000,
            dstport=dst_port,
            prot=6,
            dpkts=packets,
            dOctets=octets,
            first=590_000,
            last=599_000,
        )
    return bytes(packet)


def test_start_returns_a_listener_bound_to_an_ephemeral_port(collector: Collector) -> None:
    assert isinstance(collector.listener, Listener)
    host, port = collector.address
    assert host == "127.0.0.1"
    assert port > 0


def test_flows_are_stored_with_bytes_packets_and_agency(collector: Collector) -> None:
    collector.send(
        v5(("10.20.1.5", "203.0.113.9", 443, 10, 5_000), ("10.20.1.6", "8.8.8.8", 53, 1, 80))
    )
    collector.send(v5(("198.51.100.7", "10.20.3.3", 22, 4, 320)))
    collector.wait_for(lambda: collector.store.count() >= 3)

    page = collector.store.search("event.dataset:netflow.log")
    assert page.total == 3
    assert sum(e["network"]["bytes"] for e in page.events) == 5_400
    assert sum(e["network"]["packets"] for e in page.events) == 15
    assert {e["organization"]["id"] for e in page.events} == {"so-yte"}
    assert {e["observer"]["ip"] for e in page.events} == {"127.0.0.1"}
    assert all(e["event"]["id"] and e["event"]["ingested"] for e in page.events)
    assert collector.store.aggregate("destination.port", "source.ip:10.20.1.5") == [(443, 1)]


def test_a_truncated_datagram_is_dead_lettered_and_the_next_one_is_stored(
    collector: Collector,
) -> None:
    good = v5(("10.20.9.9", "203.0.113.1", 80, 3, 900))
    collector.send(good[:50])
    collector.send(good)
    collector.wait_for(lambda: collector.store.count() >= 1)

    assert collector.store.count() == 1
    (line,) = collector.dead_letter.path.read_text().splitlines()
    record = json.loads(line)
    assert record["source"] == "netflow"
    assert "truncated" in record["reason"]
    assert record["peer"].startswith("127.0.0.1:")
    assert base64.b64decode(record["raw_base64"]) == good[:50]


def test_garbage_of_any_version_is_dead_lettered(collector: Collector) -> None:
    collector.send(b"\x00\x0a" + b"\xff" * 30)  # IPFIX is not supported yet
    collector.send(b"x")
    collector.send(v5(("10.20.0.1", "10.20.0.2", 445, 1, 60)))
    collector.wait_for(lambda: collector.store.count() >= 1 and collector.dead_letter.count >= 2)

    reasons = [json.loads(line)["reason"] for line in collector.dead_letter.path.open()]
    assert any("unsupported NetFlow version 10" in r for r in reasons)
    assert any("no version field" in r for r in reasons)
    assert collector.store.count() == 1


def test_close_is_idempotent_and_releases_the_port(collector: Collector) -> None:
    address = collector.address
    collector.listener.close()
    collector.listener.close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(address)


def test_the_receive_buffer_is_raised_from_settings(collector: Collector) -> None:
    # Linux reports twice the requested size (its bookkeeping overhead); its default is 212992.
    assert collector.listener.receive_buffer_bytes == 2 * RECEIVE_BUFFER_BYTES


# -- a real exporter (softflowd) against a reference collector (nfcapd + nfdump) -----------------

PCAPS = SHARED_DATA / "pcap"
NFDUMP_FLAGS = "CEUAPRSF"  # nfdump prints TCP flags from bit 7 down to bit 0, "." when unset


def _udp_receive_queue(port: int) -> int | None:
    """Bytes waiting in the socket bound to `port` (from /proc), None while nothing is bound."""
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            return int(fields[4].split(":")[1], 16)
    return None


def _softflowd(pcap: Path, port: int) -> None:
    # -a: pcap timestamps, so both runs export identical flows; -c none: no control socket.
    subprocess.run(
        [
            "softflowd",
            "-d",
            "-a",
            "-r",
            str(pcap),
            "-n",
            f"127.0.0.1:{port}",
            "-v",
            "5",
            "-c",
            "none",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _nfdump_flows(tmp_path: Path, port: int, pcaps: list[Path]) -> list[dict]:
    spool = tmp_path / "nfcapd"
    spool.mkdir()
    nfcapd = subprocess.Popen(
        ["nfcapd", "-b", "127.0.0.1", "-p", str(port), "-w", str(spool)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while _udp_receive_queue(port) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        for pcap in pcaps:
            _softflowd(pcap, port)
        # SIGTERM makes nfcapd write what it has read; wait until it has read everything.
        while _udp_receive_queue(port) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        nfcapd.terminate()
        nfcapd.wait(timeout=20)
    dumped = subprocess.run(
        ["nfdump", "-R", str(spool), "-o", "json"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "UTC"},
        timeout=60,
    )
    return json.loads(dumped.stdout)


def _nfdump_key(flow: dict) -> tuple:
    if flow["proto"] == 1:
        ports = (0, flow["icmp_type"] * 256 + flow["icmp_code"])
    else:
        ports = (flow["src_port"], flow["dst_port"])
    return (
        flow["src4_addr"],
        flow["dst4_addr"],
        flow["proto"],
        *ports,
        flow["in_packets"],
        flow["in_bytes"],
        flow.get("tcp_flags", "........"),
        flow["first"],
        flow["last"],
    )


def _our_key(event: dict) -> tuple:
    nf = event["netflow"]
    flags = "".join(
        name if nf["tcp_control_bits"] >> (7 - i) & 1 else "."
        for i, name in enumerate(NFDUMP_FLAGS)
    )
    return (
        event["source"]["ip"],
        event["destination"]["ip"],
        nf["protocol_identifier"],
        nf["source_transport_port"],
        nf["destination_transport_port"],
        event["network"]["packets"],
        event["network"]["bytes"],
        flags,
        event["event"]["start"].removesuffix("Z"),
        event["event"]["end"].removesuffix("Z"),
    )


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("softflowd", "nfcapd", "nfdump")),
    reason="needs the Debian packages softflowd and nfdump",
)
def test_softflowd_exports_match_the_nfdump_reference_collector(
    collector: Collector, tmp_path: Path, free_port: Callable[[], int]
) -> None:
    pcaps = [PCAPS / "http.pcap", PCAPS / "dns_icmp.pcap"]
    reference = _nfdump_flows(tmp_path, free_port(), pcaps)
    assert len(reference) > 10

    for pcap in pcaps:
        _softflowd(pcap, collector.address[1])
    collector.wait_for(lambda: collector.store.count() >= len(reference))

    ours = collector.store.search("event.dataset:netflow.log", limit=None).events
    assert sorted(map(_our_key, ours)) == sorted(map(_nfdump_key, reference))
    assert collector.dead_letter.count == 0
