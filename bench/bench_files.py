"""How fast `collectors.files.read_events` turns files into events: prints events per second
for the shared EVTX set, the loghub syslog files and the sample captures (one run each)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from collectors.files import read_events

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SETS = {
    "evtx": SHARED / "evtx" / "hayabusa-sample-evtx",
    "syslog": SHARED / "syslog" / "loghub",
    "pcap": SHARED / "pcap",
}


def main() -> int:
    for name, path in SETS.items():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        started = time.perf_counter()
        count = sum(1 for _ in read_events([path], on_error=lambda problem: None))
        elapsed = time.perf_counter() - started
        print(
            f"{name:7} {count:7d} events  {elapsed:6.2f} s  {count / elapsed:9.0f} events/s"
            f"  {size / elapsed / 1e6:6.1f} MB/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
