"""A real NetFlow collector for integration tests, and the real exporter and reference collector.

`running_collector` binds our listener on 127.0.0.1 with a real sink into a real DuckDB file;
`softflowd` exports a pcap's flows as v5, v9 or IPFIX; `nfdump_flows` runs nfcapd on a port
and returns what nfdump decoded, the reference our totals must equal.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
            port=0,
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


def softflowd(pcap: Path, port: int, version: int) -> None:
    # -a: pcap timestamps, so both runs export identical flows; -c none: no control socket.
    command = ["softflowd", "-d", "-a", "-r", str(pcap), "-n", f"127.0.0.1:{port}"]
    subprocess.run(
        [*command, "-v", str(version), "-c", "none"],
        check=True,
        capture_output=True,
        timeout=120,
    )


def nfdump_flows(spool: Path, port: int, pcaps: list[Path], version: int) -> list[dict]:
    """What nfcapd received from softflowd exporting `pcaps`, as nfdump's JSON records."""
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
        for pcap in pcaps:
            softflowd(pcap, port, version)
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
