"""Syslog over TLS (RFC 5425) end to end: real rsyslog with its OpenSSL driver, Python TLS
clients, a throwaway CA made with `openssl`, a real DuckDB file."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from syslog_harness import LOOPBACK, Collector, Pki, Rsyslog, running_collector

import collectors.syslog
from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from collectors.syslog import SyslogServer
from soc.config import SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.errors import ConfigError
from soc.storage.duckdb_store import DuckDBEventStore


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    daemon = Rsyslog(tmp_path / "rsyslog")
    yield daemon
    daemon.stop()


def tls_settings(pki: Pki, *, client_certificates: bool = False) -> dict[str, object]:
    return {
        "tls_enabled": True,
        "tls_port": 0,
        "tls_cert_file": str(pki.cert("server")),
        "tls_key_file": str(pki.key("server")),
        "tls_ca_file": str(pki.ca) if client_certificates else "",
    }


def forward_over_tls(collector: Collector, pki: Pki, auth: str) -> list[str]:
    """rsyslog lines: the OpenSSL netstream driver, octet-counted RFC 5424 to our TLS port."""
    port = collector.listener.tls_address[1]  # type: ignore[index]
    driver = [f'DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="{pki.ca}"']
    action = [f'StreamDriverAuthMode="{auth}"']
    if auth == "x509/name":
        driver.append(
            f'DefaultNetstreamDriverCertFile="{pki.cert("client")}" '
            f'DefaultNetstreamDriverKeyFile="{pki.key("client")}"'
        )
        action.append('StreamDriverPermittedPeers="soc.test"')
    return [
        f"global({' '.join(driver)})",
        f'action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" '
        f'StreamDriver="ossl" StreamDriverMode="1" {" ".join(action)} '
        'TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")',
    ]


def octet_counted(frames: Iterable[bytes]) -> bytes:
    return b"".join(b"%d %s" % (len(frame), frame) for frame in frames)


def client_context(pki: Pki, *, with_certificate: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.check_hostname = False
    if with_certificate:
        context.load_cert_chain(str(pki.cert("client")), str(pki.key("client")))
    return context


def send_tls(collector: Collector, context: ssl.SSLContext, *frames: bytes) -> None:
    raw = socket.create_connection(collector.listener.tls_address)  # type: ignore[arg-type]
    send_over(raw, context, frames)


def send_over(raw: socket.socket, context: ssl.SSLContext, frames: Iterable[bytes]) -> None:
    """Octet-counted frames, then an orderly close: half-close and read to the end, so that the
    session tickets TLS 1.3 sends after the handshake are read (closing with them unread makes
    the kernel reset the connection, and a reset discards what the server has not read yet)."""
    with context.wrap_socket(raw, server_hostname="soc.test") as tls:
        tls.sendall(octet_counted(frames))
        tls.shutdown(socket.SHUT_WR)  # leaves TLS: what follows is read as raw bytes
        tls.settimeout(30)
        while tls.recv(4096):
            pass


@pytest.mark.parametrize("auth", ["anon", "x509/name"])
def test_rsyslog_forwards_over_tls(tmp_path: Path, pki: Pki, rsyslog: Rsyslog, auth: str) -> None:
    client_certificates = auth == "x509/name"
    settings = tls_settings(pki, client_certificates=client_certificates)
    with running_collector(tmp_path, **settings) as collector:
        rsyslog.start(*forward_over_tls(collector, pki, auth))
        marker = uuid.uuid4().hex
        rsyslog.log(f"over TLS {marker} xin chào", tag="soc-test")
        rsyslog.log("Failed password for root from 10.20.7.8 port 51022 ssh2", tag="sshd")
        collector.wait_for_events(2)

        (plain,) = collector.store.search(f"message:*{marker}*").events
        assert plain["message"] == f"over TLS {marker} xin chào"
        assert plain["process"]["name"] == "soc-test"
        assert plain["log"]["syslog"]["version"] == "1"
        assert plain["observer"]["ip"] == "127.0.0.1"
        (auth_event,) = collector.store.search("event.dataset:system.auth").events
        assert auth_event["event"]["outcome"] == "failure"
        assert auth_event["source"]["ip"] == "10.20.7.8"
        assert collector.dead_letters() == [], rsyslog.errors()
        assert collector.info()["transport"] == "tls"
        if client_certificates:
            assert collector.info()["tls_subject"] == "agency.test"
        assert collector.counters()["messages"] == 2


def test_client_without_certificate_is_dead_lettered_and_others_go_on(
    tmp_path: Path, pki: Pki
) -> None:
    with running_collector(tmp_path, **tls_settings(pki, client_certificates=True)) as collector:
        # With TLS 1.3 the client learns of the refusal only after it has sent: it may or may
        # not see an error; the server must refuse either way.
        with contextlib.suppress(ssl.SSLError, OSError):
            send_tls(collector, client_context(pki, with_certificate=False), b"<13>no cert")
        send_tls(collector, client_context(pki, with_certificate=True), b"<13>app: with cert")
        assert collector.wait_for(
            lambda: collector.store.count() == 1 and len(collector.dead_letters()) >= 1
        )
        assert collector.store.search("").events[0]["message"] == "with cert"
        record = collector.dead_letters()[0]
        assert record["source"] == "syslog/tls"
        assert record["reason"].startswith("TLS handshake failed: ")
        assert "CERTIFICATE" in record["reason"].upper()
        assert record["peer"].startswith("127.0.0.1:")


def test_plaintext_on_the_tls_port_is_dead_lettered_with_what_was_sent(
    tmp_path: Path, pki: Pki
) -> None:
    logger = shutil.which("logger")
    assert logger, "util-linux logger is needed (apt-get install bsdutils)"
    with running_collector(tmp_path, **tls_settings(pki)) as collector:
        port = str(collector.listener.tls_address[1])  # type: ignore[index]
        subprocess.run(
            [logger, "-n", "127.0.0.1", "-P", port, "-T", "--octet-count", "--rfc5424",
             "-t", "misconfigured", "sent in clear text"],
            check=True, timeout=30,
        )  # fmt: skip
        send_tls(collector, client_context(pki, with_certificate=False), b"<13>app: fine")
        assert collector.wait_for(
            lambda: collector.store.count() == 1 and len(collector.dead_letters()) == 1
        )
        (record,) = collector.dead_letters()
        assert record["reason"] == "plaintext on the TLS port (expected a TLS handshake)"
        assert record["source"] == "syslog/tls"
        assert "misconfigured" in record["raw"] and record["raw"].endswith("sent in clear text")
        assert collector.store.search("").events[0]["message"] == "fine"


def test_a_stalled_handshake_blocks_nobody_and_times_out(tmp_path: Path, pki: Pki) -> None:
    with running_collector(tmp_path, idle_timeout_seconds=1.0, **tls_settings(pki)) as collector:
        stalled = socket.create_connection(collector.listener.tls_address)  # type: ignore[arg-type]
        stalled.sendall(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, then nothing
        context = client_context(pki, with_certificate=False)
        send_tls(collector, context, *(b"<13>app: line %d" % i for i in range(50)))
        collector.wait_for_events(50)
        assert collector.store.count() == 50

        assert collector.wait_for(lambda: len(collector.dead_letters()) == 1)
        (record,) = collector.dead_letters()
        assert record["reason"] == "TLS handshake not completed within 1 s"
        stalled.settimeout(30)
        assert stalled.recv(100) == b""  # the server closed it
        stalled.close()


def test_tls_and_plain_listeners_share_the_pipeline(tmp_path: Path, pki: Pki) -> None:
    with running_collector(tmp_path, **tls_settings(pki)) as collector:
        udp, tcp, tls = collector.listener.addresses
        assert len({udp[1], tcp[1], tls[1]}) >= 2 and tls[1] > 0
        assert [what for what, *_ in collector.listener.endpoints] == [
            "syslog over UDP",
            "syslog over TCP",
            "syslog over TLS",
        ]
        with socket.create_connection(tcp) as plain:
            plain.sendall(b"<13>Mar  5 10:00:00 h app: over tcp\n")
        send_tls(collector, client_context(pki, with_certificate=False), b"<13>app: over tls")
        collector.wait_for_events(2)
        assert {e["message"] for e in collector.store.search("").events} == {
            "over tcp",
            "over tls",
        }


def test_tls_without_a_certificate_is_a_config_error(tmp_path: Path, pki: Pki) -> None:
    with pytest.raises(ConfigError, match="tls_cert_file"):  # noqa: SIM117
        with running_collector(tmp_path, tls_enabled=True, tls_port=0):
            pass
    with pytest.raises(ConfigError, match="no such file"):  # noqa: SIM117
        with running_collector(
            tmp_path, tls_enabled=True, tls_port=0, tls_cert_file=str(tmp_path / "missing.pem")
        ):
            pass


class HeldLoop:
    """The `after_wake` of a SyslogServer: while held, the loop stops between two turns, as it
    does when the sink is too full to take the next event. What clients send meanwhile waits in
    the kernel, not accepted or not read, which is where `close()` must find it."""

    def __init__(self) -> None:
        self._go = threading.Event()
        self._go.set()
        self._held = threading.Event()

    def __call__(self) -> None:
        if not self._go.is_set():
            self._held.set()
            self._go.wait()

    def hold(self) -> None:
        self._go.clear()
        assert self._held.wait(30), "the server loop did not come round"

    def close(self, server: SyslogServer) -> None:
        """`close()` while held, then let go: the loop stops without another turn."""
        threading.Timer(0.3, self._go.set).start()
        server.close()


def all_but_the_last_handshake_message(
    address: tuple[str, int], context: ssl.SSLContext
) -> tuple[socket.socket, ssl.SSLObject, ssl.MemoryBIO]:
    """A TLS 1.3 client that has read the server's whole reply, so that its handshake is done,
    and holds back its own Finished message (in `outgoing`): the test chooses when the server
    gets it, and the messages the client writes behind it."""
    raw = socket.create_connection(address, timeout=30)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="soc.test")
    while True:
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            incoming.write(raw.recv(65536))
            continue
        assert tls.version() == "TLSv1.3"
        return raw, tls, outgoing


def lines(prefix: str, count: int) -> list[bytes]:
    return [f"<13>Mar  5 10:00:00 h app: {prefix} {i}".encode() for i in range(count)]


def test_close_takes_in_what_tls_clients_sent_whatever_their_state(
    tmp_path: Path, pki: Pki
) -> None:
    """At close: a client whose Finished message and messages wait unread behind it, clients
    still in the TLS listener's backlog (their handshakes start at close), and an established
    client with ~800 KB sent: about 50 TLS records, one per read, which the kernels hold (the
    server's receive buffer and the rest in the client's send buffer)."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, flush_interval_seconds=0.05)
    held = HeldLoop()
    server = SyslogServer(
        SyslogSettings(host="127.0.0.1", udp_port=0, tcp_port=0, **tls_settings(pki)),  # type: ignore[arg-type]
        sink=sink,
        tagger=AgencyTagger([LOOPBACK]),
        dead_letter=DeadLetter(tmp_path / "dead-letter.ndjson"),
        after_wake=held,
        max_wait_seconds=0.05,
    ).start()
    address = server.tls_address
    assert address is not None
    context = client_context(pki, with_certificate=False)
    behind, tls, outgoing = all_but_the_last_handshake_message(address, context)
    bulk = context.wrap_socket(
        socket.create_connection(address, timeout=30), server_hostname="soc.test"
    )
    try:
        held.hold()
        tls.write(octet_counted(lines("behind", 20)))
        behind.sendall(outgoing.read())
        behind.shutdown(socket.SHUT_WR)
        bulk.sendall(octet_counted(lines("bulk", 20_000)))
        bulk.shutdown(socket.SHUT_WR)
        waiting = [socket.create_connection(address, timeout=30) for _ in range(3)]
        with ThreadPoolExecutor(len(waiting)) as clients:
            sent = [
                clients.submit(send_over, raw, context, lines("backlog", 20)) for raw in waiting
            ]
            held.close(server)
        sink.flush()
        counts = {p: store.search(f"message:{p}*").total for p in ("behind", "bulk", "backlog")}
        assert counts == {"behind": 20, "bulk": 20_000, "backlog": 60}
        for client in sent:
            client.result()
        assert not (tmp_path / "dead-letter.ndjson").exists()
    finally:
        server.close()
        behind.close()
        bulk.close()
        sink.close()
        store.close()


