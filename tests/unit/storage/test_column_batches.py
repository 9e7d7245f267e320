"""Column batches (`soc.storage.columns`) through `BatchingSink` and `write_columns`: order with
dict chunks, batch sizes, backpressure by events, retries, stores without columns."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

from collectors.sink import BatchingSink
from soc.errors import StoreError
from soc.model.event import new_event_ids, stamp
from soc.storage.columns import ColumnBatch
from soc.storage.duckdb_store import DuckDBEventStore


def _columns(n: int, start: int = 0) -> ColumnBatch:
    table = pa.table(
        {
            "@timestamp": pa.array(
                (np.arange(n) + 1_700_000_000_000 + start).astype("datetime64[ms]")
            ),
            "event.id": pa.array(new_event_ids(n), pa.string()),
            "message": pa.array([f"c{i}" for i in range(start, start + n)], pa.string()),
            "source.port": pa.array(np.arange(n, dtype=np.int32)),
        }
    )
    return ColumnBatch(table, {"event.dataset": "test", "event.category": ["network"]})


def _events(n: int, start: int = 0) -> list[dict]:
    return [stamp({"message": f"m{i}"}, dataset="syslog") for i in range(start, start + n)]


class _Recording(DuckDBEventStore):
    def __init__(self, path: Path, fail_first: bool = False) -> None:
        super().__init__(path)
        self.calls: list[tuple[str, int]] = []
        self._fail = fail_first

    def write_batch(self, events):  # type: ignore[override]
        events = list(events)
        self.calls.append(("dicts", len(events)))
        return super().write_batch(events)

    def write_columns(self, batch):  # type: ignore[override]
        self.calls.append(("columns", len(batch)))
        stored = super().write_columns(batch)
        if self._fail:
            self._fail = False
            raise StoreError("lost the acknowledgement", where="test")
        return stored


def test_column_and_dict_chunks_keep_their_order_and_batch_sizes(tmp_path: Path) -> None:
    store = _Recording(tmp_path / "events.duckdb")
    sink = BatchingSink(store, batch_size=100, max_batch_size=100, flush_interval_seconds=5)
    sink.put_many(_events(30))
    sink.put_columns(_columns(250))
    sink.put_columns(_columns(20, 1000))
    sink.put_many(_events(5, 100))
    assert sink.flush(30)
    assert store.calls == [
        ("dicts", 30),
        ("columns", 100),
        ("columns", 100),
        ("columns", 70),  # the rest of the first joined with the second
        ("dicts", 5),
    ]
    assert store.count() == 305 == sink.written
    docs = [orjson.loads(r[0]) for r in store._con.execute("SELECT doc FROM events").fetchall()]
    column_docs = [d for d in docs if d["message"].startswith("c")]
    assert len(column_docs) == 270
    assert column_docs[0]["event"]["category"] == ["network"]
    assert column_docs[0]["@timestamp"].endswith("Z") and "ingested" in column_docs[0]["event"]
    sink.close()
    store.close()


def test_a_retried_column_batch_is_not_stored_twice(tmp_path: Path) -> None:
    store = _Recording(tmp_path / "events.duckdb", fail_first=True)
    sink = BatchingSink(store, batch_size=1000, flush_interval_seconds=0.01)
    sink.put_columns(_columns(50))
    assert sink.flush(30)
    assert store.calls == [("columns", 50), ("columns", 50)]
    assert store.count() == 50
    sink.close()
    store.close()


class _DictsOnly:
    """A store with no `write_columns` (Elasticsearch-like): gets the events as dicts."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def write_batch(self, events):
        self.events.extend(events)
        return len(events)


def test_a_store_without_columns_gets_the_same_events_as_dicts(tmp_path: Path) -> None:
    store = _DictsOnly()
    sink = BatchingSink(store, batch_size=1000, flush_interval_seconds=0.01)  # type: ignore[arg-type]
    batch = _columns(3)
    sink.put_columns(batch)
    assert sink.flush(30)
    assert store.events == batch.to_events()
    assert store.events[1] == {
        "@timestamp": "2023-11-14T22:13:20.001Z",
        "event": {"id": batch.table.column("event.id")[1].as_py(), "dataset": "test",
                  "category": ["network"]},
        "message": "c1",
        "source": {"port": 1},
    }  # fmt: skip
    sink.close()


def test_backpressure_counts_the_events_of_column_batches(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    sink = BatchingSink(
        store, batch_size=50, max_batch_size=50, flush_interval_seconds=0.01, max_queued_events=100
    )
    done = threading.Event()

    def produce() -> None:
        for i in range(20):
            sink.put_columns(_columns(60, i * 60))
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    assert done.wait(60)
    assert sink.flush(30)
    assert store.count() == 1200
    sink.close()
    store.close()


def test_write_columns_stamps_ingested_and_fills_typed_columns() -> None:
    store = DuckDBEventStore()
    before = store.now()
    assert store.write_columns(_columns(4)) == 4
    rows = store._con.execute(
        "SELECT timestamp, event_ingested, event_dataset, event_category, source_port, doc "
        "FROM events ORDER BY source_port"
    ).fetchall()
    assert [r[4] for r in rows] == [0, 1, 2, 3]
    assert {r[2] for r in rows} == {"test"} and {r[3] for r in rows} == {"network"}
    assert rows[0][1] > before.replace(tzinfo=None)
    assert orjson.loads(rows[0][5])["event"]["ingested"] == (
        rows[0][1].isoformat(timespec="milliseconds") + "Z"
    )
    store.close()
