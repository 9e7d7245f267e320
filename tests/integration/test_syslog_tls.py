"""Syslog over TLS (RFC 5425) end to end: real rsyslog with its OpenSSL driver, Python TLS
clients, a throwaway CA made with `openssl`, a real DuckDB file."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from syslog_harness import Collector, Pki, Rsyslog, running_collector

from soc.errors import ConfigError


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


def client_context(pki: Pki, *, with_certificate: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.check_hostname = False
    if with_certificate:
        context.load_cert_chain(str(pki.cert("client")), str(pki.key("client")))
    return context


def send_tls(collector: Collector, context: ssl.SSLContext, *frames: bytes) -> None:
    """Octet-counted frames, then an orderly close: half-close and read to the end, so that the
    session tickets TLS 1.3 sends after the handshake are read (closing with them unread makes
    the kernel reset the connection, and a reset discards what the server has not read yet)."""
    raw = socket.create_connection(collector.listener.tls_address)  # type: ignore[arg-type]
    with context.wrap_socket(raw, server_hostname="soc.test") as tls:
        for frame in frames:
            tls.sendall(b"%d %s" % (len(frame), frame))
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
