"""A remote site end to end: syslog in at the site, over HTTPS to a province server process
that is killed mid-stream and restarted; every event arrives exactly once.

Real everything: the site's syslog listener and spool (`collectors.forwarder.collect`), a
province server in its own process (`province_server.py`) with a DuckDB file and a SQLite case
store, TLS with a throwaway CA, SIGKILL for the crash.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import province_server
from province_harness import SITE_ID, prepare_cases, province_settings
from syslog_harness import Pki

from collectors.forwarder import CollectOptions, collect
from soc.config import IngestSettings, NetflowSettings, Settings, StorageSettings, SyslogSettings
from soc.storage.duckdb_store import DuckDBEventStore

MESSAGES = 600


def _eventually(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class ProvinceProcess:
    def __init__(self, data_dir: Path, port: int, pki: Pki) -> None:
        self.args = [
            sys.executable,
            province_server.__file__,
            str(data_dir),
            str(port),
            str(pki.cert("server")),
            str(pki.key("server")),
        ]
        self.port = port
        self.context = ssl.create_default_context(cafile=str(pki.ca))
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        assert ready.startswith("ready"), ready

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no flushing, no goodbye
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()

    def event_count(self) -> int:
        url = f"https://127.0.0.1:{self.port}/healthz"
        try:
            with urllib.request.urlopen(url, context=self.context, timeout=5) as response:
                return int(json.load(response)["counts"]["events"])
        except OSError:
            return -1


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _send(port: int, first: int, last: int, pause_seconds: float) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as tcp:
        for n in range(first, last):
            tcp.sendall(f"<13>1 2026-03-02T08:00:00Z web01 app - - - msg-{n}\n".encode())
            time.sleep(pause_seconds)


def test_every_event_arrives_once_across_a_server_crash(tmp_path: Path, free_port) -> None:
    pki = Pki.create(tmp_path / "pki")
    province_dir = tmp_path / "province"
    token = prepare_cases(province_settings(province_dir))
    province = ProvinceProcess(province_dir, free_port(), pki)
    province.start()

    site_port = free_port()
    site = replace(
        Settings(),
        storage=StorageSettings(data_dir=str(tmp_path / "site")),
        syslog=SyslogSettings(host="127.0.0.1", udp_port=site_port, tcp_port=site_port),
        netflow=NetflowSettings(enabled=False),
        ingest=IngestSettings(batch_size=25, flush_interval_seconds=0.2),
    )
    options = CollectOptions(
        server_url=f"https://127.0.0.1:{province.port}", token=token, ca_file=str(pki.ca)
    )
    stop = threading.Event()
    collector = threading.Thread(target=collect, args=(site, options, stop), daemon=True)
    collector.start()
    spool = tmp_path / "site" / "spool"
    assert _eventually(lambda: _accepts(site_port))

    sender = threading.Thread(target=_send, args=(site_port, 0, MESSAGES, 0.004), daemon=True)
    try:
        sender.start()
        assert _eventually(lambda: province.event_count() >= 100)
        province.kill()  # mid-stream: the site keeps receiving syslog
        assert _eventually(lambda: any(spool.glob("seg-*.ndjson")))  # batches wait on disk
        province.start()
        sender.join(60)
        assert not sender.is_alive()
        assert _eventually(lambda: province.event_count() == MESSAGES, 120)
    finally:
        stop.set()
        collector.join(60)
        province.stop()
    assert not collector.is_alive()
    assert not list(spool.glob("seg-*.ndjson"))

    store = DuckDBEventStore(province_dir / "events.duckdb", read_only=True)
    events = store.search("", limit=None).events
    store.close()
    per_message = Counter(e.get("message") for e in events)
    assert per_message == Counter(f"msg-{n}" for n in range(MESSAGES))
    assert len({e["event"]["id"] for e in events}) == MESSAGES
    assert {e["organization"]["id"] for e in events} == {"so-yte"}
    assert {e["agent"]["name"] for e in events} == {SITE_ID}


COLLECT = """
import argparse, sys
from soc.cli import remote
parser = argparse.ArgumentParser()
parser.add_argument("--config")
remote.register(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
sys.exit(args.run(args))
"""


class CollectProcess:
    """`soc collect` in its own process, stopped with SIGTERM like a service manager does."""

    def __init__(self, site_dir: Path, syslog_port: int, server: str, token_file: Path, ca: Path):
        self.args = [sys.executable, "-c", COLLECT, "collect", "--server", server]
        self.args += ["--token-file", str(token_file), "--ca-file", str(ca)]
        self.env = {
            **os.environ,
            "SOC_STORAGE__DATA_DIR": str(site_dir),
            "SOC_SYSLOG__HOST": "127.0.0.1",
            "SOC_SYSLOG__UDP_PORT": str(syslog_port),
            "SOC_SYSLOG__TCP_PORT": str(syslog_port),
            "SOC_NETFLOW__ENABLED": "false",
            "SOC_INGEST__FLUSH_INTERVAL_SECONDS": "0.2",
        }
        self.port = syslog_port

    def run_until_stopped(self, send: Callable[[], None]) -> str:
        process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.PIPE, text=True)
        try:
            assert _eventually(lambda: _accepts(self.port))
            send()
        finally:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=120)
        assert process.returncode == 0, out
        return out


def test_soc_collect_keeps_its_spool_across_restarts(tmp_path: Path, free_port) -> None:
    pki = Pki.create(tmp_path / "pki")
    province_dir = tmp_path / "province"
    token_file = tmp_path / "site.token"
    token_file.write_text(prepare_cases(province_settings(province_dir)) + "\n")
    province = ProvinceProcess(province_dir, free_port(), pki)
    site_port = free_port()
    collector = CollectProcess(
        tmp_path / "site", site_port, f"https://127.0.0.1:{province.port}", token_file, pki.ca
    )
    spool = tmp_path / "site" / "spool"

    # The province is down: the batches wait in the spool when the collector stops.
    def while_down() -> None:
        _send(site_port, 0, 30, 0)
        assert _eventually(lambda: any(spool.glob("seg-*.ndjson")))

    last = collector.run_until_stopped(while_down).splitlines()[-1]
    assert last.startswith("stopped: 0 events delivered")
    assert any(spool.glob("seg-*.ndjson"))

    def when_back() -> None:
        assert _eventually(lambda: province.event_count() == 30)  # the spool of the last run
        _send(site_port, 30, 50, 0)
        assert _eventually(lambda: province.event_count() == 50)

    province.start()
    try:
        last = collector.run_until_stopped(when_back).splitlines()[-1]
    finally:
        province.stop()
    assert last == "stopped: 50 events delivered, 0 batches kept in the spool, 0 dead-lettered"


def test_soc_collect_says_what_each_listening_address_takes(tmp_path: Path, free_port) -> None:
    pki = Pki.create(tmp_path / "pki")
    token_file = tmp_path / "site.token"
    token_file.write_text("not-used-before-a-batch-is-sent\n")
    site_port, netflow_port, ipfix_port = free_port(), free_port(), free_port()
    collector = CollectProcess(
        tmp_path / "site", site_port, f"https://127.0.0.1:{free_port()}", token_file, pki.ca
    )
    collector.env |= {
        "SOC_NETFLOW__ENABLED": "true",
        "SOC_NETFLOW__PORT": str(netflow_port),
        "SOC_NETFLOW__TCP_ENABLED": "true",
        "SOC_NETFLOW__TCP_PORT": str(ipfix_port),
    }
    out = collector.run_until_stopped(lambda: None)
    assert [line for line in out.splitlines() if "listening" in line] == [
        f"  listening for syslog over UDP on 127.0.0.1:{site_port}",
        f"  listening for syslog over TCP on 127.0.0.1:{site_port}",
        f"  listening for NetFlow v5/v9 and IPFIX over UDP on 127.0.0.1:{netflow_port}",
        f"  listening for IPFIX over TCP on 127.0.0.1:{ipfix_port}",
    ]
