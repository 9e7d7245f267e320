"""The NetFlow listener end to end: real UDP on 127.0.0.1, a real DuckDB file, the real sink."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from netflow_harness import RECEIVE_BUFFER_BYTES, Collector, running_collector
from scapy.layers.netflow import NetflowHeader, NetflowHeaderV5, NetflowRecordV5

from collectors.listener import Listener


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    with running_collector(tmp_path) as running:
        yield running


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
    collector.send(b"\x00\x07" + b"\xff" * 30)
    collector.send(b"x")
    collector.send(v5(("10.20.0.1", "10.20.0.2", 445, 1, 60)))
    collector.wait_for(lambda: collector.store.count() >= 1 and collector.dead_letter.count >= 2)

    reasons = [json.loads(line)["reason"] for line in collector.dead_letter.path.open()]
    assert any("unsupported NetFlow version 7" in r for r in reasons)
    assert any("no version field" in r for r in reasons)
    assert collector.store.count() == 1
    assert collector.counters()["decode_errors"] == 2


def test_close_is_idempotent_and_releases_the_port(collector: Collector) -> None:
    address = collector.address
    collector.listener.close()
    collector.listener.close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(address)


def test_the_receive_buffer_is_raised_from_settings(collector: Collector) -> None:
    # Linux reports twice the requested size (its bookkeeping overhead); its default is 212992.
    assert collector.listener.receive_buffer_bytes == 2 * RECEIVE_BUFFER_BYTES