def test_workers_take_in_tls_connections_still_in_the_backlog_at_close(
    tmp_path: Path, pki: Pki
) -> None:
    """The worker processes run the same loop: closed before they even serve, they accept the
    waiting TLS connections and finish their handshakes, and what the clients send is stored."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, flush_interval_seconds=0.05)
    listener = collectors.syslog.start(
        SyslogSettings(host="127.0.0.1", udp_port=0, tcp_port=0, workers=2, **tls_settings(pki)),  # type: ignore[arg-type]
        sink=sink,
        tagger=AgencyTagger([LOOPBACK]),
        dead_letter=DeadLetter(tmp_path / "dead-letter.ndjson"),
    )
    try:
        waiting = [socket.create_connection(listener.tls_address, timeout=30) for _ in range(3)]  # type: ignore[arg-type]
        context = client_context(pki, with_certificate=False)
        with ThreadPoolExecutor(len(waiting)) as clients:
            sent = [clients.submit(send_over, raw, context, lines("client", 20)) for raw in waiting]
            listener.close()
        sink.flush()
        assert store.count() == 60
        for client in sent:
            client.result()
    finally:
        listener.close()
        sink.close()
        store.close()


def test_a_handshake_that_never_finishes_delays_close_by_about_a_second(
    tmp_path: Path, pki: Pki
) -> None:
    with running_collector(tmp_path, **tls_settings(pki)) as collector:
        address = collector.listener.tls_address
        assert address is not None
        stalled = socket.create_connection(address)
        stalled.sendall(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, then nothing
        silent = socket.create_connection(address)  # connects, never says hello
        assert collector.wait_for(lambda: collector.info().get("transport") == "tls")
        started = time.monotonic()
        collector.listener.close()
        assert time.monotonic() - started < 3  # 1 s allowed, the rest is a busy test machine
        reasons = [record["reason"] for record in collector.dead_letters()]
        assert reasons == ["TLS handshake not completed at shutdown"] * 2
        stalled.close()
        silent.close()
