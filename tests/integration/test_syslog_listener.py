"""The syslog listener end to end: real `logger`, real sockets on 127.0.0.1, the real sink and a
real DuckDB file."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import collectors.syslog
from collectors.deadletter import DeadLetter
from collectors.listener import Listener
from collectors.sink import BatchingSink
from collectors.syslog import SyslogServer
from collectors.syslog.workers import WorkerPool
from soc.config import SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.storage.duckdb_store import DuckDBEventStore

AGENCY = Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",))
LOOPBACK = Agency("trung-tam", "Trung tâm giám sát", ("127.0.0.0/8",))
MAX_MESSAGE_BYTES = 2048
LOGGER = shutil.which("logger")


@dataclass
class Collector:
    listener: SyslogServer | WorkerPool
    store: DuckDBEventStore
    sink: BatchingSink
    dead_letter: DeadLetter

    @property
    def udp_port(self) -> int:
        return self.listener.udp_address[1]

    @property
    def tcp_port(self) -> int:
        return self.listener.tcp_address[1]

    def send_udp(self, datagram: bytes) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(datagram, self.listener.udp_address)

    def connect(self) -> socket.socket:
        return socket.create_connection(self.listener.tcp_address)

    def wait_for(self, done: Callable[[], bool]) -> None:
        """Wait (not a timing assertion) until the listener has handled what was sent."""
        deadline = time.monotonic() + 20
        while not done() and time.monotonic() < deadline:
            self.sink.flush()
            time.sleep(0.02)
        self.sink.flush()

    def wait_for_events(self, count: int) -> None:
        self.wait_for(lambda: self.store.count() >= count)

    def dead_letters(self) -> list[dict]:
        if not self.dead_letter.path.exists():
            return []
        return [json.loads(line) for line in self.dead_letter.path.read_text().splitlines()]


@pytest.fixture(params=[1, 2], ids=["thread", "workers"])
def collector(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Collector]:
    """Every test runs against the in-thread listener and against two worker processes."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=100, flush_interval_seconds=0.05)
    dead_letter = DeadLetter(tmp_path / "dead-letter.ndjson")
    listener = collectors.syslog.start(
        SyslogSettings(
            host="127.0.0.1",
            udp_port=0,
            tcp_port=0,
            max_message_bytes=MAX_MESSAGE_BYTES,
            workers=request.param,
        ),
        sink=sink,
        tagger=AgencyTagger([AGENCY, LOOPBACK]),
        dead_letter=dead_letter,
    )
    yield Collector(listener, store, sink, dead_letter)
    listener.close()
    sink.close()
    store.close()


def logger(collector: Collector, *options: str, message: str, tag: str = "app") -> None:
    assert LOGGER, "util-linux logger is needed (apt-get install bsdutils)"
    port = collector.tcp_port if "-T" in options else collector.udp_port
    subprocess.run(
        [LOGGER, "-n", "127.0.0.1", "-P", str(port), *options, "-t", tag, "-i", message],
        check=True,
        timeout=30,
    )


def test_start_returns_a_listener_on_ephemeral_udp_and_tcp_ports(collector: Collector) -> None:
    assert isinstance(collector.listener, Listener)
    (udp_host, udp_port), (tcp_host, tcp_port) = collector.listener.addresses
    assert udp_host == tcp_host == "127.0.0.1"
    assert udp_port > 0 and tcp_port > 0


LOGGER_MODES = {
    "udp-rfc3164": ("-d", "--rfc3164"),
    "udp-rfc5424": ("-d", "--rfc5424"),
    "tcp-rfc3164": ("-T", "--rfc3164"),
    "tcp-rfc5424": ("-T", "--rfc5424"),
    "tcp-octet-rfc3164": ("-T", "--rfc3164", "--octet-count"),
    "tcp-octet-rfc5424": ("-T", "--rfc5424", "--octet-count"),
}


