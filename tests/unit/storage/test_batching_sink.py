"""collectors.sink.BatchingSink over a real DuckDB file: chunks, batch sizes, backpressure."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson

from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from soc.model.event import stamp
from soc.storage.duckdb_store import DuckDBEventStore


class _CountingStore(DuckDBEventStore):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.batch_sizes: list[int] = []

    def write_batch(self, events):  # type: ignore[override]
        events = list(events)
        self.batch_sizes.append(len(events))
        return super().write_batch(events)


def _events(n: int, start: int = 0) -> list[dict]:
    return [stamp({"message": f"m{i}"}, dataset="syslog") for i in range(start, start + n)]


def test_chunks_are_split_and_joined_into_batches(tmp_path: Path) -> None:
    store = _CountingStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=100, max_batch_size=100, flush_interval_seconds=5)
    sink.put_many(_events(250))
    for i in range(30):
        sink.put(_events(1, 1000 + i)[0])
    sink.put_many(iter(_events(40, 2000)))
    assert sink.flush(30)
    assert store.count() == 320
    assert sink.written == 320
    assert max(store.batch_sizes) == 100
    sink.close()
    store.close()


class _HeldStore(_CountingStore):
    """Holds its first write until released, so that a backlog builds behind it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.entered = threading.Event()
        self.release = threading.Event()

    def write_batch(self, events):  # type: ignore[override]
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(30)
        return super().write_batch(events)


def test_a_backlog_is_written_in_larger_batches_up_to_the_maximum(tmp_path: Path) -> None:
    store = _HeldStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=100, max_batch_size=1000, flush_interval_seconds=5)
    sink.put_many(_events(100))  # the first write starts and is held
    assert store.entered.wait(30)
    for i in range(25):
        sink.put_many(_events(100, 1000 + i * 100))
    store.release.set()
    assert sink.flush(30)
    assert store.count() == 2600
    assert store.batch_sizes[0] == 100
    assert store.batch_sizes[1:] == [1000, 1000, 500]
    sink.close()
    store.close()


def test_close_stores_what_is_queued(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=10_000, flush_interval_seconds=60)
    sink.put_many(_events(7))
    sink.close()
    assert store.count() == 7
    store.close()


def test_full_queue_blocks_the_producer_until_the_writer_catches_up(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=50, flush_interval_seconds=0.01, max_queued_events=100)
    done = threading.Event()

    def produce() -> None:
        for i in range(40):
            sink.put_many(_events(30, i * 30))
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    assert done.wait(60)
    assert sink.flush(30)
    assert store.count() == 1200
    sink.close()
    store.close()


def test_an_event_the_store_cannot_take_is_set_aside_and_the_rest_stored(tmp_path: Path) -> None:
    """A counter past 64 bits fails the serialization of the whole batch: that event goes to
    the dead-letter file with the reason, its batch's other events are stored, and the writer
    keeps running for what comes after."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    dead = DeadLetter(tmp_path / "dead-letter.ndjson")
    sink = BatchingSink(store, batch_size=1000, flush_interval_seconds=5, dead_letter=dead)
    batch = _events(100)
    batch[37]["network"] = {"bytes": 2**70}
    sink.put_many(batch)
    assert sink.flush(30)
    sink.put_many(_events(10, 500))
    assert sink.flush(30)
    assert store.count() == 109
    [record] = [orjson.loads(line) for line in dead.path.read_bytes().splitlines()]
    assert record["source"] == "store"
    assert "64-bit" in record["reason"]
    assert orjson.loads(record["raw"].replace(str(2**70), "0"))["message"] == "m37"
    assert str(2**70) in record["raw"]
    sink.close()
    store.close()
