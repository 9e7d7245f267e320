"""The hunt store's Python-built batches (`soc.storage.hunt_load`) against DuckDB itself: every
in-memory flat column holds what `json_extract_string(doc, path)` reads of its row's stored
document, the table the rules run on (the stored rows joined with the flat columns by position)
has them in the right rows and every lowered column `lower()` of its column, and the typed
columns and documents are what `DuckDBEventStore.write_batch` stores, on the real EVTX samples
and on values chosen to be awkward."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pytest

from soc.detection.hunt import HuntRules
from soc.model.event import Event
from soc.rules.sqlfields import json_path
from soc.storage.duckdb_store import DuckDBEventStore
from soc.storage.hunt_load import TextColumns, path_parts
from soc.storage.hunt_store import HuntEventStore


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rows(store: DuckDBEventStore, sql: str) -> list[tuple[Any, ...]]:
    return store._con.execute(sql).fetchall()


def loaded(
    events: list[Event], columns: dict[str, str], lowered: dict[str, str], batch: int = 5000
) -> HuntEventStore:
    store = HuntEventStore(columns=columns, lowered=lowered)
    with store.loading():
        for start in range(0, len(events), batch):
            store.write_batch(copy.deepcopy(events[start : start + batch]))
    return store


def assert_same_as_duckdb(
    store: HuntEventStore, events: list[Event], columns: dict[str, str], lowered: dict[str, str]
) -> None:
    # flat columns in memory: row for row, what DuckDB reads from the stored document
    extracted = ", ".join(f"json_extract_string(doc, {literal(p)})" for p in columns.values())
    cursor = store._cursor()
    stored = cursor.sql(f"SELECT event_id, {extracted} FROM events").to_arrow_table()
    cursor.close()
    assert store.text.column(TextColumns.ID).to_pylist() == stored.column(0).to_pylist()
    mine = {name: store.text.column(name).to_pylist() for name in columns}
    theirs = {name: stored.column(i).to_pylist() for i, name in enumerate(columns, start=1)}
    assert {name: v for name, v in mine.items() if v != theirs[name]} == {}

    # the table rules run on: each row's flat values next to its document, lowered columns
    checks = [
        f"count_if({ident(name)} IS DISTINCT FROM json_extract_string(doc, {literal(path)}))"
        for name, path in columns.items()
    ]
    checks += [
        f"count_if({ident(name)} IS DISTINCT FROM lower({column}))"
        for name, column in lowered.items()
    ]
    checks.append("count(*)")
    named = ", ".join(f"{check} AS {ident(str(i))}" for i, check in enumerate(checks))
    differing = store.run_rule(
        f"SELECT {named} FROM events WHERE event_ingested > $after AND event_ingested <= $until",
        ingested_after=EPOCH,
        ingested_until=store.now(),
    )[0]
    assert list(differing.values()) == [0] * (len(checks) - 1) + [store.count()]

    # typed columns and documents: what the live store's write stores for the same events
    live = DuckDBEventStore(":memory:")
    live.write_batch(copy.deepcopy(events))
    typed = (  # a time-less event is stamped with when it was stored: each store its own
        "* EXCLUDE (timestamp, event_ingested, doc), timestamp = event_ingested AS stamped, "
        "CASE WHEN timestamp <> event_ingested THEN timestamp END AS ts"
    )
    order = "ORDER BY event_id"
    mine = rows(store, f"SELECT {typed} FROM events {order}")
    theirs = rows(live, f"SELECT {typed} FROM events {order}")
    assert len(mine) == len(theirs) == len({e["event"]["id"] for e in events})
    assert mine == theirs
    docs = [_without_ingested(d) for (d,) in rows(store, f"SELECT doc FROM events {order}")]
    assert docs == [_without_ingested(d) for (d,) in rows(live, f"SELECT doc FROM events {order}")]
    assert rows(store, "DESCRIBE events") == rows(live, "DESCRIBE events")
    live.close()


def _without_ingested(doc: str) -> dict[str, Any]:
    parsed = orjson.loads(doc)
    del parsed["event"]["ingested"]
    return parsed


def test_real_evtx_events_load_as_duckdb_would(
    evtx_events: list[Event], windows_hunt: HuntRules
) -> None:
    events = evtx_events[::4]  # every file's kinds, a quarter of the time
    store = loaded(events, windows_hunt.columns, windows_hunt.lowered, batch=1500)
    assert store.count() == len(events)
    assert_same_as_duckdb(store, events, windows_hunt.columns, windows_hunt.lowered)
    assert store.text.column('$."winlog"."channel"').null_count == 0
    store.close()


AWKWARD: list[Any] = [
    "plain",
    "",
    "ünïcödé ✓ 😀",
    'ctl \x00 \x1f \n \t " \\ /',
    "\u2028",
    0,
    -7,
    2**63,
    2**64 - 1,
    1.5,
    -0.0,
    1e20,
    1e-7,
    float("nan"),
    True,
    False,
    None,
    {},
    [],
    {"nested": {"deep": 1.25, "s": "\x1f", "b": True}},
    ["a", 1, None, 2.5, {"k": "v"}, ["x"]],
    ["only", "strings"],
    [None],
]


TYPED_AWKWARD = [
    "@timestamp",
    "event.code",
    "event.category",
    "host.ip",
    "source.port",
    "source.bytes",
    "related.organization_ids",
    "message",
    "process.name",
]
"""Typed fields that get an awkward value, one per event (a value only DuckDB can extract
sends its whole event's typed values to DuckDB: one per event keeps the others in Python)."""


def awkward_events() -> list[Event]:
    events = []
    for index, value in enumerate(AWKWARD):
        data = {
            "value": value,
            "Defender Field.Name": value,
            'quote"key': value,
            "Path With Spaces": {"inner": value},
            "a.b": value,
        }
        for typed in TYPED_AWKWARD:
            event: Event = {
                "@timestamp": "2026-01-01T00:00:00.123Z",
                "event": {"id": f"id-{index:03d}-{typed}", "category": ["process", "network"]},
                "host": {"ip": "10.0.0.1", "name": "HOST"},
                "related": {"organization_ids": ["a", "b"]},
                "process": {"name": "Cmd.EXE", "command_line": "C:\\x"},
                "winlog": {"event_data": data, "channel": value},
                "list": [{"value": value}],
            }
            parts = typed.split(".")
            node = event
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
            events.append(event)
    events.append({"event": {"id": "bare"}, "process": "not an object"})
    events.append({"event": {"id": "list"}, "process": ["not", "an", "object"], "message": 1})
    events.append({"event": {"id": "dotted-top"}, "source.port": 443, "winlog.channel": "x"})
    events.append({"event": {"id": "id-000-message"}, "message": "same id: the second is left out"})
    return events


AWKWARD_FIELDS = [
    "winlog.channel",
    "winlog.event_data.value",
    "winlog.event_data.Defender Field.Name",  # a path through `Defender Field`: not a key
    'winlog.event_data.quote"key',
    "winlog.event_data.Path With Spaces",
    "winlog.event_data.Path With Spaces.inner",
    "winlog.event_data",
    "winlog.event_data.value.nested",
    "event.category",
    "event.code",
    "host.ip",
    "source.port",
    "message",
    "process",
    "process.name",
    "list",
    "list.value",
    "missing.entirely",
]


def test_awkward_values_load_as_duckdb_would() -> None:
    columns = {f"c{i} {field}": json_path(field) for i, field in enumerate(AWKWARD_FIELDS)}
    columns["array index"] = '$."list"[0]."value"'  # not a path Python reads: DuckDB does
    columns["unquoted"] = "$.winlog.channel"
    lowered = {f"low {name}": ident(name) for name in columns}
    lowered["low process_name"] = "process_name"
    lowered["low message"] = "message"
    events = awkward_events()
    store = loaded(events, columns, lowered, batch=7)
    assert_same_as_duckdb(store, events, columns, lowered)
    store.close()


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ('$."winlog"."event_data"."a.b"', ("winlog", "event_data", "a.b")),
        ('$."a\\"b"', ('a"b',)),
        ('$."with space"', ("with space",)),
        ("$.a.b", None),
        ('$."a"[0]', None),
        ('$."a\\b"', None),
        ("$", None),
    ],
)
def test_path_parts_reads_only_the_paths_the_compiler_writes(
    path: str, parts: tuple[str, ...] | None
) -> None:
    assert path_parts(path) == parts


