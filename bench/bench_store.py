"""Event store write and search rates on this machine (prints figures; asserts nothing).

    .venv/bin/python bench/bench_store.py [--events 200000] [--batch 5000]

Writes NetFlow- and syslog-shaped ECS events in batches to a DuckDB file, then re-sends one
batch (the idempotent retry path) and runs a few searches. `orjson.dumps` alone is printed as
the floor of what Python must spend per event, so the ratio shows how much the store adds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import orjson

from soc.model.event import Event, stamp
from soc.storage import DuckDBEventStore


def netflow_event(i: int) -> Event:
    return stamp(
        {
            "event": {"kind": "event", "category": ["network"], "action": "netflow_flow"},
            "source": {
                "ip": f"10.20.{i % 250}.{i % 200}",
                "port": 1024 + i % 50000,
                "bytes": 1200 + i % 900,
                "packets": 3,
            },
            "destination": {"ip": "10.10.0.5", "port": 443},
            "network": {
                "transport": "tcp",
                "iana_number": 6,
                "bytes": 1500,
                "packets": 4,
                "community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            },
            "observer": {"ip": "127.0.0.1"},
            "related": {"ip": [f"10.20.{i % 250}.{i % 200}", "10.10.0.5"]},
            "organization": {"id": "so-yte", "name": "Sở Y tế"},
            "netflow": {f"field_{k}": k * i for k in range(25)},
        },
        dataset="netflow.log",
    )


def syslog_event(i: int) -> Event:
    return stamp(
        {
            "message": f"Failed password for root from 203.0.113.{i % 250} port {i} ssh2",
            "source": {"ip": f"203.0.113.{i % 250}", "port": i % 65535},
            "user": {"name": "root"},
            "event": {"category": ["authentication"], "action": "ssh_login", "outcome": "failure"},
            "host": {"name": "srv-01"},
            "process": {"name": "sshd", "pid": 4242},
            "log": {"syslog": {"facility": {"code": 4}, "severity": {"code": 6}}},
            "organization": {"id": "so-tttt", "name": "Sở Thông tin và Truyền thông"},
        },
        dataset="system.auth",
    )


def measure(kind: str, make, total: int, batch: int, path: Path) -> None:
    events = [make(i) for i in range(total)]
    started = time.perf_counter()
    for event in events:
        orjson.dumps(event)
    dumps_rate = total / (time.perf_counter() - started)

    store = DuckDBEventStore(path)
    started = time.perf_counter()
    for i in range(0, total, batch):
        store.write_batch(events[i : i + batch])
    write_rate = total / (time.perf_counter() - started)

    retry = events[:batch]
    started = time.perf_counter()
    new = store.write_batch(retry)
    retry_ms = (time.perf_counter() - started) * 1000

    searches = {}
    for query in ("source.ip:10.20.1.*", "event.outcome:failure", "root"):
        started = time.perf_counter()
        found = store.search(query, limit=100).total
        searches[query] = (found, (time.perf_counter() - started) * 1000)
    store.close()

    print(f"{kind}: {total} events in batches of {batch}")
    print(f"  orjson.dumps alone   {dumps_rate:12,.0f} events/s")
    print(
        f"  write_batch          {write_rate:12,.0f} events/s"
        f"  ({write_rate / dumps_rate:.2f} of the dumps-only rate)"
    )
    print(f"  retry of a stored batch: {new} new rows, {retry_ms:.0f} ms")
    for query, (found, ms) in searches.items():
        print(f"  search {query!r}: {found} hits, {ms:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure("netflow", netflow_event, args.events, args.batch, Path(tmp, "nf.duckdb"))
        measure("syslog", syslog_event, args.events, args.batch, Path(tmp, "sl.duckdb"))


if __name__ == "__main__":
    main()
