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
from collectors.demo.devices import FlowsOut, Outgoing, SiteDevices
from collectors.demo.flow_export import Exporter
from soc.errors import ConfigError
from soc.model.agency import Agency
from soc.model.event import utcnow

log = logging.getLogger(__name__)

Address = tuple[str, int]


class DemoTraffic:
    """Simulated agencies sending syslog (UDP and TCP) and NetFlow v5 to the listeners.

    `syslog` is the UDP address, `syslog_tcp` the TCP one (default: the same host and port).
    All must be IPv4 loopback addresses (pass 127.0.0.1 when a listener binds 0.0.0.0).
    `seed` makes the traffic reproducible.
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
        self._targets: dict[str, Address] = {}
        for name, (host, port) in (
            ("udp", syslog),
            ("tcp", syslog_tcp or syslog),
            ("netflow", netflow),
        ):
            address = _ipv4_loopback(host)
            if address is None:
                raise ConfigError(
                    f"the demo only sends to IPv4 loopback addresses, not {host!r}",
                    where=f"demo {name} target",
                )
            self._targets[name] = (address, port)
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
        self.sent: Counter[str] = Counter()  # events (syslog messages, flows) by scenario
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
        """Release the sockets (`run` does so when it returns); the next send reopens them.

        Not for use while `run` is sending in another thread: stop it with its event instead.
        """
        for sock in (*self._udp.values(), *self._tcp.values()):
            sock.close()
        self._udp.clear()
        self._tcp.clear()

    # -- sockets -------------------------------------------------------------------------------

    def _send(self, messages: list[Outgoing]) -> None:
        for message in messages:
            if isinstance(message, FlowsOut):
                target, count = self._targets["netflow"], len(message.flows)
                datagrams = self._exporter(message.sender).datagrams(message.flows, now=utcnow())
                delivered = all(self._send_udp(message.sender, target, d) for d in datagrams)
            elif message.transport == "udp":
                target, count = self._targets["udp"], 1
                delivered = self._send_udp(message.sender, target, message.data)
            else:
                target, count = self._targets["tcp"], 1
                delivered = self._send_tcp(message.sender, target, message.data)
            if delivered:
                self.sent[message.scenario] += count
            else:
                self.failed[message.scenario] += count

    def _exporter(self, sender: str) -> Exporter:
        if sender not in self._exporters:
            engine_id = int(sender.split(".")[1])
            uptime_ms = self._rng.randrange(3_600_000, 7 * 24 * 3_600_000)
            self._exporters[sender] = Exporter(engine_id=engine_id, uptime_ms=uptime_ms)
        return self._exporters[sender]

    def _send_udp(self, sender: str, target: Address, data: bytes) -> bool:
        sock = self._udp.get(sender)
        if sock is None:
            sock = self._udp[sender] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            _bind_sender(sock, sender)
        try:
            sock.sendto(data, target)
        except OSError as exc:
            self._warn_once(target, exc)
            return False
        return True

    def _send_tcp(self, sender: str, target: Address, data: bytes) -> bool:
        try:
            sock = self._tcp.get(sender)
            if sock is None:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                self._tcp[sender] = sock
                sock.settimeout(5.0)
                _bind_sender(sock, sender)
                sock.connect(target)
            sock.sendall(data)
        except OSError as exc:
            dropped = self._tcp.pop(sender, None)
            if dropped is not None:
                dropped.close()
            self._warn_once(target, exc)
            return False
        return True

    def _warn_once(self, target: Address, exc: OSError) -> None:
        if not self.failed:
            log.warning("demo traffic to %s:%d failed (listener down?): %s", *target, exc)


def _ipv4_loopback(host: str) -> str | None:
    """The address to send to, if `host` names IPv4 loopback (the senders are 127.x too)."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return host if address.version == 4 and address.is_loopback else None


def _bind_sender(sock: socket.socket, sender: str) -> None:
    """Send from the device's own loopback address; where only 127.0.0.1 exists (macOS), the
    events still arrive, attributed by their content's addresses alone."""
    try:
        sock.bind((sender, 0))
    except OSError:
        log.debug("cannot bind %s; sending from the default loopback address", sender)
