"""Rows of a DuckDB event store read back for comparison: two ways of storing the same events
(the dict path and a columnar one) must leave the same rows, whatever ids and ingest times
they were given."""

from __future__ import annotations

from typing import Any

import orjson

from soc.storage.duckdb_store import DuckDBEventStore


def stored_rows(store: DuckDBEventStore, ids: list[str]) -> list[dict[str, Any]]:
    """The rows of these event ids, every typed column and the parsed document, without what
    differs by construction (`event.id`, `event.ingested`), sorted by document."""
    cursor = store._con.execute("SELECT * FROM events WHERE event_id IN (SELECT unnest(?))", [ids])
    names = [d[0] for d in cursor.description]
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        for name in ("event_id", "event_ingested"):
            row.pop(name)
        doc = orjson.loads(row.pop("doc"))
        doc["event"].pop("id")
        doc["event"].pop("ingested")
        row["doc"] = doc
        rows.append(row)
    return sorted(rows, key=lambda r: orjson.dumps(r["doc"], option=orjson.OPT_SORT_KEYS))
