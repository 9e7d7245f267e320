"""The generator against real receiving sockets on 127.0.0.1, read by the real parsers."""

from __future__ import annotations

import base64
import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from collectors.demo import DEMO_AGENCIES, DEMO_SITES, DemoTraffic
from collectors.netflow.decode import V5Record, decode
from collectors.syslog.framing import Frame, StreamFramer
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.enrich.agency import AgencyTagger
from soc.errors import ConfigError
from soc.model.event import Event, get_field, parse_timestamp, utcnow

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@dataclass
class Received:
    syslog: list[tuple[str, str, bytes]] = field(default_factory=list)  # (transport, peer, raw)
    tcp_streams: list[bytes] = field(default_factory=list)
    netflow: list[tuple[str, bytes]] = field(default_factory=list)

    def events(self) -> list[Event]:
        tagger = AgencyTagger(DEMO_AGENCIES)
        return [
            tagger.tag(to_ecs(parse_syslog(raw, received=utcnow()), peer_ip=peer))
            for _transport, peer, raw in self.syslog
        ]

    def flows(self) -> list[V5Record]:
        return [r for peer, d in self.netflow for r in decode(d, exporter=peer).records]


class Receivers:
    """A syslog UDP socket, a syslog TCP listening socket and a NetFlow UDP socket on 127.0.0.1.

    Nothing reads while the generator sends: the kernel completes TCP handshakes into the
    backlog and queues the bytes, and loopback UDP is queued when `sendto` returns. So once the
    generator has closed its sockets, `collect` reads everything, deterministically.
    """

    def __init__(self) -> None:
        self.udp = self._udp_socket()
        self.netflow = self._udp_socket()
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(128)
        self.tcp.setblocking(False)

    @staticmethod
    def _udp_socket() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        return sock

    def traffic(self, seed: int = 7) -> DemoTraffic:
        return DemoTraffic(
            syslog=self.udp.getsockname(),
            syslog_tcp=self.tcp.getsockname(),
            netflow=self.netflow.getsockname(),
            seed=seed,
        )

    def collect(self) -> Received:
        """Everything sent so far; call after the generator closed its sockets."""
        received = Received()
        for data, peer in self._drain(self.udp):
            received.syslog.append(("udp", peer, data))
        received.netflow = list((peer, data) for data, peer in self._drain(self.netflow))
        while True:
            try:
                connection, (peer, _port) = self.tcp.accept()
            except BlockingIOError:
                break
            with connection:
                connection.settimeout(10)
                stream = b"".join(iter(lambda c=connection: c.recv(65536), b""))
            received.tcp_streams.append(stream)
            framer = StreamFramer(1 << 20)
            for frame in [*framer.feed(stream), *framer.finish()]:
                assert isinstance(frame, Frame)
                received.syslog.append(("tcp", peer, frame.payload))
        return received

    @staticmethod
    def _drain(sock: socket.socket) -> Iterator[tuple[bytes, str]]:
        while True:
            try:
                data, (peer, _port) = sock.recvfrom(65535)
            except BlockingIOError:
                return
            yield data, peer

    def close(self) -> None:
        for sock in (self.udp, self.netflow, self.tcp):
            sock.close()


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    r = Receivers()
    yield r
    r.close()


@pytest.fixture
def attacks(receivers: Receivers) -> tuple[list[str], Received]:
    traffic = receivers.traffic()
    descriptions = traffic.send_attacks()
    traffic.close()
    return descriptions, receivers.collect()


def _by_source(events: list[Event]) -> dict[str, list[Event]]:
    groups: dict[str, list[Event]] = {}
    for event in events:
        groups.setdefault(get_field(event, "source.ip"), []).append(event)
    return groups


def test_ssh_brute_force_is_at_least_12_failed_passwords_from_one_source(
    attacks: tuple[list[str], Received],
) -> None:
    descriptions, received = attacks
    failed = [
        e
        for e in received.events()
        if get_field(e, "event.dataset") == "system.auth"
        and get_field(e, "system.auth.ssh.event") == "Failed"
        and get_field(e, "event.outcome") == "failure"
    ]
    (attacker, events), *others = _by_source(failed).items()
    assert not others
    assert len(events) >= 12
    assert attacker in descriptions[0]
    assert {get_field(e, "organization.id") for e in events} == {"so-tttt"}  # round 0, site 0
    times = sorted(parse_timestamp(e["@timestamp"]) for e in events)
    assert times[-1] - times[0] < timedelta(seconds=10)
    assert abs(utcnow() - times[-1]) < timedelta(minutes=1)


