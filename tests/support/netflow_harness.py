"""A real NetFlow collector for integration tests, real exporters and the reference collector.

`running_collector` binds our listener on 127.0.0.1 with a real sink into a real DuckDB file;
`softflowd` and `pmacctd` (pmacct's NetFlow probe) export a pcap's flows as v5, v9 or IPFIX;
`nfdump_flows` runs nfcapd on a port and returns what nfdump decoded, the reference our flows
must equal (compared by `nfdump_key` against `our_key`).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scapy.layers.inet import ICMP, IP, TCP, UDP, fragment
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6, IPv6ExtHdrFragment, fragment6
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

import collectors.netflow
from collectors.deadletter import DeadLetter
from collectors.netflow.server import NetflowListener
from collectors.sink import BatchingSink
from soc.config import NetflowSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.model.sources import SourceRegistry
from soc.storage.duckdb_store import DuckDBEventStore

AGENCY = Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",))
RECEIVE_BUFFER_BYTES = 150_000  # below Linux's default rmem_max, so the kernel grants it


@dataclass
class Collector:
    listener: NetflowListener
    store: DuckDBEventStore
    sink: BatchingSink
    dead_letter: DeadLetter
    sources: SourceRegistry

    @property
    def address(self) -> tuple[str, int]:
        return self.listener.addresses[0]

    def send(self, datagram: bytes, *, source_ip: str = "127.0.0.1") -> None:
        """From a loopback address of choice: 127.0.0.2 is a second exporter."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.bind((source_ip, 0))
            sender.sendto(datagram, self.address)

    def wait_for(self, done: Callable[[], bool]) -> None:
        """Wait (not a timing assertion) until the listener thread has handled what was sent."""
        deadline = time.monotonic() + 30
        while not done() and time.monotonic() < deadline:
            self.sink.flush()
            time.sleep(0.02)
        self.sink.flush()

    def flows(self, query: str = "event.dataset:netflow.log") -> list[dict]:
        return self.store.search(query, limit=None).events

    def counters(self, exporter: str = "127.0.0.1") -> dict[str, int]:
        found = [s for s in self.sources.snapshot() if (s.kind, s.key) == ("netflow", exporter)]
        return found[0].counters if found else {}

    def info(self, exporter: str = "127.0.0.1") -> dict[str, str]:
        found = [s for s in self.sources.snapshot() if (s.kind, s.key) == ("netflow", exporter)]
        return found[0].info if found else {}


@contextmanager
def running_collector(
    tmp_path: Path,
    *,
    templates_path: Path | None = None,
    tagger: AgencyTagger | None = None,
    **settings: float,
) -> Iterator[Collector]:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=500, flush_interval_seconds=0.05)
    dead_letter = DeadLetter(tmp_path / "dead-letter.ndjson")
    sources = SourceRegistry()
    listener = collectors.netflow.start(
        NetflowSettings(
            host="127.0.0.1",
            port=int(settings.pop("port", 0)),
            receive_buffer_bytes=int(settings.pop("receive_buffer_bytes", RECEIVE_BUFFER_BYTES)),
            **settings,  # type: ignore[arg-type]
        ),
        sink=sink,
        tagger=tagger or AgencyTagger([AGENCY]),
        dead_letter=dead_letter,
        sources=sources,
        templates_path=templates_path,
    )
    try:
        yield Collector(listener, store, sink, dead_letter, sources)
    finally:
        listener.close()
        sink.close()
        store.close()


def udp_receive_queue(port: int) -> int | None:
    """Bytes waiting in the socket bound to `port` (from /proc), None while nothing is bound."""
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            return int(fields[4].split(":")[1], 16)
    return None


def softflowd(pcap: Path, port: int, version: int, *, transport: str = "udp") -> None:
    # -a: pcap timestamps, so both runs export identical flows; -c none: no control socket.
    command = ["softflowd", "-d", "-a", "-r", str(pcap), "-n", f"127.0.0.1:{port}"]
    subprocess.run(
        [*command, "-v", str(version), "-c", "none", "-P", transport],
        check=True,
        capture_output=True,
        timeout=120,
    )


