"""End to end, socket to queryable row: peak rate and a no-loss soak (prints figures; asserts
nothing).

    .venv/bin/python bench/bench_soak.py --kind netflow [--mode peak|soak|both]
        [--kinds v5,v9,ipfix] [--seconds 60] [--rate 50000] [--peak-seconds 10]
        [--batch 2000] [--max-batch 20000] [--no-gc-tuning]

The sink's batch sizes default to the platform's (`ingest.batch_size`, `ingest.max_batch_size`)
and the GC is tuned as `soc serve` tunes it, so the figures are the product's.

A real listener (`collectors.netflow.start`) on 127.0.0.1 feeds a real `BatchingSink` into a
real DuckDB file store. The sender is a separate process (so it does not share the collector's
GIL) sending pre-built datagrams from one UDP socket, as one exporter would:

- peak: each of `--kinds` (default v5 and ipfix; v5: 30 flows per datagram, v9 and IPFIX: 25
  flows, softflowd's template, re-sent every 20 datagrams) paced at `--peak-rate` (default twice
  the goal) for `--peak-seconds`; the figure is rows stored per second, from the first datagram
  to the last row (what the collector cannot take, the kernel drops). Not flat out: a sender
  spinning on a core of two starves the collector and measures the sender.
- soak: each of `--kinds` (default v5) paced at `--rate` flows/s (default 50,000: half the
  issue's goal of 100,000) for `--seconds`; then sent against stored rows and the delta of the
  kernel's UDP `RcvbufErrors` (/proc/net/snmp; machine-wide, so another program's drops count
  too).

`--kind syslog`: the same peak and soak for the syslog listener with its default worker
processes, bench_syslog.py's mixed device lines over UDP (see `run_syslog`; the soak's default
rate is then 25,000 messages/s, half the goal).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_netflow import (
    RECORDS_PER_DATAGRAM,
    TEMPLATE_RECORDS,
    datagram,
    template_datagram,
)

import collectors.netflow
from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from soc.cli.platform import tune_gc
from soc.config import IngestSettings, NetflowSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.storage.duckdb_store import DuckDBEventStore

GOAL_FLOWS_PER_SECOND = 100_000
AGENCY = Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",))


def rcvbuf_errors() -> int:
    """The kernel's UDP RcvbufErrors counter (all sockets of this network namespace)."""
    lines = Path("/proc/net/snmp").read_text().splitlines()
    names, values = [line.split() for line in lines if line.startswith("Udp:")][:2]
    return int(values[names.index("RcvbufErrors")])


def thread_cpu_seconds() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process, by native thread id."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            found[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def netflow_datagrams(kind: str) -> tuple[list[bytes], int]:
    """(datagrams to cycle through, flows in each)."""
    if kind == "v5":
        return [datagram(i) for i in range(100)], RECORDS_PER_DATAGRAM
    version = {"v9": 9, "ipfix": 10}[kind]
    return (
        [template_datagram(version, i, with_template=i % 20 == 0) for i in range(100)],
        TEMPLATE_RECORDS,
    )


def _send(
    address: tuple[str, int],
    kind: str,
    rate: float | None,
    seconds: float,
    result: multiprocessing.Queue,
) -> None:
    """Sender process: cycle through the datagrams, paced to `rate` flows/s (None: flat out)."""
    data, per = netflow_datagrams(kind)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    per_second = None if rate is None else rate / per
    sent, start = 0, time.perf_counter()
    send, n = sock.sendto, len(data)
    while (elapsed := time.perf_counter() - start) < seconds:
        due = 1_000_000_000 if per_second is None else int(elapsed * per_second) + 1
        burst = 0
        while sent < due and burst < 64:
            try:
                send(data[sent % n], address)
            except BlockingIOError:
                break
            sent += 1
            burst += 1
        if per_second is not None and sent >= due:
            time.sleep(0.0005)
    sock.close()
    result.put((sent, sent * per, time.perf_counter() - start))


