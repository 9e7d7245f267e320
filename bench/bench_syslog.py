"""Syslog throughput: parse + normalize per format, serialization, the store, then end to end.

Prints figures; asserts nothing (speed depends on the machine and on whoever else shares it).
Run:
    .venv/bin/python bench/bench_syslog.py [--seconds 2] [--messages 100000] [--profile]

Parts:
- per-format and mixed parse + normalize rate (header, content parser, ECS, stamp, agency tag);
- the cost of serializing the documents (orjson) and of the store's `write_batch`;
- end to end over UDP and TCP: a sender process blasts `--messages` lines at a real listener with
  the real sink and a real DuckDB file; we report sent, stored, the rate from the first send to
  the last stored event, and the kernel's UDP `RcvbufErrors` (datagrams dropped for a full socket
  buffer) from /proc/net/snmp;
- `--profile`: cProfile of the whole chain in one thread (parse to `write_batch`), top functions.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import itertools
import multiprocessing
import os
import pstats
import resource
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

import collectors.syslog
from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from collectors.syslog.workers import worker_count
from soc.cli.platform import tune_gc
from soc.config import IngestSettings, SyslogSettings
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.model.event import stamp
from soc.storage.duckdb_store import DuckDBEventStore

AGENCIES = [Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)), Agency("lo", "lo", ("127.0.0.0/8",))]

# One representative line per source kind, as devices send them (see tests/unit/parsers/samples).
CORPUS: dict[str, bytes] = {
    "sshd": b"<38>Mar  5 10:00:01 web01 sshd[1234]: Failed password for invalid user admin from "
    b"10.20.7.8 port 51022 ssh2",
    "sudo": b"<85>Mar  5 10:00:02 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; "
    b"USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
    "iptables": b"<4>Mar  5 10:00:03 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:"
    b"52:54:00:65:43:21:08:00 SRC=203.0.113.9 DST=10.20.1.5 LEN=60 TOS=0x00 PREC=0x00 TTL=51 "
    b"ID=4242 DF PROTO=TCP SPT=51515 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
    "fortigate": b'<189>date=2024-03-05 time=14:02:11 devname="FGT-UBND" devid="FGT60FTK2209ABCD"'
    b' eventtime=1709622131123456789 tz="+0700" logid="0000000013" type="traffic" '
    b'subtype="forward" level="notice" vd="root" srcip=10.20.5.10 srcport=51515 '
    b'srcintf="internal" dstip=203.0.113.50 dstport=443 dstintf="wan1" sessionid=12345 '
    b'proto=6 action="close" policyid=7 service="HTTPS" duration=12 sentbyte=1200 '
    b"rcvdbyte=5400 sentpkt=10 rcvdpkt=12",
    "pfsense": b"<134>Mar  5 10:00:04 filterlog[4242]: 5,,,1000000103,em0,match,block,in,4,0x0,,"
    b"64,54321,0,DF,6,tcp,60,203.0.113.9,10.20.1.5,51515,22,0,S,1234567890,,64240,,mss",
    "cisco_asa": b"<166>Mar 05 2024 10:00:05 asa-fw : %ASA-4-106023: Deny tcp src "
    b'outside:203.0.113.9/51515 dst inside:10.20.1.5/22 by access-group "outside_in" [0x0, 0x0]',
    "panos": b"<14>Mar  5 10:00:06 PA-VM 1,2024/03/05 10:00:06,012801000001,TRAFFIC,end,2561,"
    b"2024/03/05 10:00:06,10.20.1.5,203.0.113.9,198.51.100.7,203.0.113.9,allow-web,,,ssl,vsys1,"
    b"trust,untrust,ethernet1/2,ethernet1/1,fwd,2024/03/05 10:00:06,123456,1,51515,443,40001,"
    b"443,0x400053,tcp,allow,5400,1200,4200,22,2024/03/05 10:00:01,5,computer-and-internet-info"
    b",0,7001,0x0,10.0.0.0-10.255.255.255,United States,0,10,12,tcp-fin,0,0,0,0,,PA-VM,"
    b"from-policy,,,0,,0,,N/A,0,0,0,0",
    "apache": b"<190>Mar  5 10:00:07 web01 apache2: 10.20.9.9 - - [05/Mar/2024:17:00:07 +0700] "
    b'"GET /index.php?id=1 HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (X11; Linux x86_64)"',
    "nginx_error": b"<187>Mar  5 10:00:08 web01 nginx: 2024/03/05 17:00:08 [error] 1234#1234: *5 "
    b'open() "/var/www/html/x.php" failed (2: No such file or directory), client: 10.20.9.9, '
    b'server: example.gov.vn, request: "GET /x.php HTTP/1.1", host: "example.gov.vn"',
    "suricata": b'<14>Mar  5 10:00:09 ids suricata[99]: {"timestamp":"2024-03-05T17:00:09.123456'
    b'+0700","flow_id":1234567890,"in_iface":"eth0","event_type":"alert","src_ip":"203.0.113.9",'
    b'"src_port":51515,"dest_ip":"10.20.1.5","dest_port":80,"proto":"TCP","alert":{"action":'
    b'"allowed","gid":1,"signature_id":2024217,"rev":3,"signature":"ET WEB_SERVER Possible '
    b'SQL Injection","category":"Web Application Attack","severity":1}}',
    "rfc5424_plain": b"<86>1 2024-03-05T10:00:10.5Z gw.soyte.gov.vn cron 4242 CMD "
    b'[meta sequenceId="7"] (root) CMD (run-parts /etc/cron.hourly)',
    "unknown_3164": b"<13>Mar  5 10:00:11 switch-3 port Gi0/1 went down",
    "cef": b"<134>Mar  5 10:00:12 ksc CEF:0|KasperskyLab|SecurityCenter|13.2.0.1511|"
    b"GNRL_EV_VIRUS_FOUND|Virus found|4|rt=1709632812000 dhost=WS-042 dst=10.20.8.42 "
    b"duser=SOYTE\\\\alice cs1Label=Virus cs1=EICAR-Test-File "
    b"filePath=C:\\\\Users\\\\alice\\\\eicar.com act=Deleted",
    "leef": b"<13>Mar  5 10:00:13 qradar LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.20.1.8^"
    b"dst=203.0.113.5^sev=5^srcPort=51515^dstPort=21^proto=TCP^srcBytes=100^dstBytes=2000",
}


def tagger() -> AgencyTagger:
    return AgencyTagger(AGENCIES)


def pipeline(raws: Sequence[bytes], tag: AgencyTagger) -> list[dict]:
    """What the listener does to each message before `sink.put`."""
    received = datetime.now(UTC)
    docs = []
    for raw in raws:
        doc = to_ecs(parse_syslog(raw, received=received), peer_ip="10.20.0.1")
        stamp(doc, dataset="syslog", received=received)
        docs.append(tag.tag(doc))
    return docs


def rate(label: str, seconds: float, step: Callable[[], int], unit: str = "msgs/s") -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += step()
    per_second = done / elapsed
    print(f"  {label:<36} {per_second:>12,.0f} {unit}")
    return per_second


def bench_parse(seconds: float) -> None:
    print("parse + normalize + stamp + tag (one thread):")
    tag = tagger()
    for name, raw in CORPUS.items():
        doc = pipeline([raw], tag)[0]
        batch = [raw] * 200
        label = f"{name} -> {doc['event']['dataset']}"
        rate(label, seconds / 4, lambda batch=batch: len(pipeline(batch, tag)))
    mixed = list(CORPUS.values()) * 20
    rate("mixed", seconds, lambda: len(pipeline(mixed, tag)))


def bench_serialize_and_store(seconds: float) -> None:
    print("after normalize:")
    tag = tagger()
    docs = pipeline(list(CORPUS.values()) * 200, tag)
    rate("orjson.dumps", seconds, lambda: sum(1 for d in docs if orjson.dumps(d)))
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBEventStore(Path(tmp) / "events.duckdb")
        raws = list(CORPUS.values()) * 200

        def write() -> int:
            return store.write_batch(pipeline(raws, tag))

        rate("parse..write_batch (2,400 a batch)", seconds, write)
        fresh = [pipeline(raws, tag) for _ in range(5)]
        start = time.perf_counter()
        written = sum(store.write_batch(batch) for batch in fresh)
        elapsed = time.perf_counter() - start
        print(f"  {'write_batch alone':<36} {written / elapsed:>12,.0f} msgs/s")
        store.close()


def udp_errors() -> int:
    """`RcvbufErrors` of the Udp line in /proc/net/snmp (all sockets of this network namespace)."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    header, values = next(p for p in itertools.pairwise(lines) if p[0][0] == "Udp:")
    return int(values[header.index("RcvbufErrors")])