def test_port_scan_is_at_least_25_denied_ports_from_one_source(
    attacks: tuple[list[str], Received],
) -> None:
    _, received = attacks
    denied = [
        e
        for e in received.events()
        if get_field(e, "event.dataset") == "fortinet.firewall"
        and get_field(e, "event.action") == "deny"
    ]
    ((attacker, events),) = _by_source(denied).items()
    assert len({get_field(e, "destination.port") for e in events}) >= 25
    assert {get_field(e, "organization.id") for e in events} == {"so-yte"}
    assert {get_field(e, "observer.name") for e in events} == {"FGT-SYT"}
    # The router saw the same scan: SYN-only flows from the attacker.
    syn_flows = [f for f in received.flows() if f.src_addr == attacker]
    assert len(syn_flows) == len(events)
    assert {(f.tcp_flags, f.packets) for f in syn_flows} == {(0x02, 1)}


def test_web_shell_request_is_answered_200(attacks: tuple[list[str], Received]) -> None:
    _, received = attacks
    shells = [
        e
        for e in received.events()
        if get_field(e, "event.dataset") == "apache.access"
        and str(get_field(e, "url.path")).endswith(("/shell.php", "/c99.php", "/cmd.aspx"))
    ]
    (event,) = shells
    assert get_field(event, "url.query").startswith("cmd=")
    assert get_field(event, "http.response.status_code") == 200
    assert get_field(event, "organization.id") == "ubnd-haichau"


def test_suspicious_powershell_is_a_sysmon_process_creation_over_tcp(
    attacks: tuple[list[str], Received],
) -> None:
    _, received = attacks
    (event,) = [
        e
        for e in received.events()
        if get_field(e, "event.dataset") == "windows.sysmon_operational"
    ]
    assert get_field(event, "event.code") == "1"
    assert get_field(event, "process.executable").endswith("\\powershell.exe")
    command = get_field(event, "process.command_line")
    assert " -nop -w hidden -enc " in command
    assert "DownloadString" in base64.b64decode(command.split()[-1]).decode("utf-16-le")
    assert get_field(event, "process.parent.executable").endswith("\\WINWORD.EXE")
    assert get_field(event, "organization.id") == "so-gddt"
    # Octet-counted, as RFC 5425 senders frame JSON that may contain anything.
    assert any(stream[:1].isdigit() for stream in received.tcp_streams)


def test_router_logging_off_is_an_outside_login_then_the_logged_command(
    attacks: tuple[list[str], Received],
) -> None:
    descriptions, received = attacks
    router = [e for e in received.events() if get_field(e, "event.dataset") == "cisco.ios"]
    login, command = sorted(router, key=lambda e: get_field(e, "event.sequence"))
    assert get_field(login, "event.code") == "LOGIN_SUCCESS"
    attacker = get_field(login, "source.ip")
    assert attacker.startswith(("203.0.113.", "198.51.100.", "192.0.2."))
    assert get_field(command, "event.code") == "CFGLOG_LOGGEDCMD"
    assert get_field(command, "cisco.ios.command") == "no logging host 10.100.0.10"
    assert get_field(command, "user.name") == get_field(login, "user.name")
    assert {get_field(e, "host.name") for e in router} == {"rt-stttt"}
    assert {get_field(e, "organization.id") for e in router} == {"so-tttt"}  # round 0, wrapped
    assert attacker in descriptions[4]
    # the router's own clock, local time with its zone, is the event's time
    moment = parse_timestamp(command["@timestamp"])
    assert abs(utcnow() - moment) < timedelta(minutes=1)


