"""The demo traffic generator: real packets over loopback to the running listeners.

It never touches a store: everything it produces goes through the same sockets, parsers and
sink as an agency's devices would, so `soc demo` exercises the whole platform. Each device has
its own socket bound to its loopback address (one UDP socket, or one TCP connection, per
device), as each real device would. A listener that is down costs the messages sent to it (a
warning is logged, the count kept in `failed`), never the generator.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Sequence

from collectors.demo.agencies import DEMO_AGENCIES, DEMO_SITES
from collectors.demo.attacks import attack_round
from collectors.demo.background import background
from collectors.demo.devices import FlowsOut, Outgoing, SiteDevices, SyslogOut
from collectors.demo.flow_export import Exporter
from soc.errors import ConfigError
from soc.model.agency import Agency
from soc.model.event import utcnow

log = logging.getLogger(__name__)

Address = tuple[str, int]


class DemoTraffic:
    """Simulated agencies sending syslog (UDP and TCP) and NetFlow v5 to the listeners.

    `syslog` is the UDP address, `syslog_tcp` the TCP one (default: the same host and port).
    All of them must be loopback addresses. `seed` makes the traffic reproducible.
    """

    def __init__(
        self,
        *,
        syslog: Address,
        netflow: Address,
        syslog_tcp: Address | None = None,
        agencies: Sequence[Agency] = DEMO_AGENCIES,
        seed: int | None = None,
    ) -> None:
        self._targets = {"udp": syslog, "tcp": syslog_tcp or syslog, "netflow": netflow}
        for name, (host, _port) in self._targets.items():
            if not _is_loopback(host):
                raise ConfigError(
                    f"the demo only sends to loopback addresses, not {host!r}",
                    where=f"demo {name} target",
                )
        sites = {site.agency.id: site for site in DEMO_SITES}
        unknown = [a.id for a in agencies if a.id not in sites]
        if unknown:
            raise ConfigError(f"no demo network for agencies {unknown}", where="demo agencies")
        self._rng = random.Random(seed)
        self._sites = [SiteDevices(sites[a.id], self._rng) for a in agencies]
        self._exporters: dict[str, Exporter] = {}
        self._udp: dict[str, socket.socket] = {}
        self._tcp: dict[str, socket.socket] = {}
        self._rounds = 0
        self.sent: Counter[str] = Counter()  # messages (syslog) or datagrams (netflow) by scenario
        self.failed: Counter[str] = Counter()

    def send_background(self, messages: int = 20) -> None:
        """About `messages` normal syslog messages spread over the agencies, and their flows."""
        now = utcnow()
        per_site = max(1, messages // len(self._sites))
        for devices in self._sites:
            self._send(background(devices, self._rng, now=now, messages=per_site))

    def send_attacks(self) -> list[str]:
        """One round of every attack scenario, each against another agency; what was done."""
        out, descriptions = attack_round(
            self._sites, self._rng, now=utcnow(), round_number=self._rounds
        )
        self._rounds += 1
        self._send(out)
        for description in descriptions:
            log.info("demo attack: %s", description)
        return descriptions

    def run(
        self,
        stop: threading.Event,
        *,
        messages_per_second: int = 20,
        first_attack_after_seconds: float = 5.0,
        attack_interval_seconds: float = 30.0,
    ) -> None:
        """Send until `stop` is set: background every second, attack rounds on schedule."""
        started = time.monotonic()
        next_attack = started + first_attack_after_seconds
        try:
            while not stop.is_set():
                tick = time.monotonic()
                self.send_background(messages_per_second)
                if tick >= next_attack:
                    self.send_attacks()
                    next_attack += attack_interval_seconds
                stop.wait(max(0.0, 1.0 - (time.monotonic() - tick)))
        finally:
            self.close()

    def close(self) -> None:
        for sock in (*self._udp.values(), *self._tcp.values()):
            sock.close()
        self._udp.clear()
        self._tcp.clear()

    # -- sockets -------------------------------------------------------------------------------

    def _send(self, messages: list[Outgoing]) -> None:
        for message in messages:
            if isinstance(message, FlowsOut):
                exporter = self._exporter(message.sender)
                for datagram in exporter.datagrams(message.flows, now=utcnow()):
                    self._send_udp(message.sender, self._targets["netflow"], datagram, message)
            elif message.transport == "udp":
                self._send_udp(message.sender, self._targets["udp"], message.data, message)
            else:
                self._send_tcp(message)

    def _exporter(self, sender: str) -> Exporter:
        if sender not in self._exporters:
            engine_id = int(sender.split(".")[1])
            uptime_ms = self._rng.randrange(3_600_000, 7 * 24 * 3_600_000)
            self._exporters[sender] = Exporter(engine_id=engine_id, uptime_ms=uptime_ms)
        return self._exporters[sender]

    def _send_udp(self, sender: str, target: Address, data: bytes, message: Outgoing) -> None:
        sock = self._udp.get(sender)
        if sock is None:
            sock = self._udp[sender] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            _bind_sender(sock, sender)
        try:
            sock.sendto(data, target)
        except OSError as exc:
            self._failure(message, target, exc)
        else:
            self.sent[message.scenario] += 1

    def _send_tcp(self, message: SyslogOut) -> None:
        target = self._targets["tcp"]
        try:
            sock = self._tcp.get(message.sender)
            if sock is None:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                self._tcp[message.sender] = sock
                sock.settimeout(5.0)
                _bind_sender(sock, message.sender)
                sock.connect(target)
            sock.sendall(message.data)
        except OSError as exc:
            dropped = self._tcp.pop(message.sender, None)
            if dropped is not None:
                dropped.close()
            self._failure(message, target, exc)
        else:
            self.sent[message.scenario] += 1

    def _failure(self, message: Outgoing, target: Address, exc: OSError) -> None:
        if not self.failed:
            log.warning("demo traffic to %s:%d failed (listener down?): %s", *target, exc)
        self.failed[message.scenario] += 1


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind_sender(sock: socket.socket, sender: str) -> None:
    """Send from the device's own loopback address; where only 127.0.0.1 exists (macOS), the
    events still arrive, attributed by their content's addresses alone."""
    try:
        sock.bind((sender, 0))
    except OSError:
        log.debug("cannot bind %s; sending from the default loopback address", sender)
