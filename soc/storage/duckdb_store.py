"""The embedded event store: one DuckDB file, typed columns for hot fields plus the full document.

Writes hand DuckDB one list of serialized documents per batch; DuckDB parses each document once
(`json_transform` into a struct of the typed fields) in C++, outside the GIL, so Python's share
of a write is `orjson.dumps`. Measured here on NetFlow-shaped events, in one run: 2x the
throughput of extracting the typed fields in Python (~34k against ~17k events/s on a loaded
2-core box; see bench/bench_store.py).

The batch reaches DuckDB as an Arrow table rather than a list parameter, and there is no ART
index on `event_ingested` any more: the column only grows, so DuckDB's per-row-group min/max
(zonemaps) prune detection windows, and the index cost a third of each write (NetFlow-shaped
events, one run: ~30k against ~20k events/s with it). Where a write's time goes now (measured
in memory on the loaded box): parsing each ~1.3 KB document for the typed columns ~11 µs,
storing the document string ~8-15 µs (DuckDB's compression analysis at checkpoint).

Idempotency without a primary-key index: the batch is anti-joined against stored ids not older
than its smallest id. Event ids are UUIDv7 (time-ordered), so that scan touches only recent row
groups (DuckDB prunes the rest by their min/max), where an ART index on every id cost more than
half of the insert time.

One lock serialises writes and rule runs so that `event.ingested` is assigned and committed
atomically: a detection window (after, until] can never miss a row stamped inside it.

`write_columns` takes events as Arrow columns (`soc.storage.columns`, NetFlow today): the
typed columns are casts of the given columns and DuckDB builds each document itself
(`soc.storage.columnar_sql`), so nothing is serialized in Python and nothing parsed in DuckDB.
On 20,000 v5 flows in memory: 8-23 µs of CPU per flow against 15-30 for the first version
that concatenated JSON text per field; most of what is left is storing the compressed document
(measured alone, with a prebuilt document column: 4.5-29 µs per row).

Checkpoints every `CHECKPOINT_THRESHOLD` of write-ahead log instead of DuckDB's 16 MB (~12,000
NetFlow documents, a tenth of a 122,880-row row group): less CPU per event and half the file
fit DuckDB compressing each unfinished row group again at every checkpoint. Writing 400,000
events in batches of 20,000 to a file, close included, alternating runs: NetFlow-shaped
27.5-27.8k -> 38.0-38.1k events/s at 0.67x the CPU, syslog-shaped 31-43k -> 53-69k at 0.6x,
and each file half the size (97 -> 51 MB, 49 -> 26 MB), since the row groups are compressed once.
The cost: up to that much log replayed after a crash, and held in memory until checkpointed.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from soc.errors import StoreError, StoreLockedError
from soc.model.event import Event, isoformat, nest
from soc.model.fields import TYPED_FIELDS, column_name
from soc.storage.base import SearchPage
from soc.storage.columnar_sql import SHAPE_COLUMN, SQL_TYPES, columns_insert_sql, row_shapes
from soc.storage.columns import ColumnBatch
from soc.storage.lucene import LuceneToSql, field_expr
from soc.storage.rule_batch import RuleCondition, RuleMatches, match_rules


def schema() -> str:
    """The events table."""
    cols = ",\n  ".join(f"{column_name(f)} {SQL_TYPES[t]}" for f, t in TYPED_FIELDS.items())
    # zstd for the documents: a sixth of the file DuckDB's default (FSST/dictionary) leaves, at
    # the same write and search speed (100k NetFlow events, one run: 11 MB against 69 MB).
    # Stores created before keep their column as it was.
    return (
        f"CREATE TABLE IF NOT EXISTS events (\n  {cols},\n"
        "  doc JSON NOT NULL USING COMPRESSION zstd\n)"
    )


def _typed_spec() -> dict[str, Any]:
    """The `json_transform` structure of the typed fields: nested objects down to each field's
    raw value, VARCHAR (VARCHAR[] for keywords, JSON for the multi-valued fields)."""
    spec: dict[str, Any] = {}
    for field, kind in TYPED_FIELDS.items():
        parts = field.split(".")
        node = spec
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if field in MULTI_VALUED:
            node[parts[-1]] = "JSON"
        else:
            node[parts[-1]] = "VARCHAR[]" if kind == "keywords" else "VARCHAR"
    return spec


def _typed_selects() -> list[str]:
    """Each typed column from `x`, the raw values (`TYPED_SPEC`): the one definition of how a
    typed column is derived (first element of a multi-valued field, TRY_CAST for times and
    numbers), whoever extracted the raw values."""
    selects = []
    for field, kind in TYPED_FIELDS.items():
        value = "x." + ".".join(f'"{part}"' for part in field.split("."))
        if field in MULTI_VALUED:
            value = (
                f"CASE json_type({value}) WHEN 'ARRAY' THEN {value}->>'$[0]' ELSE {value}->>'$' END"
            )
        if kind == "timestamp":
            value = f"CAST(TRY_CAST({value} AS TIMESTAMPTZ) AS TIMESTAMP)"
            if field == "@timestamp":  # unusable time from a sender: when we stored it
                ingested = "CAST(TRY_CAST(x.event.ingested AS TIMESTAMPTZ) AS TIMESTAMP)"
                value = f"coalesce({value}, {ingested})"
        elif kind in ("int", "bigint"):
            value = f"TRY_CAST({value} AS {SQL_TYPES[kind]})"
        selects.append(f"{value} AS {column_name(field)}")
    return selects


def insert_sql(source: str) -> str:
    """INSERT of one batch into `events`: `source` is a relation with the document `d` and the
    raw typed values `x` (a struct shaped like `TYPED_SPEC`). Rows whose `event.id` is stored
    already are left out (idempotent retry)."""
    return (
        f"INSERT INTO events SELECT {', '.join([*_typed_selects(), 'd'])} FROM {source} "
        "WHERE x.event.id NOT IN (SELECT event_id FROM events WHERE event_id >= $oldest)"
    )


# ECS allows these as arrays; the typed column keeps the first element, the document keeps all.
MULTI_VALUED = frozenset({"event.category", "host.ip"})
TYPED_SPEC = _typed_spec()
_BATCH_VIEW = "_soc_write_batch"
"""The local variable holding one batch as an Arrow table (the live store: column `d`)."""
TYPED_SPEC_SQL = "'" + orjson.dumps(TYPED_SPEC).decode().replace("'", "''") + "'"
_INSERT = insert_sql(f"(SELECT d, json_transform(d, {TYPED_SPEC_SQL}) AS x FROM {_BATCH_VIEW})")
"""The live store's INSERT: DuckDB extracts every typed field with one parse per document."""