def test_vpn_password_spray_is_a_dozen_refusals_for_eight_accounts_from_one_source(
    attacks: tuple[list[str], Received],
) -> None:
    descriptions, received = attacks
    refused = [
        e
        for e in received.events()
        if get_field(e, "event.dataset") == "fortinet.firewall"
        and get_field(e, "event.action") == "ssl-login-fail"
    ]
    ((attacker, events),) = _by_source(refused).items()
    assert len(events) >= 12
    assert len({get_field(e, "user.name") for e in events}) == 8
    assert all("authentication" in get_field(e, "event.category") for e in events)
    assert {get_field(e, "event.outcome") for e in events} == {"failure"}
    assert {get_field(e, "organization.id") for e in events} == {"so-yte"}  # round 0, wrapped
    assert {get_field(e, "observer.name") for e in events} == {"FGT-SYT"}
    assert attacker in descriptions[5]


def test_background_uses_both_transports_both_headers_and_every_source(
    receivers: Receivers,
) -> None:
    traffic = receivers.traffic()
    for _ in range(5):
        traffic.send_background(40)
    traffic.close()
    received = receivers.collect()

    headers = {
        (transport, parse_syslog(raw, received=utcnow()).version)
        for transport, _peer, raw in received.syslog
    }
    assert {("udp", None), ("tcp", 1)} <= headers  # RFC 3164 over UDP, RFC 5424 over TCP
    events = received.events()
    datasets = {get_field(e, "event.dataset") for e in events}
    assert datasets == {
        "system.auth",
        "fortinet.firewall",
        "apache.access",
        "windows.sysmon_operational",
        "cisco.ios",
    }
    assert {get_field(e, "organization.id") for e in events} == {a.id for a in DEMO_AGENCIES}
    assert all(get_field(e, "organization.id") for e in events)
    assert {get_field(e, "event.action") for e in events if "fortinet" in e} >= {"close"}
    assert len(received.flows()) >= 5 * len(DEMO_SITES) * 5
    assert traffic.sent["background"] == len(received.syslog) + len(received.flows())


def test_every_packet_comes_from_an_agency_loopback_address(receivers: Receivers) -> None:
    traffic = receivers.traffic()
    traffic.send_background(40)
    traffic.send_attacks()
    traffic.close()
    received = receivers.collect()

    peers = {peer for _t, peer, _raw in received.syslog} | {p for p, _d in received.netflow}
    assert all(ipaddress.ip_address(peer) in LOOPBACK for peer in peers)
    tagger = AgencyTagger(DEMO_AGENCIES)
    assert {tagger.lookup(peer).id for peer in peers} == {a.id for a in DEMO_AGENCIES}


@pytest.mark.parametrize("host", ["10.0.0.1", "0.0.0.0", "192.0.2.1", "::1", "example.org"])
def test_only_ipv4_loopback_targets_are_accepted(host: str) -> None:
    with pytest.raises(ConfigError, match="only sends to IPv4 loopback"):
        DemoTraffic(syslog=(host, 5514), netflow=("127.0.0.1", 2055))
    with pytest.raises(ConfigError):
        DemoTraffic(syslog=("127.0.0.1", 5514), netflow=(host, 2055))


def test_unknown_agencies_are_rejected() -> None:
    from soc.model.agency import Agency

    with pytest.raises(ConfigError, match="no demo network"):
        DemoTraffic(
            syslog=("127.0.0.1", 5514),
            netflow=("127.0.0.1", 2055),
            agencies=[Agency("so-khac", "Sở khác", ("10.99.0.0/16",))],
        )


def test_a_listener_that_is_down_costs_messages_not_the_generator(free_port) -> None:
    port = free_port()  # nothing listens here, on TCP or UDP
    traffic = DemoTraffic(syslog=("localhost", port), netflow=("127.0.0.1", port), seed=1)
    traffic.send_attacks()
    traffic.close()
    assert traffic.failed["suspicious_powershell"] == 1  # TCP: connection refused
    assert traffic.sent["port_scan"] >= 25  # UDP has no refusal to report


def test_run_starts_attacking_at_once_and_stops_when_told(receivers: Receivers) -> None:
    traffic = receivers.traffic()
    stop = threading.Event()
    runner = threading.Thread(
        target=traffic.run, args=(stop,), kwargs={"first_attack_after_seconds": 0}
    )
    runner.start()
    try:
        for _ in range(200):
            if traffic.sent["suspicious_powershell"]:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
    received = receivers.collect()  # run() closed the sockets: the TCP streams ended
    assert traffic.sent["ssh_brute_force"] >= 12
    assert any(
        get_field(e, "event.dataset") == "windows.sysmon_operational" for e in received.events()
    )