_TCP_CONNECTIONS = 4  # devices; a connection is parsed by one worker process


def _send(transport: str, address: tuple[str, int], count: int) -> None:
    lines = list(CORPUS.values())
    if transport == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for raw in itertools.islice(itertools.cycle(lines), count):
                sock.sendto(raw, address)
        return
    frames = b"".join(b"%d %s" % (len(raw), raw) for raw in lines)
    per_block = len(lines)
    connections = [socket.create_connection(address) for _ in range(_TCP_CONNECTIONS)]
    for block in range(count // per_block):
        connections[block % _TCP_CONNECTIONS].sendall(frames)
    for sock in connections:
        sock.close()


def _paced_send(address: tuple[str, int], rate: int, seconds: float, sent: Any) -> None:
    """UDP at a fixed `rate` per second for `seconds`, in 5 ms steps; `sent` counts."""
    lines = itertools.cycle(list(CORPUS.values()))
    step = 0.005
    per_step = rate * step
    owed = 0.0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        start = time.perf_counter()
        tick = start
        while tick - start < seconds:
            owed += per_step
            burst = int(owed)
            owed -= burst
            for raw in itertools.islice(lines, burst):
                sock.sendto(raw, address)
            sent.value += burst
            tick += step
            if (pause := tick - time.perf_counter()) > 0:
                time.sleep(pause)


class _Counting:
    """Stands in for the sink and the store (`--no-store`): what the syslog side alone delivers."""

    def __init__(self) -> None:
        self.written = 0

    def put(self, event: dict) -> None:
        self.written += 1

    def close(self) -> None:
        pass

    def count(self) -> int:
        return self.written


class _Listening:
    """A real listener, sink and DuckDB file in a temporary folder."""

    max_batch = IngestSettings.max_batch_size

    def __init__(self, tmp: str, workers: int, *, store: bool = True) -> None:
        if store:
            self.store: Any = DuckDBEventStore(Path(tmp) / "events.duckdb")
            self.sink: Any = BatchingSink(
                self.store,
                batch_size=IngestSettings.batch_size,
                max_batch_size=self.max_batch,
                flush_interval_seconds=0.2,
            )
        else:
            self.store = self.sink = _Counting()
        self.dead_letter = DeadLetter(Path(tmp) / "dead-letter.ndjson")
        self.listener = collectors.syslog.start(
            SyslogSettings(host="127.0.0.1", udp_port=0, tcp_port=0, workers=workers),
            sink=self.sink,
            tagger=tagger(),
            dead_letter=self.dead_letter,
        )
        if worker_count(workers) > 1:  # start-up is not work: wait for the workers
            self.listener.wait_ready(60)
            time.sleep(0.5)

    def wait(self, expected: int, *, errors_before: int, quiet_seconds: float = 5.0) -> float:
        """Until stored + kernel drops reach `expected`, or nothing moved for `quiet_seconds`;
        returns the time of the last stored event (perf_counter)."""
        stored, last_change = -1, time.perf_counter()
        while time.perf_counter() - last_change < quiet_seconds:
            now_stored = self.sink.written
            if now_stored != stored:
                stored, last_change = now_stored, time.perf_counter()
            if stored >= expected:
                break
            # Drops count machine-wide (another program's too): trust them only once storing
            # has also been still for a second.
            still = time.perf_counter() - last_change >= 1.0
            if still and stored + udp_errors() - errors_before >= expected:
                break
            time.sleep(0.05)
        return last_change

    def close(self) -> int:
        self.listener.close()
        self.sink.close()
        stored = self.store.count()
        self.store.close()
        return stored


def cpu_seconds(listener: object) -> float:
    """CPU time of this process (every thread, DuckDB's included) and of the syslog workers."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in getattr(listener, "pids", []):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def bench_end_to_end(transport: str, count: int, workers: int, *, store: bool = True) -> float:
    """Peak rate: the sender blasts `count` messages as fast as it can. Also the CPU time the
    listener side spent per stored event, which, unlike the rate, hardly depends on what else
    runs on the machine."""
    with tempfile.TemporaryDirectory() as tmp:
        running = _Listening(tmp, workers, store=store)
        address = running.listener.addresses[0 if transport == "udp" else 1]
        if transport == "tcp":
            count -= count % len(CORPUS)
        errors_before = udp_errors()
        cpu_before = cpu_seconds(running.listener)
        start = time.perf_counter()
        sender = multiprocessing.Process(target=_send, args=(transport, address, count))
        sender.start()
        sender.join()
        sent_seconds = time.perf_counter() - start
        elapsed = running.wait(count, errors_before=errors_before) - start
        cpu = cpu_seconds(running.listener) - cpu_before
        stored = running.close()
    dropped = udp_errors() - errors_before
    print(
        f"  {transport} workers={workers}{'' if store else ' no store'}: sent {count:,} in "
        f"{sent_seconds:.2f} s, stored "
        f"{stored:,} ({stored / count:.1%}) in {elapsed:.2f} s = {stored / elapsed:,.0f} msgs/s"
        + (f"; kernel RcvbufErrors +{dropped:,}" if transport == "udp" else "")
        + f"; CPU {cpu / max(stored, 1) * 1e6:.0f} us per stored event"
    )
    return stored / elapsed


def soak(seconds: float, rate: int, workers: int) -> None:
    """Fixed-rate UDP for `seconds`: sent against stored, kernel drops, and how far storing lags
    behind sending (printed every 10 s)."""
    with tempfile.TemporaryDirectory() as tmp:
        running = _Listening(tmp, workers)
        sent = multiprocessing.Value("q", 0, lock=False)
        errors_before = udp_errors()
        start = time.perf_counter()
        sender = multiprocessing.Process(
            target=_paced_send, args=(running.listener.addresses[0], rate, seconds, sent)
        )
        sender.start()
        while sender.is_alive():
            sender.join(10)
            print(
                f"  {time.perf_counter() - start:5.0f} s: sent {sent.value:,}, stored "
                f"{running.sink.written:,}, RcvbufErrors +{udp_errors() - errors_before:,}",
                flush=True,
            )
        send_seconds = time.perf_counter() - start
        total = sent.value
        last = running.wait(total, errors_before=errors_before)
        stored = running.close()
        dead = running.dead_letter.count
    dropped = udp_errors() - errors_before
    print(
        f"syslog soak, workers={workers}: {rate:,}/s for {seconds:g} s: sent {total:,} "
        f"({total / send_seconds:,.0f}/s), stored {stored:,} ({stored / max(total, 1):.2%}), "
        f"kernel RcvbufErrors +{dropped:,}, dead letters {dead}, last event stored "
        f"{last - start - send_seconds:.1f} s after the last send"
    )


def profile(count: int) -> None:
    tag = tagger()
    raws = list(CORPUS.values())
    batches = [raws * 160 for _ in range(max(1, count // (len(raws) * 160)))]
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBEventStore(Path(tmp) / "events.duckdb")
        profiler = cProfile.Profile()
        profiler.enable()
        for batch in batches:
            store.write_batch(pipeline(batch, tag))
        profiler.disable()
        store.close()
    print(f"profile of parse..write_batch, {sum(map(len, batches)):,} messages:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", choices=["parse", "store", "e2e"], default=None)
    parser.add_argument(
        "--workers",
        default="1,2",
        help="syslog.workers values to compare end to end, comma-separated (default 1,2)",
    )
    parser.add_argument(
        "--no-store", action="store_true", help="e2e without sink and store: the syslog side"
    )
    parser.add_argument(
        "--no-gc-tuning",
        action="store_true",
        help="leave this (storing) process's GC as Python starts it, not as `soc serve` sets it",
    )
    parser.add_argument(
        "--max-batch",
        type=int,
        default=IngestSettings.max_batch_size,
        help="the most one sink write takes from a backlog",
    )
    parser.add_argument("--soak", type=float, metavar="SECONDS", help="fixed-rate UDP soak")
    parser.add_argument("--rate", type=int, default=25_000, help="soak messages per second")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    if not args.no_gc_tuning:
        tune_gc()
    _Listening.max_batch = args.max_batch
    if args.soak:
        for count in workers:
            soak(args.soak, args.rate, count)
        return
    if args.only in (None, "parse"):
        bench_parse(args.seconds)
    if args.only in (None, "store"):
        bench_serialize_and_store(args.seconds)
    if args.only in (None, "e2e"):
        target = "the parent's sink (no store)" if args.no_store else "DuckDB"
        print(f"end to end ({args.messages:,} messages, socket -> {target}):")
        for transport in ("udp", "tcp"):
            rates = {
                w: bench_end_to_end(transport, args.messages, w, store=not args.no_store)
                for w in workers
            }
            if len(rates) > 1:
                first, *rest = rates
                ratios = ", ".join(f"workers={w}: {rates[w] / rates[first]:.2f}x" for w in rest)
                print(f"  {transport}: against workers={first}: {ratios}")
    if args.profile:
        profile(args.messages)


if __name__ == "__main__":
    main()
