"""The in-memory store `soc hunt` loads evidence files into.

It is the embedded event store (same table, same typed columns, same documents) plus one text
column per document field the rules read, and lower-cased copies: DuckDB spends most of a
rule's time parsing JSON when a field comes from the document, about six times what a plain
column costs. Given the columns up front, each write fills them from the events while they are
still dicts (`soc.storage.hunt_load`), so DuckDB parses no document at all; `add_columns` fills
them from the stored documents instead (the reference the first is tested against).
Single-event rules run over every row in `soc.storage.rule_eval` (Python, no DuckDB planning
per rule), and those it does not understand through `soc.storage.rule_batch` on two
connections; matches stream back in event order (`hits`) so that a hunt with millions of them
never holds them in memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from soc.errors import StoreError
from soc.model.event import Event
from soc.storage.duckdb_store import TYPED_SPEC, DuckDBEventStore, insert_sql, schema
from soc.storage.hunt_load import BatchBuilder
from soc.storage.rule_batch import RuleCondition, RuleMatches, match_rules
from soc.storage.rule_eval import Evaluated, evaluate_rules


class HuntEventStore(DuckDBEventStore):
    """An in-memory `DuckDBEventStore` with flat columns and batched rule matching.

    Given `columns` (name -> JSON path) and `lowered` (name -> SQL of the column it lowers),
    the table has them from the start and each write fills them (`soc.storage.hunt_load`): no
    document is parsed by DuckDB. Without, `add_columns` adds them after loading.
    """

    def __init__(
        self,
        *,
        threads: int = 2,
        columns: Mapping[str, str] | None = None,
        lowered: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(":memory:")
        self._threads = max(1, threads)
        self._builder: BatchBuilder | None = None
        if columns is None and lowered is None:
            return
        columns, lowered = columns or {}, lowered or {}
        self._builder = BatchBuilder(TYPED_SPEC, columns)
        self._wide_insert = insert_sql(
            _BATCH,
            columns=[f"{sql} AS {_ident(name)}" for name, sql in self._builder.read.items()],
            lowered=[f"lower({sql}) AS {_ident(name)}" for name, sql in lowered.items()],
        )
        with self._lock:
            self._con.execute("DROP TABLE events")
            self._con.execute(schema([_ident(name) for name in [*columns, *lowered]]))

    @contextlib.contextmanager
    def loading(self) -> Iterator[HuntEventStore]:
        """Writes inside commit together at the end (rolled back on an error): each commit of
        a batch into the wide table costs more than writing it (4 batches of 5,000 EVTX
        events: 0.73-1.0 s one commit each, 0.47-0.50 s in one transaction, same run).
        Other connections see the events once the block ends."""
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            with self._lock:
                self._con.execute("ROLLBACK")
            raise
        with self._lock:
            self._con.execute("COMMIT")

    def _insert(self, events: list[Event], oldest: str) -> int:
        """The batch as one Arrow table with the typed, document and flat columns' values;
        DuckDB only casts and lower-cases."""
        if self._builder is None:
            return super()._insert(events, oldest)
        # Found by DuckDB's replacement scan of this frame's locals (see the base class).
        _soc_hunt_batch = self._builder.build(events, self._resolve)
        try:
            rows = self._con.execute(self._wide_insert, {"oldest": oldest}).fetchall()
        except duckdb.Error as exc:
            raise StoreError(str(exc), where="hunt store: write_batch") from exc
        return int(rows[0][0]) if rows else 0

    def _resolve(self, function: str, texts: list[str]) -> list[Any]:
        """`function` (SQL over `_t`) applied to each of `texts`, in order."""
        try:
            row = self._con.execute(
                f"SELECT list_transform($texts, lambda _t: {function})", {"texts": texts}
            ).fetchone()
        except duckdb.Error as exc:
            raise StoreError(str(exc), where="hunt store: write_batch") from exc
        return list(row[0]) if row else []

    def add_columns(
        self, paths: Mapping[str, str], *, lowered: Mapping[str, str] | None = None
    ) -> None:
        """Add a text column per entry of `paths` (name -> JSON path), filled from the stored
        documents, then per entry of `lowered` (name -> column) that column lower-cased.

        Filled by one multi-path `json_extract_string` per document: the document is parsed
        once for all columns, and each value is what the live store's per-field
        `json_extract_string(doc, path)` reads.
        """
        lowered = lowered or {}
        if not paths and not lowered:
            return
        position = {_ident(name): i for i, name in enumerate(paths, start=1)}
        listed = ", ".join(_literal(path) for path in paths.values())
        columns = [f"_v[{i}] AS {_ident(name)}" for i, name in enumerate(paths, start=1)]
        columns.extend(  # a flat column lowered from the extracted value, in the same pass
            f"lower({f'_v[{position[column]}]' if column in position else column}) "
            f"AS {_ident(name)}"
            for name, column in lowered.items()
        )
        select = f"SELECT * EXCLUDE (_v), {', '.join(columns)} FROM "
        if paths:
            select += f"(SELECT *, json_extract_string(doc, [{listed}]) AS _v FROM events)"
        else:
            select += "(SELECT *, NULL AS _v FROM events)"
        with self._lock:
            try:
                self._con.execute(f"CREATE TABLE flat AS {select}")
                self._con.execute("DROP TABLE events")
                self._con.execute("ALTER TABLE flat RENAME TO events")
            except duckdb.Error as exc:
                raise StoreError(str(exc), where="hunt store: add_columns") from exc

    def hits(
        self, pairs: Sequence[tuple[str, str]], *, rows_per_fetch: int = 1000
    ) -> Iterator[tuple[str, Event]]:
        """(key, event document) for each (key, event id) pair, in event time order.

        Streams from its own connection, so a million matches never sit in memory at once.
        """
        cursor = self._cursor()
        try:
            cursor.execute(
                "SELECT h.k, e.doc FROM (SELECT unnest($keys) AS k, unnest($ids) AS event_id) h "
                "JOIN events e USING (event_id) ORDER BY e.timestamp, e.event_id, h.k",
                {"keys": [k for k, _ in pairs], "ids": [i for _, i in pairs]},
            )
            while rows := cursor.fetchmany(rows_per_fetch):
                for key, doc in rows:
                    yield key, orjson.loads(doc)
        except duckdb.Error as exc:
            raise StoreError(str(exc), where="hunt store: hits") from exc
        finally:
            cursor.close()

    def hit_stats(
        self, pairs: Sequence[tuple[str, str]], *, max_hosts: int = 5
    ) -> dict[str, tuple[datetime | None, datetime | None, list[str]]]:
        """Per key of the (key, event id) pairs: first and last event time, and its hosts
        (the first `max_hosts` in name order)."""
        cursor = self._cursor()
        try:
            rows = cursor.execute(
                "SELECT h.k, min(e.timestamp), max(e.timestamp), "
                f"list_sort(list_distinct(list(e.host_name)))[1:{int(max_hosts)}] "
                "FROM (SELECT unnest($keys) AS k, unnest($ids) AS event_id) h "
                "JOIN events e USING (event_id) GROUP BY h.k",
                {"keys": [k for k, _ in pairs], "ids": [i for _, i in pairs]},
            ).fetchall()
        except duckdb.Error as exc:
            raise StoreError(str(exc), where="hunt store: hit_stats") from exc
        finally:
            cursor.close()
        return {key: (_aware(first), _aware(last), hosts) for key, first, last, hosts in rows}

    def time_span(self) -> tuple[datetime | None, datetime | None]:
        """The first and last `@timestamp` loaded."""
        with self._lock:
            row = self._con.execute("SELECT min(timestamp), max(timestamp) FROM events").fetchone()
        first, last = row or (None, None)
        return _aware(first), _aware(last)

    def match_rules(
        self,
        rules: Sequence[RuleCondition],
        *,
        on_step: Callable[[int], None] | None = None,
    ) -> RuleMatches:
        """Every event matching each rule's condition, over the whole table.

        Conditions the Python evaluator understands run there (`soc.storage.rule_eval`: no
        DuckDB planning per rule); the others run in DuckDB (`soc.storage.rule_batch`), which
        also reports their errors. Should the evaluator itself fail (reading the columns), every
        rule goes to DuckDB: the hunt loses time, never rules.
        """
        cursor = self._cursor()
        try:
            done = evaluate_rules(
                cursor,
                [rule.key for rule in rules],
                [rule.where for rule in rules],
                on_step=on_step,
            )
        except (duckdb.Error, pa.ArrowException):
            done = Evaluated(events={}, fallback=list(range(len(rules))))
        finally:
            cursor.close()
        evaluated = len(rules) - len(done.fallback)

        def step(settled: int) -> None:
            if on_step is not None:
                on_step(evaluated + settled)

        rest = match_rules(
            self._cursor, [rules[i] for i in done.fallback], threads=self._threads, on_step=step
        )
        events = {
            rule.key: done.events[rule.key] if rule.key in done.events else rest.events[rule.key]
            for rule in rules
        }
        return RuleMatches(events, rest.errors, done.planned + rest.planned)


_BATCH = "_soc_hunt_batch"
"""The local variable holding one batch as an Arrow table (`BatchBuilder.build`)."""


def _aware(moment: datetime | None) -> datetime | None:
    """The store keeps naive UTC; callers get aware times."""
    return moment.replace(tzinfo=UTC) if moment is not None else None


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