def pmacctd(
    pcap: Path, port: int, version: int, primitives: Sequence[str], **config: str | int
) -> None:
    """pmacct's NetFlow probe (`pmacctd` with the `nfprobe` plugin) exporting `pcap`'s flows,
    keyed by `primitives` (its `aggregate`), with any further configuration keys. It sleeps
    2 s before reading a capture and exits once it has exported every flow.

    About one run in a hundred pmacctd 1.7.7 exits 1 at the end of a capture: the core sees its
    plugin end (after the plugin's orderly "Shutting down on user request", which exports every
    flow) before it has finished stopping it, and calls the plugin lost (seen in CI, and twice
    in ~60 runs here). That is the same complete export. (`pcap_savefile_wait` with a SIGINT of
    our own avoided the exit code, but in about one run of twenty 30 of the capture's
    one-packet flows came out with two packets each.)"""
    settings = {
        "daemonize": "false",
        "pcap_savefile": str(pcap),
        "plugins": "nfprobe",
        "nfprobe_receiver": f"127.0.0.1:{port}",
        "nfprobe_version": version,
        "aggregate": ", ".join(primitives),
        **config,
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pmacctd.conf"
        path.write_text("".join(f"{key}: {value}\n" for key, value in settings.items()))
        done = subprocess.run(
            ["pmacctd", "-f", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    log = done.stdout + done.stderr
    raced = "Shutting down on user request" in log and "no more plugins active" in log
    assert done.returncode == 0 or (done.returncode == 1 and raced and "ERROR" not in log), log


def nfdump_flows(spool: Path, port: int, export: Callable[[int], None]) -> list[dict]:
    """What nfcapd received on `port` while `export(port)` ran, as nfdump's JSON records."""
    spool.mkdir()
    nfcapd = subprocess.Popen(
        ["nfcapd", "-b", "127.0.0.1", "-p", str(port), "-w", str(spool), "-B", "4194304"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while udp_receive_queue(port) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        export(port)
        # SIGTERM makes nfcapd write what it has read; wait until it has read everything.
        while udp_receive_queue(port) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        nfcapd.terminate()
        nfcapd.wait(timeout=30)
    dumped = subprocess.run(
        ["nfdump", "-R", str(spool), "-o", "json"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "UTC"},
        timeout=120,
    )
    return json.loads(dumped.stdout or "[]")


def captured_exports(export: Callable[[int], None]) -> list[tuple[float, int, bytes]]:
    """The datagrams `export(port)` sent to a socket on 127.0.0.1, as (arrival time, source
    port, payload): an exporter's real bytes, for writing into a capture."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        sock.bind(("127.0.0.1", 0))
        export(sock.getsockname()[1])
        sock.setblocking(False)
        datagrams = []
        while True:
            try:
                payload, (_, port) = sock.recvfrom(65535)
            except BlockingIOError:
                return datagrams
            datagrams.append((time.time(), port, payload))


def write_capture(
    path: Path,
    datagrams: Sequence[tuple[float, int, bytes]],
    *,
    to_port: int = 2055,
    fragment_size: int | None = None,
    ipv6: bool = False,
) -> Path:
    """A pcap of UDP datagrams from 127.0.0.1 (or ::1) to the same address's `to_port`, at their
    times; with `fragment_size`, each split into IPv4 (IPv6) fragments of at most that many
    payload bytes, as a router on a 1,500-byte path splits a larger export."""
    frames = []
    for number, (moment, port, payload) in enumerate(datagrams):
        if ipv6:
            ip = IPv6(src="::1", dst="::1")
            if fragment_size is not None:
                ip = ip / IPv6ExtHdrFragment(id=number + 1)
        else:
            ip = IP(src="127.0.0.1", dst="127.0.0.1", id=number + 1)
        datagram = ip / UDP(sport=port, dport=to_port) / Raw(payload)
        if fragment_size is None:
            pieces = [datagram]
        elif ipv6:
            pieces = fragment6(datagram, fragment_size + 48)  # fragment6 counts the headers
        else:
            pieces = fragment(datagram, fragment_size)
        for piece in pieces:
            frame = Ether() / piece
            frame.time = moment
            frames.append(frame)
    wrpcap(str(path), frames)
    return path


NFDUMP_FLAGS = "CEUAPRSF"  # nfdump prints TCP flags from bit 7 down to bit 0, "." when unset


def nfdump_key(flow: dict, *, with_times: bool, uncoded: frozenset[int] = frozenset()) -> tuple:
    """A flow as nfdump printed it: addresses, protocol, ports (ICMP: 0 and type * 256 + code,
    None for the protocols in `uncoded`, where nfdump misreads them), packets, bytes, TCP flags,
    and with `with_times` its first and last times."""
    if flow["proto"] in uncoded:
        ports: tuple = (None, None)
    elif flow["proto"] in (1, 58):
        ports = (0, flow.get("icmp_type", 0) * 256 + flow.get("icmp_code", 0))
    else:
        ports = (flow["src_port"], flow["dst_port"])
    key = (
        flow.get("src4_addr") or flow["src6_addr"],
        flow.get("dst4_addr") or flow["dst6_addr"],
        flow["proto"],
        *ports,
        flow["in_packets"],
        flow["in_bytes"],
        flow.get("tcp_flags", "........"),
    )
    return (*key, flow["first"], flow["last"]) if with_times else key


def our_key(event: dict, *, with_times: bool, uncoded: frozenset[int] = frozenset()) -> tuple:
    """A stored flow event in `nfdump_key`'s shape."""
    nf = event["netflow"]
    flags = "".join(
        name if nf.get("tcp_control_bits", 0) >> (7 - i) & 1 else "."
        for i, name in enumerate(NFDUMP_FLAGS)
    )
    protocol = nf["protocol_identifier"]
    if protocol in uncoded:
        ports: tuple = (None, None)
    elif protocol in (1, 58):
        family = "ipv4" if protocol == 1 else "ipv6"
        ports = (0, nf[f"icmp_type_{family}"] * 256 + nf[f"icmp_code_{family}"])
    else:
        ports = (nf["source_transport_port"], nf["destination_transport_port"])
    key = (
        event["source"]["ip"],
        event["destination"]["ip"],
        protocol,
        *ports,
        event["network"]["packets"],
        event["network"]["bytes"],
        flags,
    )
    if not with_times:
        return key
    return (
        *key,
        event["event"]["start"].removesuffix("Z"),
        event["event"]["end"].removesuffix("Z"),
    )


def many_flows_pcap(path: Path, packets: int = 2_500) -> Path:
    """IPv4 TCP/UDP/ICMP and IPv6 TCP/UDP/ICMPv6 flows, most of them one packet long."""
    rng = random.Random(7)
    frames, moment = [], 1_700_000_000.0
    for i in range(packets):
        moment += rng.uniform(0.0005, 0.004)
        ether = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        v4 = IP(src=f"10.20.{i % 200}.{i // 200 % 250 + 1}", dst=f"203.0.113.{i % 60 + 1}")
        v6 = IPv6(src=f"2001:db8:20::{i % 400 + 1:x}", dst=f"2001:db8:ffff::{i % 9 + 1:x}")
        payload = Raw(b"x" * rng.randrange(0, 400))
        match i % 8:
            case 0 | 1 | 2:
                flags = rng.choice(["S", "SA", "A", "PA", "FA", "R"])
                frame = ether / v4 / TCP(sport=20_000 + i, dport=443, flags=flags) / payload
            case 3:
                frame = ether / v4 / UDP(sport=30_000 + i, dport=53) / payload
            case 4:
                frame = ether / v4 / ICMP(type=rng.choice([0, 3, 8, 11]), code=i % 4) / payload
            case 5:
                frame = ether / v6 / TCP(sport=40_000 + i % 20_000, dport=22, flags="PA") / payload
            case 6:
                frame = ether / v6 / UDP(sport=50_000 + i % 10_000, dport=123) / payload
            case _:
                frame = ether / v6 / ICMPv6EchoRequest(id=i) / payload
        frame.time = moment
        frames.append(frame)
    wrpcap(str(path), frames)
    return path