@pytest.mark.parametrize("mode", LOGGER_MODES)
def test_logger_messages_are_stored(collector: Collector, mode: str) -> None:
    options = LOGGER_MODES[mode]
    marker = uuid.uuid4().hex
    logger(collector, *options, message=f"hello {marker} xin chào", tag="soc-test")
    logger(
        collector,
        *options,
        tag="sshd",
        message="Failed password for invalid user admin from 10.20.7.8 port 51022 ssh2",
    )
    collector.wait_for_events(2)

    (plain,) = collector.store.search(f"message:*{marker}*").events
    assert plain["message"] == f"hello {marker} xin chào"
    assert plain["event"]["dataset"] == "syslog"
    assert plain["process"]["name"] == "soc-test"
    assert isinstance(plain["process"]["pid"], int)
    # logger sends the short host name in RFC 3164, the full one in RFC 5424
    assert plain["host"]["name"].split(".")[0] == socket.gethostname().split(".")[0]
    assert plain["log"]["syslog"]["severity"]["name"] == "notice"
    assert plain["log"]["syslog"]["facility"]["name"] == "user"
    assert plain["observer"]["ip"] == "127.0.0.1"
    assert plain["log"]["source"]["address"] == "127.0.0.1"
    assert plain["organization"] == {"id": "trung-tam", "name": "Trung tâm giám sát"}
    assert plain["event"]["id"] and plain["event"]["ingested"]
    if "--rfc5424" in options:
        assert plain["log"]["syslog"]["version"] == "1"
        assert "timeQuality" in plain["log"]["syslog"]["structured_data"]

    (auth,) = collector.store.search("event.dataset:system.auth AND event.outcome:failure").events
    assert auth["user"]["name"] == "admin"
    assert auth["source"] == {"ip": "10.20.7.8", "port": 51022}
    assert auth["system"]["auth"]["ssh"]["event"] == "Failed"
    assert auth["organization"]["id"] == "so-yte"  # tagged by the attacker's address
    assert not collector.dead_letters()


def test_logger_structured_data_and_msgid(collector: Collector) -> None:
    logger(
        collector,
        "-d",
        "--rfc5424",
        "--msgid",
        "ID47",
        "--sd-id",
        "zoo@32473",
        "--sd-param",
        'tiger="hungry \\"very\\" \\]"',
        message="with structured data",
    )
    collector.wait_for_events(1)
    (event,) = collector.store.search("log.syslog.msgid:ID47").events
    assert event["log"]["syslog"]["structured_data"]["zoo@32473"] == {"tiger": 'hungry "very" ]'}
    assert event["message"] == "with structured data"


def test_malformed_datagrams_are_dead_lettered_and_the_listener_goes_on(
    collector: Collector,
) -> None:
    collector.send_udp(b"")
    collector.send_udp(b"<13>\n")
    collector.send_udp(b"<13>" + b"x" * (MAX_MESSAGE_BYTES + 10))
    collector.send_udp(b"<13>Mar  5 10:00:00 h app: caf\xe9 after the bad ones")
    collector.wait_for(lambda: collector.store.count() >= 1 and len(collector.dead_letters()) >= 3)

    reasons = sorted(record["reason"] for record in collector.dead_letters())
    assert reasons == [
        f"datagram exceeds max_message_bytes ({MAX_MESSAGE_BYTES})",
        "syslog header: empty message",
        "syslog header: empty message",
    ]
    for record in collector.dead_letters():
        assert record["source"] == "syslog/udp"
        assert record["peer"].startswith("127.0.0.1:")
    (event,) = collector.store.search("").events
    assert event["message"] == "caf\ufffd after the bad ones"


def test_tcp_oversized_and_cut_frames_are_dead_lettered(collector: Collector) -> None:
    with collector.connect() as client:
        client.sendall(b"x" * (MAX_MESSAGE_BYTES + 100) + b"\n")
        client.sendall(b"<13>Mar  5 10:00:00 h app: same connection still works\n")
        client.sendall(b"500 <13>cut short")
    collector.wait_for(lambda: collector.store.count() >= 1 and len(collector.dead_letters()) >= 2)

    (event,) = collector.store.search("").events
    assert event["message"] == "same connection still works"
    reasons = [record["reason"] for record in collector.dead_letters()]
    assert reasons == [
        f"line exceeds max_message_bytes ({MAX_MESSAGE_BYTES})",
        "connection closed inside an octet-counted frame (13 of 500 bytes)",
    ]