@dataclass
class Run:
    sent_flows: int
    stored: int
    send_seconds: float
    store_seconds: float  # first datagram to the last row stored
    rcvbuf_errors: int
    receive_buffer_bytes: int
    dead_letters: int
    cpu: dict[str, float]  # CPU seconds: listener thread, sink writer thread, the rest (DuckDB)


def run_netflow(kind: str, rate: float | None, seconds: float, batch: tuple[int, int]) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBEventStore(Path(tmp) / "events.duckdb")
        sink = BatchingSink(
            store, batch_size=batch[0], max_batch_size=batch[1], flush_interval_seconds=0.5
        )
        dead = Path(tmp) / "dead-letter.ndjson"
        listener = collectors.netflow.start(
            NetflowSettings(host="127.0.0.1", port=0),
            sink=sink,
            tagger=AgencyTagger([AGENCY]),
            dead_letter=DeadLetter(dead),
        )
        result: multiprocessing.Queue = multiprocessing.Queue()
        sender = multiprocessing.get_context("fork").Process(
            target=_send, args=(listener.addresses[0], kind, rate, seconds, result)
        )
        errors_before = rcvbuf_errors()
        cpu_before = thread_cpu_seconds()
        start = time.perf_counter()
        sender.start()
        _, sent_flows, send_seconds = result.get()
        sender.join()
        stored, last_change = 0, time.perf_counter()
        while time.perf_counter() - last_change < 2.0:  # drained: nothing new for two seconds
            sink.flush(0.5)
            time.sleep(0.1)
            if (now_stored := sink.written) != stored:
                stored, last_change = now_stored, time.perf_counter()
        errors = rcvbuf_errors() - errors_before
        cpu_after = thread_cpu_seconds()
        spent = {tid: cpu_after[tid] - cpu_before.get(tid, 0.0) for tid in cpu_after}
        listener_id = listener._thread.native_id
        writer_id = sink._thread.native_id
        cpu = {
            "listener": spent.get(listener_id, 0.0),
            "writer": spent.get(writer_id, 0.0),
            "other": sum(v for t, v in spent.items() if t not in (listener_id, writer_id)),
        }
        listener.close()
        sink.close()
        stored = store.count()
        store.close()
        dead_letters = len(dead.read_text().splitlines()) if dead.exists() else 0
        return Run(
            sent_flows,
            stored,
            send_seconds,
            last_change - start,
            errors,
            listener.receive_buffer_bytes,
            dead_letters,
            cpu,
        )


def _cpu(run: Run) -> str:
    per_flow = sum(run.cpu.values()) / max(run.stored, 1) * 1e6
    listener = run.cpu["listener"] / max(run.stored, 1) * 1e6
    return (
        "CPU s: "
        + ", ".join(f"{k} {v:.1f}" for k, v in run.cpu.items())
        + f"; per stored flow {per_flow:.1f} us, listener {listener:.1f} us"
    )


def peak(kinds: list[str], rate: float, seconds: float, batch: tuple[int, int]) -> None:
    for kind in kinds:
        run = run_netflow(kind, rate, seconds, batch)
        print(
            f"peak {kind:<6} stored {run.stored / run.store_seconds:>9,.0f} flows/s"
            f"  (offered {run.sent_flows / run.send_seconds:,.0f}/s, stored {run.stored:,} of "
            f"{run.sent_flows:,}, RcvbufErrors +{run.rcvbuf_errors:,}; goal "
            f"{GOAL_FLOWS_PER_SECOND:,}; {_cpu(run)})",
            flush=True,
        )


def soak(kinds: list[str], rate: float, seconds: float, batch: tuple[int, int]) -> None:
    for kind in kinds:
        _soak(kind, rate, seconds, batch)


