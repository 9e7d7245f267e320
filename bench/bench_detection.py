"""How long one detection pass takes over a store that already holds many events.

The steady state is what matters: every few seconds each rule looks at the few events ingested
since its checkpoint, while the table holds days of history. Prints milliseconds per rule for a
small fresh window, and for the first pass (24 h lookback over everything).

    .venv/bin/python bench/bench_detection.py [history_events]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from soc.model.event import Event, isoformat, stamp
from soc.rules import load_catalog
from soc.storage import DuckDBEventStore

RULES = Path(__file__).resolve().parents[1] / "rules"


def history(count: int, start: datetime) -> list[Event]:
    rng = random.Random(7)
    events = []
    for i in range(count):
        at = isoformat(start + timedelta(milliseconds=i * 50))
        ip = f"203.0.{rng.randrange(256)}.{rng.randrange(256)}"
        kind = i % 4
        if kind == 0:
            doc = {
                "event": {"outcome": rng.choice(["failure", "success"])},
                "process": {"name": "sshd"},
                "source": {"ip": ip},
            }
            dataset = "system.auth"
        elif kind == 1:
            doc = {
                "event": {"action": rng.choice(["deny", "accept"])},
                "source": {"ip": ip},
                "destination": {"port": rng.randrange(1, 65535)},
            }
            dataset = "fortinet.firewall"
        elif kind == 2:
            doc = {
                "url": {"path": f"/news/{i}.php", "query": f"id={i}"},
                "source": {"ip": ip},
                "http": {"response": {"status_code": 200}},
            }
            dataset = "apache.access"
        else:
            doc = {"message": f"kernel: line {i}"}
            dataset = "syslog"
        doc["@timestamp"] = at
        doc["organization"] = {"id": "so-a"}
        events.append(stamp(doc, dataset=dataset))
    return events


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 500_000
    catalog = load_catalog([RULES])
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBEventStore(Path(tmp) / "events.duckdb")
        started = time.perf_counter()
        batch = history(count, datetime.now(UTC) - timedelta(hours=12))
        for i in range(0, len(batch), 50_000):
            store.write_batch(batch[i : i + 50_000])
        print(f"wrote {count} events in {time.perf_counter() - started:.1f} s")

        everything = (store.now() - timedelta(days=1), store.now())
        mark = store.now()
        store.write_batch(history(200, datetime.now(UTC) - timedelta(minutes=1)))
        fresh = (mark, store.now())
        for label, (after, until) in (("first pass, 24 h", everything), ("fresh window", fresh)):
            for rule in catalog.compiled:
                started = time.perf_counter()
                rows = store.run_rule(rule.sql, ingested_after=after, ingested_until=until)
                elapsed = (time.perf_counter() - started) * 1000
                print(
                    f"{label:18} {rule.kind:11} {elapsed:8.1f} ms {len(rows):6} rows  {rule.title}"
                )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