def test_paths_read_in_python_mean_the_same_key_to_duckdb() -> None:
    store = HuntEventStore()
    doc = orjson.dumps({'a"b': "quote", "a.b": "dot", "a": {"b": "nested"}}).decode()
    for path in ('$."a\\"b"', '$."a.b"', '$."a"."b"'):
        parts = path_parts(path)
        assert parts is not None
        node: Any = orjson.loads(doc)
        for part in parts:
            node = node[part]
        assert rows(store, f"SELECT json_extract_string({literal(doc)}, {literal(path)})") == [
            (node,)
        ]
    store.close()


def test_a_failed_load_leaves_nothing_behind() -> None:
    store = HuntEventStore(columns={"c": json_path("message")}, lowered={})
    with store.loading():
        store.write_batch([{"event": {"id": "1"}, "message": "kept"}])
    with pytest.raises(RuntimeError), store.loading():
        store.write_batch([{"event": {"id": "2"}, "message": "x"}])
        store.write_batch([{"event": {"id": "3"}, "message": "y"}])
        raise RuntimeError("reader failed")
    assert store.count() == len(store.text) == 1
    assert store.text.column("c").to_pylist() == ["kept"]
    # the rolled-back events were never stored: written again, they are
    store.write_batch([{"event": {"id": "2"}, "message": "again"}])
    assert store.text.column("c").to_pylist() == ["kept", "again"]
    assert store.count() == 2
    store.close()