def _soak(kind: str, rate: float, seconds: float, batch: tuple[int, int]) -> None:
    run = run_netflow(kind, rate, seconds, batch)
    lost = run.sent_flows - run.stored
    print(
        f"soak {kind} at {rate:,.0f} flows/s for {seconds:.0f} s: sent {run.sent_flows:,} "
        f"({run.sent_flows / run.send_seconds:,.0f}/s), stored {run.stored:,}, "
        f"lost {lost:,} ({lost / max(run.sent_flows, 1):.2%}), RcvbufErrors "
        f"+{run.rcvbuf_errors:,}, drained {run.store_seconds - run.send_seconds:.1f} s after "
        f"the last datagram, receive buffer {run.receive_buffer_bytes:,} bytes, "
        f"dead letters {run.dead_letters}, {_cpu(run)} -> {'NO LOSS' if lost == 0 else 'LOSS'}",
        flush=True,
    )


SYSLOG_GOAL_PER_SECOND = 50_000


def run_syslog(mode: str, rate: float, seconds: float, peak_seconds: float) -> None:
    """`--kind syslog`: bench_syslog.py's mixed device lines over UDP into a real listener with
    its default worker processes (`syslog.workers` 0: one per CPU), sink and DuckDB file.
    peak: `--peak-seconds` (at most 2) worth of the goal, blasted flat out as bench_syslog.py's
    e2e does, since what the receive buffer absorbs is part of the figure (sent against stored,
    the rate of storing, kernel drops, CPU per stored event); soak: `--rate` messages/s for
    `--seconds` (default 25,000, half the goal), sent against stored, `RcvbufErrors` delta."""
    import bench_syslog

    if mode in ("peak", "both"):
        count = int(SYSLOG_GOAL_PER_SECOND * min(peak_seconds, 2.0))
        print(f"syslog peak, {count:,} messages blasted over UDP:", flush=True)
        bench_syslog.bench_end_to_end("udp", count, 0)
    if mode in ("soak", "both"):
        bench_syslog.soak(seconds, int(rate), 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("netflow", "syslog"), default="netflow")
    parser.add_argument(
        "--kinds",
        help="NetFlow traffic, comma-separated among v5, v9, ipfix (default: peak v5,ipfix; "
        "soak v5)",
    )
    parser.add_argument("--mode", choices=("peak", "soak", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=60.0, help="soak duration")
    parser.add_argument("--rate", type=float, default=GOAL_FLOWS_PER_SECOND / 2)
    parser.add_argument("--peak-seconds", type=float, default=10.0)
    parser.add_argument("--peak-rate", type=float, default=GOAL_FLOWS_PER_SECOND * 2)
    parser.add_argument(
        "--batch", type=int, default=IngestSettings.batch_size, help="sink batch size"
    )
    parser.add_argument(
        "--max-batch",
        type=int,
        default=IngestSettings.max_batch_size,
        help="the most one sink write takes from a backlog",
    )
    parser.add_argument(
        "--no-gc-tuning", action="store_true", help="leave the GC as Python starts it"
    )
    args = parser.parse_args(argv)
    if not args.no_gc_tuning:
        tune_gc()  # as `soc serve` does
    if args.kind == "syslog":
        rate = args.rate if args.rate != GOAL_FLOWS_PER_SECOND / 2 else SYSLOG_GOAL_PER_SECOND / 2
        run_syslog(args.mode, rate, args.seconds, args.peak_seconds)
        return 0
    batches = (args.batch, args.max_batch)
    kinds = args.kinds.split(",") if args.kinds else None
    if kinds and not set(kinds) <= {"v5", "v9", "ipfix"}:
        parser.error(f"--kinds: unknown {', '.join(sorted(set(kinds) - {'v5', 'v9', 'ipfix'}))}")
    runners: dict[str, Callable[[], None]] = {
        "peak": lambda: peak(kinds or ["v5", "ipfix"], args.peak_rate, args.peak_seconds, batches),
        "soak": lambda: soak(kinds or ["v5"], args.rate, args.seconds, batches),
    }
    for mode in ("peak", "soak") if args.mode == "both" else (args.mode,):
        runners[mode]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
