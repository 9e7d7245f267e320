"""The event store's write path on real DuckDB files: idempotency, stamping, old files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from soc.errors import StoreError
from soc.model.event import stamp
from soc.storage.duckdb_store import DuckDBEventStore, in_window


def _event(i: int, **extra: object) -> dict:
    doc = {"message": f"line {i} — Sở Y tế", "source": {"ip": f"10.20.0.{i % 250}", "port": i}}
    doc.update(extra)
    return stamp(doc, dataset="syslog")


def test_same_event_id_twice_is_one_row(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    events = [_event(i) for i in range(50)]
    assert store.write_batch(events + events[:10]) == 50
    assert store.write_batch(events[:20]) == 0
    assert store.count() == 50
    got = store.get(events[3]["event"]["id"])
    assert got is not None
    assert got["message"] == "line 3 — Sở Y tế"
    assert got["source"] == {"ip": "10.20.0.3", "port": 3}
    assert got["event"]["ingested"].endswith("Z")
    store.close()


def test_dotted_keys_are_nested_and_typed_columns_filled(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    event = stamp({"source.ip": "10.20.1.2", "event": {"outcome": "failure"}}, dataset="syslog")
    event["event.action"] = "ssh_login"
    assert store.write_batch([event]) == 1
    page = store.search("source.ip:10.20.1.2 AND event.action:ssh_login")
    assert page.total == 1
    assert page.events[0]["source"] == {"ip": "10.20.1.2"}
    store.close()


def test_event_without_id_is_refused(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    with pytest.raises(StoreError):
        store.write_batch([{"message": "no id"}])
    store.close()


def test_write_after_a_reader_left_a_result_unfetched(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    store.write_batch([_event(1)])
    store._con.execute("SELECT * FROM events")  # a result nobody fetched
    assert store.write_batch([_event(2)]) == 1
    assert store.count() == 2
    store.close()


def test_store_written_with_the_old_ingested_index_opens_and_drops_it(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    store = DuckDBEventStore(path)
    store.write_batch([_event(1)])
    store._con.execute("CREATE INDEX events_ingested ON events (event_ingested)")
    store.close()
    store = DuckDBEventStore(path)
    assert store.write_batch([_event(2)]) == 1
    store.close()
    with duckdb.connect(str(path), read_only=True) as con:
        indexes = con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
        assert indexes == []
        assert con.execute("SELECT count(*) FROM events").fetchone() == (2,)


WINDOW = "event_ingested > $after AND event_ingested <= $until"


def test_detection_window_reads_only_its_batches(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    store.write_batch([_event(i) for i in range(100)])
    after = store.now()
    store.write_batch([_event(i) for i in range(100, 130)])
    until = store.now()
    rows = store.run_rule(
        f"SELECT event_id FROM events WHERE {WINDOW}", ingested_after=after, ingested_until=until
    )
    assert len(rows) == 30
    store.close()


def test_the_window_is_written_in_as_literals_where_the_framing_has_it() -> None:
    """DuckDB prunes a scan by a literal, not by a parameter (see `in_window`)."""
    after, until = datetime(2026, 12, 7, 6, 0, tzinfo=UTC), datetime(2026, 12, 7, 6, 0, 5)
    sql, params = in_window(f"SELECT 1 FROM events WHERE {WINDOW} AND x", after, until)
    assert params == {}
    assert sql == (
        "SELECT 1 FROM events WHERE event_ingested > TIMESTAMP '2026-12-07 06:00:00' AND "
        "event_ingested <= TIMESTAMP '2026-12-07 06:00:05' AND x"
    )


def test_a_rule_value_naming_a_parameter_keeps_the_window_as_parameters(tmp_path: Path) -> None:
    """A message with `$after` in it is a value to match, not a placeholder to fill."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    store.write_batch([_event(1)])
    after = store.now()
    store.write_batch([_event(2, message="echo $after"), _event(3)])
    until = store.now()
    rows = store.run_rule(
        f"SELECT message FROM events WHERE {WINDOW} AND message = 'echo $after'",
        ingested_after=after,
        ingested_until=until,
    )
    assert rows == [{"message": "echo $after"}]
    store.close()
