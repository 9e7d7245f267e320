"""Real parts for syslog integration tests: a listener over a real DuckDB file, a throwaway PKI
made with the `openssl` command, and a throwaway foreground `rsyslogd` fed through its own unix
socket by util-linux `logger` (Debian packages: rsyslog, rsyslog-openssl, openssl, bsdutils)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import collectors.syslog
from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from collectors.syslog import SyslogServer
from collectors.syslog.workers import WorkerPool
from soc.config import SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.model.sources import SourceRegistry
from soc.storage.duckdb_store import DuckDBEventStore

LOOPBACK = Agency("trung-tam", "Trung tâm giám sát", ("127.0.0.0/8",))
WAIT_SECONDS = 30


@dataclass
class Collector:
    listener: SyslogServer | WorkerPool
    store: DuckDBEventStore
    sink: BatchingSink
    dead_letter: DeadLetter
    sources: SourceRegistry

    def wait_for(self, done: Callable[[], bool]) -> bool:
        """Wait (not a timing assertion) until the listener has handled what was sent."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not done() and time.monotonic() < deadline:
            self.sink.flush()
            time.sleep(0.02)
        self.sink.flush()
        return done()

    def wait_for_events(self, count: int) -> None:
        self.wait_for(lambda: self.store.count() >= count)

    def dead_letters(self) -> list[dict]:
        if not self.dead_letter.path.exists():
            return []
        return [json.loads(line) for line in self.dead_letter.path.read_text().splitlines()]

    def counters(self, ip: str = "127.0.0.1") -> dict[str, int]:
        found = [s for s in self.sources.snapshot() if s.kind == "syslog" and s.key == ip]
        return dict(found[0].counters) if found else {}

    def info(self, ip: str = "127.0.0.1") -> dict[str, str]:
        found = [s for s in self.sources.snapshot() if s.kind == "syslog" and s.key == ip]
        return dict(found[0].info) if found else {}


@contextmanager
def running_collector(
    tmp_path: Path,
    *,
    idle_timeout_seconds: float = 300.0,
    batch_size: int = 100,
    **settings: object,
) -> Iterator[Collector]:
    values: dict[str, object] = {"host": "127.0.0.1", "udp_port": 0, "tcp_port": 0, "workers": 1}
    values.update(settings)
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=batch_size, flush_interval_seconds=0.05)
    dead_letter = DeadLetter(tmp_path / "dead-letter.ndjson")
    sources = SourceRegistry()
    listener = collectors.syslog.start(
        SyslogSettings(**values),  # type: ignore[arg-type]
        sink=sink,
        tagger=AgencyTagger([LOOPBACK]),
        dead_letter=dead_letter,
        sources=sources,
        idle_timeout_seconds=idle_timeout_seconds,
    )
    try:
        yield Collector(listener, store, sink, dead_letter, sources)
    finally:
        listener.close()
        sink.close()
        store.close()


@dataclass(frozen=True)
class Pki:
    """A CA, a server certificate for `soc.test`/127.0.0.1 and a client certificate."""

    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ca.pem"

    def cert(self, name: str) -> Path:
        return self.folder / f"{name}.pem"

    def key(self, name: str) -> Path:
        return self.folder / f"{name}.key"

    @classmethod
    def create(cls, folder: Path) -> Pki:
        folder.mkdir(parents=True, exist_ok=True)
        pki = cls(folder)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _openssl("req", "-x509", *ec, "-keyout", pki.key("ca"), "-out", pki.ca, "-days", "2",
                 "-subj", "/CN=SOC Test CA")  # fmt: skip
        for name, alt in (("server", "DNS:soc.test,IP:127.0.0.1"), ("client", "DNS:agency.test")):
            csr = folder / f"{name}.csr"
            ext = folder / f"{name}.ext"
            ext.write_text(f"subjectAltName={alt}\n")
            _openssl("req", *ec, "-keyout", pki.key(name), "-out", csr,
                     "-subj", f"/CN={alt.split(',')[0].removeprefix('DNS:')}")  # fmt: skip
            _openssl("x509", "-req", "-in", csr, "-CA", pki.ca, "-CAkey", pki.key("ca"),
                     "-CAcreateserial", "-out", pki.cert(name), "-days", "2",
                     "-extfile", ext)  # fmt: skip
        return pki


def _openssl(*args: object) -> None:
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command is needed (apt-get install openssl)"
    subprocess.run([openssl, *map(str, args)], check=True, capture_output=True, timeout=60)


@dataclass
class Rsyslog:
    """A foreground rsyslogd with its own config, pid file, work directory and input socket."""

    folder: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def socket(self) -> Path:
        return self.folder / "log.sock"

    def start(self, *config: str) -> Rsyslog:
        rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
        assert Path(rsyslogd).exists(), "rsyslog is needed (apt-get install rsyslog)"
        work = self.folder / "work"
        work.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "rsyslog.conf"
        conf.write_text(
            "\n".join(
                [
                    f'global(workDirectory="{work}")',
                    'module(load="imuxsock" SysSock.Use="off")',
                    f'input(type="imuxsock" Socket="{self.socket}" CreatePath="on")',
                    *config,
                ]
            )
            + "\n"
        )
        self.process = subprocess.Popen(
            [rsyslogd, "-n", "-f", str(conf), "-i", str(self.folder / "rsyslogd.pid")],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "rsyslogd.err").open("wb"),
        )
        deadline = time.monotonic() + WAIT_SECONDS
        while not self.socket.exists():
            assert self.process.poll() is None, (self.folder / "rsyslogd.err").read_text()
            assert time.monotonic() < deadline, "rsyslogd did not open its input socket"
            time.sleep(0.05)
        return self

    def log(self, message: str, *, tag: str = "app") -> None:
        """Hand one message to rsyslogd the way a local program would."""
        logger = shutil.which("logger")
        assert logger, "util-linux logger is needed (apt-get install bsdutils)"
        subprocess.run(
            [logger, "-u", str(self.socket), "--socket-errors=on", "-t", tag, message],
            check=True,
            timeout=30,
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def errors(self) -> str:
        path = self.folder / "rsyslogd.err"
        return path.read_text(errors="replace") if path.exists() else ""