def test_a_slow_client_does_not_block_the_others(collector: Collector) -> None:
    slow = collector.connect()
    slow.sendall(b"<13>Mar  5 10:00:00 slow app: half a li")  # and then nothing, for now
    clients = [collector.connect() for _ in range(20)]
    for number, client in enumerate(clients):
        client.sendall(b"".join(f"<13>client {number} line {i}\n".encode() for i in range(5)))
    for client in clients:
        client.close()
    collector.wait_for_events(100)
    assert collector.store.count() == 100
    assert collector.store.search("host.name:slow").total == 0  # its line is not complete yet

    slow.sendall(b"ne\n")
    collector.wait_for_events(101)
    assert collector.store.search("host.name:slow").events[0]["message"] == "half a line"
    slow.close()


def test_unterminated_line_is_delivered_when_the_client_closes(collector: Collector) -> None:
    with collector.connect() as client:
        client.sendall(b"<13>Mar  5 10:00:00 h app: no newline at the end")
    collector.wait_for_events(1)
    assert collector.store.search("").events[0]["message"] == "no newline at the end"


def test_close_stops_promptly_and_releases_the_ports(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, flush_interval_seconds=0.05)
    listener = collectors.syslog.start(
        SyslogSettings(host="127.0.0.1", udp_port=0, tcp_port=0),
        sink=sink,
        tagger=AgencyTagger([]),
        dead_letter=DeadLetter(tmp_path / "dead-letter.ndjson"),
    )
    idle = socket.create_connection(listener.tcp_address)
    idle.sendall(b"<13>Mar  5 10:00:00 h app: pending at shutdown")
    listener.close()  # takes in what the kernel already holds, even if not yet read
    listener.close()  # idempotent

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(listener.tcp_address, timeout=5)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a restarted server does
        again.bind(listener.tcp_address)  # the port is free again
    assert idle.recv(1) == b""  # the server closed its side
    idle.close()
    sink.flush()
    assert store.search("message:pending*").total == 1
    sink.close()
    store.close()


def test_fortigate_and_nxlog_events_are_searchable_by_their_ecs_fields(
    collector: Collector,
) -> None:
    collector.send_udp(
        b'<188>date=2024-03-05 time=14:02:11 devname="FGT-UBND" devid="FGT60FTK2209ABCD" '
        b'logid="0000000013" type="traffic" subtype="forward" tz="+0700" srcip=203.0.113.50 '
        b'srcport=51515 dstip=10.20.5.10 dstport=3389 proto=6 action="deny" policyid=0 '
        b"sentbyte=0 rcvdbyte=0"
    )
    nxlog = (
        (Path(__file__).parents[1] / "unit" / "parsers" / "samples" / "nxlog_sysmon_1.json")
        .read_bytes()
        .strip()
    )
    frame = b"<14>Mar  5 08:21:01 WS-UBND-07 nxlog: " + nxlog
    with collector.connect() as client:
        client.sendall(str(len(frame)).encode() + b" " + frame)
    collector.wait_for_events(2)

    (deny,) = collector.store.search(
        "event.dataset:fortinet.firewall AND destination.port:3389 AND event.action:deny"
    ).events
    assert deny["source"]["ip"] == "203.0.113.50"
    assert deny["organization"]["id"] == "so-yte"  # by the destination inside the agency
    assert deny["@timestamp"] == "2024-03-05T07:02:11.000Z"

    (process,) = collector.store.search(
        "event.code:1 AND process.name:rundll32.exe AND winlog.channel:*Sysmon*"
    ).events
    assert process["event"]["dataset"] == "windows.sysmon_operational"
    assert process["process"]["parent"]["name"] == "WINWORD.EXE"
    assert process["log"]["syslog"]["appname"] == "nxlog"
