"""What one run of each of our correlation rules costs over a store with history and bursts.

Live detection runs every rule every few seconds over the events ingested since its checkpoint;
a correlation then reads the events of its timespan around them. Prints milliseconds per run
for a fresh window (the steady state) and for a first pass over 24 hours, with the rows found.
Compare two versions of the code by running this under each: the figures are ratios, the
machine is shared.

    .venv/bin/python bench/bench_correlations.py [history_events] [repeats]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from soc.model.event import Event, isoformat, stamp
from soc.rules import load_catalog
from soc.storage import DuckDBEventStore

RULES = Path(__file__).resolve().parents[1] / "rules"


def history(count: int, start: datetime, rng: random.Random) -> list[Event]:
    """sshd failures and FortiGate denies from many sources, with a burst every 500 events."""
    events = []
    for i in range(count):
        at = start + timedelta(milliseconds=i * 100)
        burst = (i // 500) % 2 == 0 and i % 500 < 30
        ip = "198.51.100.9" if burst else f"203.0.{rng.randrange(256)}.{rng.randrange(256)}"
        if i % 2:
            doc: Event = {
                "event": {"outcome": "failure", "category": ["authentication"]},
                "process": {"name": "sshd"},
                "source": {"ip": ip},
                "user": {"name": rng.choice(["root", "admin", "oracle"])},
            }
            dataset = "system.auth"
        else:
            doc = {
                "event": {"action": "deny"},
                "source": {"ip": ip},
                "destination": {"port": rng.randrange(1, 65535)},
            }
            dataset = "fortinet.firewall"
        doc["@timestamp"] = isoformat(at)
        doc["organization"] = {"id": "so-a"}
        events.append(stamp(doc, dataset=dataset))
    return events


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 200_000
    repeats = int(argv[2]) if len(argv) > 2 else 5
    rng = random.Random(7)
    catalog = load_catalog([RULES / "soc"], pipelines=[RULES / "pipelines"])
    rules = [rule for rule in catalog.compiled if rule.kind == "correlation"]
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBEventStore(Path(tmp) / "events.duckdb")
        now = datetime.now(UTC)
        batch = history(count, now - timedelta(milliseconds=count * 100), rng)
        for i in range(0, len(batch), 50_000):
            store.write_batch(batch[i : i + 50_000])
        everything = (store.now() - timedelta(days=1), store.now())
        mark = store.now()
        store.write_batch(history(200, now - timedelta(seconds=20), rng))
        fresh = (mark, store.now())
        print(f"{count} events of history, {len(rules)} correlation rules, best of {repeats}")
        for label, (after, until) in (("fresh window", fresh), ("first pass, 24 h", everything)):
            for rule in rules:
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    rows = store.run_rule(rule.sql, ingested_after=after, ingested_until=until)
                    times.append((time.perf_counter() - started) * 1000)
                print(
                    f"{label:18} {min(times):8.1f} ms (median {statistics.median(times):7.1f})"
                    f" {len(rows):5} rows  {rule.title}"
                )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