_WINDOW = "event_ingested > $after AND event_ingested <= $until"
WINDOW_MAX_ROWS = 200_000
"""A detection window larger than this (a first pass over a day of history) is not copied into
memory for `match_rules`: its rules run one by one, as statements over the file."""
CHECKPOINT_THRESHOLD = "256MB"
"""Write-ahead log between checkpoints (see the module docstring)."""


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def in_window(sql: str, after: datetime, until: datetime) -> tuple[str, dict[str, datetime]]:
    """`sql` and its parameters for the ingest window (after, until]: the window written in as
    timestamp literals wherever the statement has the framing's `event_ingested` test.

    Why: DuckDB pushes a comparison with a literal into the table scan (row groups skipped by
    their min/max, rows dropped before any other filter is evaluated), but not one with a
    parameter, which it evaluates beside the others. A correlation's probe of a fresh window
    over 400,000 stored flows took 56.7 ms with parameters against 1.5 ms with literals: every
    row of the last row groups had its document parsed for `winlog.channel` first. A statement
    that names `$after` or `$until` anywhere else (a rule value with that text) keeps the
    parameters, as before."""
    params = {"after": _naive_utc(after), "until": _naive_utc(until)}
    literal = (
        f"event_ingested > TIMESTAMP '{params['after'].isoformat(' ')}' AND "
        f"event_ingested <= TIMESTAMP '{params['until'].isoformat(' ')}'"
    )
    bound = sql.replace(_WINDOW, literal)
    if "$after" in bound or "$until" in bound:
        return sql, params
    return bound, {}


