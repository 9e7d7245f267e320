"""Live detection latency: from a syslog line reaching the listener to its alert in the API.

Starts `soc serve` as a user would (its own process, real sockets, the stores in a temporary
folder, the default 5-second detection interval), sends web-shell requests one at a time as
Apache access lines over UDP syslog, and times each until `/healthz` counts its alert. Prints
p50, p95 and the maximum; one probe at a time, at a random point of the detection cycle.

    .venv/bin/python bench/bench_detection_latency.py [--rules DIR ...] [--probes N] [--compare]

Rules default to the settings' `detection.rules_dirs` (everything shipped under `rules/`).
`--compare` first measures the same with the scheduler's batched pre-check switched off (every
rule's statement on every pass, as before it), then as shipped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", port))  # free for UDP too (the listeners bind both)
    return port


def alerts(ui_port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/healthz", timeout=5) as reply:
            return int(json.load(reply)["counts"]["alerts"])
    except OSError:
        return None


def probe_line(n: int) -> bytes:
    """An Apache access line the shipped web-shell rule matches; a new client address each time
    so every probe is its own alert."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    ip = f"203.0.{n // 250}.{n % 250 + 1}"
    message = f'{ip} - - [{stamp}] "GET /uploads/shell.php?cmd=id HTTP/1.1" 200 512 "-" "curl/8.5"'
    header = time.strftime("%b %d %H:%M:%S", time.gmtime())
    return f"<134>{header} web01 apache: {message}".encode()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", action="append", help="rule folders (default: settings)")
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args(argv[1:])
    if args.compare:
        print("without the batched pre-check:")
        if measure(args, SERVE_WITHOUT_PRECHECK):
            return 1
        print("as shipped:")
    return measure(args, SERVE)


SERVE = ["-m", "soc.cli", "serve"]
SERVE_WITHOUT_PRECHECK = [
    "-c",
    "import soc.detection.scheduler as s; s.quiet_rules = lambda *a, **k: set(); "
    "from soc.cli import main; main(['serve'])",
]


def measure(args: argparse.Namespace, command: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        ui_port, syslog_port = free_port(), free_port()
        env = dict(os.environ)
        env.update(
            {
                "SOC_STORAGE__DATA_DIR": str(Path(tmp) / "var"),
                "SOC_UI__PORT": str(ui_port),
                "SOC_SYSLOG__UDP_PORT": str(syslog_port),
                "SOC_SYSLOG__TCP_PORT": str(syslog_port),
                "SOC_NETFLOW__PORT": str(free_port()),
            }
        )
        if args.rules:
            env["SOC_DETECTION__RULES_DIRS"] = ",".join(args.rules)
        server = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return run_probes(server, ui_port, syslog_port, args)
        finally:
            server.terminate()
            server.wait(30)


def run_probes(
    server: subprocess.Popen[bytes], ui_port: int, syslog_port: int, args: argparse.Namespace
) -> int:
    started = time.monotonic()
    while alerts(ui_port) is None:
        if server.poll() is not None or time.monotonic() - started > args.startup_timeout:
            print("soc serve did not come up", file=sys.stderr)
            return 1
        time.sleep(0.5)
    print(f"soc serve answering after {time.monotonic() - started:.1f} s")
    time.sleep(10)  # past the first detection pass over the empty store
    latencies = []
    rng = random.Random(7)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for n in range(args.probes):
            before = alerts(ui_port) or 0
            sent = time.monotonic()
            udp.sendto(probe_line(n), ("127.0.0.1", syslog_port))
            while (alerts(ui_port) or 0) <= before:
                if time.monotonic() - sent > 120:
                    print(f"probe {n}: no alert after 120 s", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            latencies.append(time.monotonic() - sent)
            time.sleep(rng.uniform(0, 5))  # land at another point of the detection cycle
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(
        f"{len(latencies)} probes: p50 {statistics.median(latencies):.2f} s, "
        f"p95 {p95:.2f} s, max {latencies[-1]:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