def test_each_batch_sees_the_ones_written_behind_it() -> None:
    """The INSERTs run behind the store's lock: a batch's duplicate check still sees every
    earlier batch of the load, and the flat columns keep the stored table's rows."""
    store = HuntEventStore(columns={"c": json_path("message")}, lowered={})
    written = []
    with store.loading():
        for batch in range(6):
            events = [
                {"event": {"id": f"{i:05d}"}, "message": f"{batch}-{i}"}
                for i in range(batch * 500, batch * 500 + 1000)  # half of them seen before
            ]
            written.append(store.write_batch(events))
    assert written == [1000, 500, 500, 500, 500, 500]
    assert store.count() == len(store.text) == 3500
    stored = rows(store, "SELECT event_id, doc->>'$.message' FROM events ORDER BY rowid")
    assert store.text.column(TextColumns.ID).to_pylist() == [i for i, _ in stored]
    assert store.text.column("c").to_pylist() == [m for _, m in stored]
    assert stored[999] == ("00999", "0-999") and stored[1000] == ("01000", "1-1000")
    store.close()


def test_text_columns_keep_only_columns_with_values_and_read_the_rest_as_null() -> None:
    text = TextColumns(["a", "b"])
    text.append(pa.array(["1", "2"]), {"a": pa.array(["x", None])})
    text.append(pa.array(["3"]), {"b": pa.array(["y"])})
    assert text.column("a").to_pylist() == ["x", None, None]
    assert text.column("b").to_pylist() == [None, None, "y"]
    chunks = list(text.chunks(["b"], 2))
    assert [c["b"].to_pylist() for c in chunks] == [[None, None], ["y"]]
    assert [c[TextColumns.ID].to_pylist() for c in chunks] == [["1", "2"], ["3"]]
    assert text.table(["b"]).column_names == [TextColumns.ID, "b"]
    with pytest.raises(ValueError):
        text.truncate(1)  # not where a batch ends


def test_text_columns_since_a_batch_share_its_rows_and_retain_drops_the_other_columns() -> None:
    text = TextColumns(["a", "b"])
    text.append(pa.array(["1", "2"]), {"a": pa.array(["x", None]), "b": pa.array(["p", "q"])})
    text.append(pa.array(["3"]), {"a": pa.array(["z"]), "b": pa.array(["r"])})
    later = text.since(2)
    assert (later.first_row, len(later)) == (2, 1)
    assert later.column("a").to_pylist() == ["z"]
    assert later.since(1).first_row == 3 and not len(later.since(1))
    with pytest.raises(ValueError):
        text.since(1)  # not where a batch ends
    text.retain(["b"])
    assert text.column("a").to_pylist() == [None, None, None]
    assert text.column("b").to_pylist() == ["p", "q", "r"]
    assert text.column(TextColumns.ID).to_pylist() == ["1", "2", "3"]
    assert later.column("a").to_pylist() == ["z"]  # a view taken before keeps what it had


def test_a_store_over_its_memory_limit_moves_rows_to_its_own_folder_and_removes_it() -> None:
    """DuckDB keeps an in-memory table's blocks in memory only up to the limit; past it they go
    to the store's temporary folder, and the rows still read back whole."""
    store = HuntEventStore(columns={"c": json_path("message")}, lowered={}, memory="64MB")
    folder = store.spill_folder
    filler = "x" * 2000
    with store.loading():
        for batch in range(12):
            store.write_batch(
                [
                    {"event": {"id": f"{batch:02d}-{i:05d}"}, "message": f"{filler}{i}"}
                    for i in range(5000)
                ]
            )
    assert store.count() == len(store.text) == 60_000
    assert sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) > 32 * 2**20
    docs = store.get_many(["00-00000", "11-04999"])
    assert sorted(doc["message"] for doc in docs) == [f"{filler}0", f"{filler}4999"]
    store.close()
    assert not folder.exists()


def test_rules_read_a_lowered_column_alone() -> None:
    """The table rules run on has the columns a rule names, and those its lowered ones lower."""
    store = HuntEventStore(columns={"c": json_path("message")}, lowered={"lower(c)": '"c"'})
    store.write_batch([{"event": {"id": "1"}, "message": "MiXed İ"}, {"event": {"id": "2"}}])
    found = store.run_rule(
        'SELECT event_id, "lower(c)" AS v FROM events '
        "WHERE event_ingested > $after AND event_ingested <= $until ORDER BY event_id",
        ingested_after=EPOCH,
        ingested_until=store.now(),
    )
    lowered = rows(store, "SELECT lower('MiXed İ')")[0][0]
    assert [(r["event_id"], r["v"]) for r in found] == [("1", lowered), ("2", None)]
    store.close()