class DuckDBEventStore:
    """`EventStore` on a DuckDB file (or `:memory:` for `soc hunt` and tests)."""

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    "the event store is in use by another process (is `soc serve` running?)",
                    where=self.path,
                ) from exc
            raise StoreError(str(exc), where=self.path) from exc
        self._con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            self._con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
            self._con.execute(schema())
            # Stores written before the index was dropped still carry it: it cost a third of
            # every write, and `event_ingested` only grows, so zonemaps prune windows as well.
            self._con.execute("DROP INDEX IF EXISTS events_ingested")
        self._lock = threading.RLock()
        self._last_ingested = datetime.min

    # -- writing -------------------------------------------------------------------------------

    def write_batch(self, events: Iterable[Event]) -> int:
        unique: dict[str, Event] = {}
        for event in events:
            if any("." in key for key in event):
                event = nest(event)
            head = event.get("event")
            event_id = head.get("id") if isinstance(head, dict) else None
            if not event_id or not isinstance(event_id, str):
                raise StoreError("event without a text event.id", where="write_batch")
            unique.setdefault(event_id, event)
        if not unique:
            return 0
        with self._lock:
            ingested = isoformat(self._next_ingested().replace(tzinfo=UTC))
            for event in unique.values():
                event.setdefault("event", {})["ingested"] = ingested
            return self._insert(list(unique.values()), min(unique))

    def _insert(self, events: list[Event], oldest: str) -> int:
        """One INSERT of the serialized documents, handed over as an Arrow table (cheaper for
        DuckDB to scan than a list parameter it must convert value by value)."""
        dumps = orjson.dumps
        column = pa.array([dumps(event) for event in events], pa.binary()).cast(pa.string())
        # Found by DuckDB's replacement scan of this frame's locals: `register` would refuse to
        # run while a reader left a result unfetched on the connection.
        _soc_write_batch = pa.table({"d": column})
        try:
            rows = self._con.execute(_INSERT, {"oldest": oldest}).fetchall()
        except duckdb.Error as exc:
            raise StoreError(str(exc), where=f"{self.path}: write_batch") from exc
        return int(rows[0][0]) if rows else 0

    def write_columns(self, batch: ColumnBatch) -> int:
        """`write_batch` for events given as columns (`soc.storage.columns`): the same rows and
        documents, built by DuckDB from the Arrow columns without parsing JSON; idempotent on
        `event.id` and stamped with `event.ingested` under the lock, as `write_batch`."""
        table = batch.table
        if not table.num_rows:
            return 0
        ids = table.column("event.id")
        if ids.null_count:
            raise StoreError("event without a text event.id", where="write_columns")
        if pc.count_distinct(ids).as_py() != table.num_rows:  # first of each id, as write_batch
            first = {value: i for i, value in reversed(list(enumerate(ids.to_pylist())))}
            table = table.take(sorted(first.values()))
        shaped = row_shapes(table)
        shapes = None
        if shaped is not None:
            shapes, index = shaped
            table = table.append_column(SHAPE_COLUMN, index)
        try:
            sql = columns_insert_sql(table.schema, batch.constants, shapes)
        except ValueError as exc:
            raise StoreError(str(exc), where="write_columns") from exc
        oldest = pc.min(table.column("event.id")).as_py()
        # Found by DuckDB's replacement scan of this frame's locals, as in `_insert`.
        _soc_column_batch = table
        with self._lock:
            ingested = self._next_ingested()
            params = {
                "oldest": oldest,
                "ingested": ingested,
                "ingested_text": isoformat(ingested.replace(tzinfo=UTC)),
            }
            if "$ingested_json" in sql:  # DuckDB refuses a parameter the statement lacks
                params["ingested_json"] = orjson.dumps(params.pop("ingested_text")).decode()
            try:
                rows = self._con.execute(sql, params).fetchall()
            except duckdb.Error as exc:
                raise StoreError(str(exc), where=f"{self.path}: write_columns") from exc
        return int(rows[0][0]) if rows else 0

    def _next_ingested(self) -> datetime:
        """Strictly increasing ingest stamps, so checkpoints order every batch."""
        now = datetime.now(UTC).replace(tzinfo=None)
        if now <= self._last_ingested:
            now = self._last_ingested + timedelta(milliseconds=1)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last_ingested:
            now = self._last_ingested + timedelta(milliseconds=1)
        self._last_ingested = now
        return now

    # -- reading -------------------------------------------------------------------------------

    def _where(
        self,
        query: str,
        start: datetime | None,
        end: datetime | None,
        agency_ids: Collection[str] | None,
    ) -> tuple[str, list[Any]]:
        translator = LuceneToSql()
        clauses = [translator.translate(query)]
        params = translator.params
        if start is not None:
            clauses.append("timestamp >= ?")
            params.append(_naive_utc(start))
        if end is not None:
            clauses.append("timestamp < ?")
            params.append(_naive_utc(end))
        if agency_ids is not None:
            if not agency_ids:
                return "FALSE", []
            marks = ", ".join("?" for _ in agency_ids)
            clauses.append(
                f"(organization_id IN ({marks})"
                f" OR list_has_any(related_organization_ids, [{marks}]))"
            )
            params.extend([*agency_ids, *agency_ids])
        return " AND ".join(clauses), params

    def search(
        self,
        query: str = "",
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        agency_ids: Collection[str] | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> SearchPage:
        where, params = self._where(query, start, end, agency_ids)
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
        with self._lock:
            total = self._fetch(f"SELECT count(*) FROM events WHERE {where}", params)[0][0]
            rows = self._fetch(
                f"SELECT doc FROM events WHERE {where} ORDER BY timestamp DESC, event_id{page}",
                params,
            )
        return SearchPage(events=[orjson.loads(r[0]) for r in rows], total=total)

    def aggregate(
        self,
        field: str,
        query: str = "",
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        agency_ids: Collection[str] | None = None,
        size: int = 10,
    ) -> list[tuple[Any, int]]:
        where, params = self._where(query, start, end, agency_ids)
        target = field_expr(field)
        with self._lock:
            rows = self._fetch(
                f"SELECT {target} AS v, count(*) AS n FROM events WHERE {where} AND {target} "
                f"IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {int(size)}",
                params,
            )
        return [(r[0], r[1]) for r in rows]

    def count(self) -> int:
        with self._lock:
            return self._count_locked()

    def _count_locked(self) -> int:
        return self._con.execute("SELECT count(*) FROM events").fetchone()[0]

    def get(self, event_id: str, *, agency_ids: Collection[str] | None = None) -> Event | None:
        where, params = self._where("", None, None, agency_ids)
        with self._lock:
            rows = self._fetch(
                f"SELECT doc FROM events WHERE event_id = ? AND {where}", [event_id, *params]
            )
        return orjson.loads(rows[0][0]) if rows else None

    def get_many(self, event_ids: Sequence[str]) -> list[Event]:
        if not event_ids:
            return []
        with self._lock:
            rows = self._fetch(
                "SELECT doc FROM events WHERE event_id IN (SELECT unnest(?)) ORDER BY timestamp",
                [list(event_ids)],
            )
        return [orjson.loads(r[0]) for r in rows]

    def run_rule(
        self, compiled: str, *, ingested_after: datetime, ingested_until: datetime
    ) -> list[dict[str, Any]]:
        sql, params = in_window(compiled, ingested_after, ingested_until)
        with self._rule_connection(compiled) as connection:
            try:
                cursor = connection.execute(sql, params)
            except duckdb.Error as exc:
                raise StoreError(str(exc), where=f"{self.path}: run_rule") from exc
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextlib.contextmanager
    def _rule_connection(self, compiled: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection `run_rule` runs `compiled` on: the store's own, under its lock (the
        hunt store gives one whose `events` has the flat columns it reads)."""
        with self._lock:
            yield self._con

    def match_rules(
        self,
        rules: Sequence[RuleCondition],
        *,
        ingested_after: datetime,
        ingested_until: datetime,
        max_rows: int = WINDOW_MAX_ROWS,
    ) -> RuleMatches | None:
        """Events ingested in (after, until] matching each single-event rule condition, for
        thousands of rules in a few statements (`soc.storage.rule_batch`); None when the
        window holds more than `max_rows` events (then run the rules one by one).

        The window is copied into a private in-memory database first: the store lock is held
        for the copy only, and the batched statements (which run without DuckDB's optimizer)
        read a small table instead of scanning the file.
        """
        counting, params = in_window(
            f"SELECT count(*) FROM events WHERE {_WINDOW}", ingested_after, ingested_until
        )
        window = f"window_{uuid.uuid4().hex}"
        copying, _ = in_window(
            f"CREATE TABLE {window}.events AS SELECT * FROM events WHERE {_WINDOW}",
            ingested_after,
            ingested_until,
        )
        with self._lock:
            try:
                count = self._con.execute(counting, params).fetchone()
                if count is None or count[0] > max_rows:
                    return None
                self._con.execute(f"ATTACH ':memory:' AS {window}")
                try:
                    self._con.execute(copying, params)
                except duckdb.Error:
                    self._con.execute(f"DETACH DATABASE IF EXISTS {window}")
                    raise
            except duckdb.Error as exc:
                raise StoreError(str(exc), where=f"{self.path}: match_rules") from exc
        try:
            return match_rules(self._cursor, rules, table=f"{window}.events", threads=2)
        finally:
            with self._lock:
                self._con.execute(f"DETACH DATABASE IF EXISTS {window}")

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """Another connection to the same database, for work outside the store lock; in UTC
        like this one (DuckDB settings are per connection, and `|hour` or a time zone-less
        timestamp would otherwise follow the server's zone)."""
        with self._lock:
            cursor = self._con.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor

    def now(self) -> datetime:
        """Millisecond precision, like ingest stamps, and never behind the last stamp: any batch
        written after this call gets a strictly later `event.ingested`."""
        with self._lock:
            now = datetime.now(UTC).replace(tzinfo=None)
            now = max(now.replace(microsecond=now.microsecond // 1000 * 1000), self._last_ingested)
            self._last_ingested = now
            return now.replace(tzinfo=UTC)

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        try:
            return self._con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise StoreError(str(exc), where=f"{self.path}: query") from exc

    def close(self) -> None:
        with self._lock:
            self._con.close()
