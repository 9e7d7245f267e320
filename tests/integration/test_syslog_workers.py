"""Syslog parsed in worker processes (`syslog.workers` > 1): real sockets on 127.0.0.1, the real
sink and a real DuckDB file. What the in-thread listener guarantees must hold here too: every
message stored once with its agency, dead letters with their reason, per-source health, and
nothing that the kernel already held lost at shutdown."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

import collectors.syslog
from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from collectors.syslog.workers import WorkerPool, worker_count
from soc.config import SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.model.sources import SourceRegistry
from soc.storage.duckdb_store import DuckDBEventStore
from tests.support.syslog_harness import running_collector

LOOPBACK = Agency("trung-tam", "Trung tâm giám sát", ("127.0.0.0/8",))
AGENCY = Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",))


def test_workers_setting_zero_means_one_per_cpu() -> None:
    assert worker_count(3) == 3
    assert worker_count(0) >= 1


def test_udp_and_tcp_messages_are_stored_once_tagged_with_source_health(tmp_path: Path) -> None:
    with running_collector(tmp_path, workers=2) as collector:
        assert isinstance(collector.listener, WorkerPool)
        assert collector.listener.wait_ready(60)
        assert len(collector.listener.pids) == 2
        udp, tcp = collector.listener.addresses
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for number in range(300):
                sender.sendto(
                    b"<38>Mar  5 10:00:01 web01 sshd[1234]: Failed password for invalid user "
                    b"u%d from 10.20.7.8 port 51022 ssh2" % number,
                    udp,
                )
        with socket.create_connection(tcp) as client:
            client.sendall(
                b"".join(b"<13>Mar  5 10:00:00 h app: tcp line %d\n" % i for i in range(200))
            )
        sender_empty = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender_empty.sendto(b"<13>\n", udp)
        sender_empty.close()
        assert collector.wait_for(
            lambda: collector.store.count() >= 500 and collector.dead_letter.count >= 1
        )

        assert collector.store.count() == 500
        failed = collector.store.search("event.outcome:failure AND source.ip:10.20.7.8", limit=1000)
        assert failed.total == 300
        assert {e["organization"]["id"] for e in failed.events} == {"trung-tam"}  # the sender's
        assert len({e["event"]["id"] for e in failed.events}) == 300
        assert collector.store.search("message:tcp*").total == 200
        (dead,) = collector.dead_letters()
        assert dead["reason"] == "syslog header: empty message"
        assert dead["source"] == "syslog/udp"
        assert collector.wait_for(lambda: collector.counters().get("rejected") == 1)
        counters = collector.counters()
        assert counters["messages"] == 500
        assert counters["rejected"] == 1
        (health,) = [s for s in collector.sources.snapshot() if s.kind == "syslog"]
        assert health.agency_id == "trung-tam"
        assert collector.info()["transport"] == "tcp"


def test_a_firewall_event_is_tagged_by_the_parent(tmp_path: Path) -> None:
    """Tagging (agency, GeoIP, intel) happens in the parent, where the enricher lives."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=10, flush_interval_seconds=0.05)
    listener = collectors.syslog.start(
        SyslogSettings(host="127.0.0.1", udp_port=0, tcp_port=0, workers=2),
        sink=sink,
        tagger=AgencyTagger([AGENCY, LOOPBACK]),
        dead_letter=DeadLetter(tmp_path / "dead-letter.ndjson"),
        sources=SourceRegistry(),
    )
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(
                b'<188>date=2024-03-05 time=14:02:11 devname="FGT-UBND" devid="FGT60F" '
                b'logid="0000000013" type="traffic" subtype="forward" srcip=203.0.113.50 '
                b'srcport=51515 dstip=10.20.5.10 dstport=3389 proto=6 action="deny"',
                listener.addresses[0],
            )
        listener.close()  # what the kernel holds is taken in before close returns
        sink.flush()
        (event,) = store.search("event.dataset:fortinet.firewall").events
        assert event["organization"]["id"] == "so-yte"
        assert sorted(event["related"]["organization_ids"]) == ["so-yte", "trung-tam"]
    finally:
        listener.close()
        sink.close()
        store.close()


def test_close_takes_in_every_datagram_and_connection_already_received(tmp_path: Path) -> None:
    """SIGTERM path: workers that have not even finished starting still drain the sockets."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=500, flush_interval_seconds=0.05)
    listener = collectors.syslog.start(
        SyslogSettings(host="127.0.0.1", udp_port=0, tcp_port=0, workers=2),
        sink=sink,
        tagger=AgencyTagger([LOOPBACK]),
        dead_letter=DeadLetter(tmp_path / "dead-letter.ndjson"),
    )
    udp, tcp = listener.addresses
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for number in range(200):
            sender.sendto(b"<13>Mar  5 10:00:00 h app: datagram %d" % number, udp)
    held = socket.create_connection(tcp)
    held.sendall(b"<13>Mar  5 10:00:00 h app: pending on a connection")
    listener.close()
    held.close()
    sink.close()
    assert store.count() == 201
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(tcp, timeout=5)
    store.close()


def test_the_granted_receive_buffer_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collectors.syslog.server")
    with running_collector(tmp_path, receive_buffer_bytes=8 * 1024 * 1024):
        pass
    (line,) = [r.getMessage() for r in caplog.records if "receive buffer" in r.getMessage()]
    assert "asked 8388608 bytes, kernel granted" in line


def test_a_worker_that_dies_is_replaced_and_the_listener_goes_on(tmp_path: Path) -> None:
    with running_collector(tmp_path, workers=2) as collector:
        pool = collector.listener
        assert isinstance(pool, WorkerPool)
        victim = next(iter(pool._workers.values()))
        victim.kill()
        assert collector.wait_for(
            lambda: len(pool._workers) == 2 and victim not in pool._workers.values()
        )
        with socket.create_connection(pool.tcp_address) as client:
            client.sendall(
                b"".join(b"<13>Mar  5 10:00:00 h app: after %d\n" % i for i in range(50))
            )
        collector.wait_for_events(50)
        assert collector.store.count() == 50


def test_close_while_the_sink_is_full_loses_nothing_taken_and_corrupts_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM under overload: the workers' loops are still draining into full pipes when
    asked to stop; their last batches must follow, whole, and all of it must be stored."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=50, flush_interval_seconds=0.05, max_queued_events=50)
    listener = collectors.syslog.start(
        SyslogSettings(host="127.0.0.1", udp_port=0, tcp_port=0, workers=2),
        sink=sink,
        tagger=AgencyTagger([LOOPBACK]),
        dead_letter=DeadLetter(tmp_path / "dead-letter.ndjson"),
    )
    assert isinstance(listener, WorkerPool)
    assert listener.wait_ready(60)
    line = b"<13>Mar  5 10:00:00 h app: under pressure %d\n"
    clients = [socket.create_connection(listener.tcp_address) for _ in range(4)]
    for number, client in enumerate(clients):
        client.sendall(b"".join(line % (number * 1000 + i) for i in range(1000)))
    for client in clients:
        client.close()
    listener.close()
    sink.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert store.count() == listener.received
    assert listener.received > 0
    store.close()
