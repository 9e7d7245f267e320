"""The in-memory store `soc hunt` loads evidence files into.

It is the embedded event store (same table, same typed columns, same documents) plus, in
memory as Arrow, one text column per document field the rules read (`TextColumns`): DuckDB
spends most of a rule's time parsing JSON when a field comes from the document, about six
times what a plain column costs, and storing the ~200 flat columns in DuckDB (with ~200
lower-cased copies) cost three times the rest of a write. Each write fills them from the events
while they are still dicts (`soc.storage.hunt_load`), so nothing parses a document twice.
Single-event rules run over every row in `soc.storage.rule_eval` (Python, no DuckDB planning
per rule, reading the flat columns where they are), and those it does not understand through
`soc.storage.rule_batch` on two connections, over a copy of the stored rows joined with the
flat columns they read by position; matches stream back in event order (`hits`) so that a hunt
with millions of them never holds them in memory. Each batch's INSERT runs behind the store's
lock (`soc.storage.write_behind`), on the other core while the hunt reads the next batch.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from soc.errors import StoreError
from soc.model.event import Event
from soc.storage.duckdb_store import TYPED_SPEC, DuckDBEventStore, insert_sql
from soc.storage.hunt_load import BatchBuilder, TextColumns
from soc.storage.rule_batch import RuleCondition, RuleMatches, match_rules
from soc.storage.rule_eval import (
    Evaluated,
    ParsedRules,
    evaluate_rules,
    parse_rules,
    rows_from,
)
from soc.storage.write_behind import WriteBehindLock


def memory_limit() -> str:
    """What the hunt's DuckDB holds in memory before it moves table blocks to its temporary
    folder (it does so for in-memory tables too): half of the machine's memory, at least 1 GiB.
    DuckDB's default, 80 %, leaves too little for the rest of a hunt of millions of events (the
    rows cost ~2.3 KB each in memory on the EVTX samples); a fixed 1 GiB made DuckDB fail some
    wide queries ("failed to allocate") instead of spilling."""
    return f"{max(_memory() // 2, 2**30) // 2**20}MB"


_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
"""A container's memory limit (cgroup v2, v1): lower than the machine's, it is the one that
counts."""


def _memory() -> int:
    """The machine's memory, or the container's limit when that is lower; 0 if unknown."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        total = 0
    for path in _CGROUP_LIMITS:
        try:
            limit = Path(path).read_text().strip()
        except OSError:
            continue
        if limit.isdigit() and (not total or int(limit) < total):
            total = int(limit)
    return total


class HuntEventStore(DuckDBEventStore):
    """An in-memory `DuckDBEventStore` with flat columns and batched rule matching.

    `columns` (name -> JSON path) are the flat columns each write fills, `lowered` (name -> SQL
    of the column it lowers) the lower-cased copies the rules name; both are `text`, in
    memory. Where DuckDB runs rules (`run_rule`, `match_rules`' fallback) `events` has the
    columns they read, as they were compiled for; the store's own queries read the stored
    table. `memory`: DuckDB's memory limit (`memory_limit()` by default); past it, table blocks
    go to `spill_folder`, which `close()` removes.
    """

    def __init__(
        self,
        *,
        threads: int = 2,
        columns: Mapping[str, str] | None = None,
        lowered: Mapping[str, str] | None = None,
        memory: str | None = None,
    ) -> None:
        super().__init__(":memory:")
        self._writes = WriteBehindLock()
        self._lock = self._writes  # type: ignore[assignment]  # a lock with more to it
        self._threads = max(1, threads)
        columns = columns or {}
        self._builder = BatchBuilder(TYPED_SPEC, columns)
        self.text = TextColumns(columns, lowered)
        self.spill_folder = Path(tempfile.mkdtemp(prefix="soc-hunt-"))
        with self._lock:
            self._con.execute("SET memory_limit = $limit", {"limit": memory or memory_limit()})
            self._con.execute("SET temp_directory = $path", {"path": str(self.spill_folder)})
            rows = self._con.execute("SELECT current_database()").fetchall()
        self._database = str(rows[0][0])

    def close(self) -> None:
        try:
            self._writes.close()
        finally:
            try:
                super().close()
            finally:
                shutil.rmtree(self.spill_folder, ignore_errors=True)

    @contextlib.contextmanager
    def loading(self) -> Iterator[HuntEventStore]:
        """Writes inside commit together at the end (rolled back on an error, the flat columns
        with them): each commit of a batch costs more than writing it (4 batches of 5,000 EVTX
        events, with the flat columns then in DuckDB: 0.73-1.0 s one commit each, 0.47-0.50 s
        in one transaction, same run). Other connections see the events once the block ends."""
        rows = len(self.text)
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
        try:
            yield self
            self._writes.settle()
        except BaseException:
            try:  # a batch whose write failed before this: its error is the first
                self._writes.settle()
            finally:
                with self._lock:
                    self._con.execute("ROLLBACK")
                    self.text.truncate(rows)
            raise
        with self._lock:
            self._con.execute("COMMIT")

    def _insert(self, events: list[Event], oldest: str) -> int:
        """The batch as one Arrow table with the documents and raw typed values (DuckDB only
        casts them), and its flat columns kept in `text`, row for row: an event stored
        already is left out first, not only by the INSERT, so that both keep the same rows.
        The INSERT runs behind the lock (`WriteBehindLock`): the count is the rows it gets,
        none of them stored (the check above ran after the previous write)."""
        ids = [event["event"]["id"] for event in events]
        # Found by DuckDB's replacement scans of this frame's locals (see the base class).
        _soc_hunt_ids = pa.table({"id": pa.array(ids, pa.string())})
        try:
            stored = {i for (i,) in self._con.execute(_STORED_IDS, {"oldest": oldest}).fetchall()}
            if stored:
                events = [event for event in events if event["event"]["id"] not in stored]
                ids = [event["event"]["id"] for event in events]
            if not events:
                return 0
            batch, flat = self._builder.build(events, self._resolve)
        except duckdb.Error as exc:
            raise StoreError(str(exc), where="hunt store: write_batch") from exc
        first = len(self.text)
        self.text.append(pa.array(ids, pa.string()), flat)
        self._writes.behind(functools.partial(self._write, batch, oldest, first))
        return len(events)

    def _write(self, _soc_hunt_batch: pa.Table, oldest: str, first: int) -> None:
        """The INSERT, behind the lock; failing, it takes the batch's flat columns back out
        (nobody reads or appends them before entering the lock, which waits for this)."""
        try:  # the batch is found by DuckDB's replacement scan of this frame's locals
            self._con.execute(_INSERT, {"oldest": oldest})
        except duckdb.Error as exc:
            self.text.truncate(first)
            raise StoreError(str(exc), where="hunt store: write_batch") from exc

    def _resolve(self, function: str, texts: list[str]) -> list[Any]:
        """`function` (SQL over `_t`) applied to each of `texts`, in order."""
        try:
            row = self._con.execute(
                f"SELECT list_transform($texts, lambda _t: {function})", {"texts": texts}
            ).fetchone()
        except duckdb.Error as exc:
            raise StoreError(str(exc), where="hunt store: write_batch") from exc
        return list(row[0]) if row else []

    def columns_read(self, sql: Iterable[str]) -> list[str]:
        """The flat columns `sql` names, and those the lower-cased columns it names lower (a
        scan of the text: a name found in vain costs a column kept)."""
        return self._wanted(sql)[0]

    def _wanted(self, sql: Iterable[str]) -> tuple[list[str], dict[str, str]]:
        named = set()
        for text in sql:
            named.update(
                (quoted.replace('""', '"') or plain).lower()
                for quoted, plain in _NAMES.findall(text)
            )
        lowered = {n: column for n, column in self.text.lowered.items() if n.lower() in named}
        named.update(  # the columns they lower
            (column[1:-1].replace('""', '"') if column.startswith('"') else column).lower()
            for column in lowered.values()
        )
        return [name for name in self.text.names if name.lower() in named], lowered

    @contextlib.contextmanager
    def _rules_table(self, sql: Iterable[str], text: TextColumns | None = None) -> Iterator[str]:
        """A database of its own (its name) whose `events` is the table the rules in `sql` were
        compiled for: the stored rows joined by position (insertion order, which DuckDB keeps)
        with the flat columns, and lower-cased copies computed by DuckDB; detached after.

        A copy rather than a view: over a positional join DuckDB cannot filter before joining,
        so every statement read every document (~40 ms each on the EVTX samples, against 2-3
        over a table; the copy costs ~60 ms once). It has only the flat and lower-cased columns
        `sql` names (`columns_read`). `text`: the rows to copy (`TextColumns.since`), all by
        default."""
        text = self.text if text is None else text
        wanted, lowered = self._wanted(sql)
        stored = f"{_ident(self._database)}.main.events"
        if text.first_row:
            stored = f"(SELECT * FROM {stored}{rows_from(text.first_row)})"
        database = f"hunt_rules_{uuid.uuid4().hex}"
        cursor = self._cursor()
        try:
            try:
                cursor.register(_FLAT, text.table(wanted))
                cursor.execute(f"ATTACH ':memory:' AS {database}")
                cursor.execute(
                    f"CREATE TABLE {database}.events AS SELECT s.*"
                    f"{''.join(f', f.{_ident(name)}' for name in wanted)}"
                    f"{''.join(f', lower({c}) AS {_ident(n)}' for n, c in lowered.items())} "
                    f"FROM {stored} s POSITIONAL JOIN {_FLAT} f"
                )
            except duckdb.Error as exc:
                raise StoreError(str(exc), where="hunt store: rules table") from exc
            yield database
        finally:
            cursor.execute(f"DETACH DATABASE IF EXISTS {database}")
            cursor.close()

    @contextlib.contextmanager
    def _rule_connection(self, compiled: str) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._rules_table([compiled]) as database:
            cursor = self._cursor()
            try:
                cursor.execute(f"USE {database}")
                yield cursor
            finally:
                cursor.close()

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

    def parse_rules(self, rules: Sequence[RuleCondition]) -> ParsedRules | None:
        """The rules' conditions parsed for this store's columns, for `match_rules`: the part
        of the evaluator's work that depends only on the rules (`soc.storage.rule_eval`).
        None if DuckDB fails meanwhile: `match_rules` then parses them itself."""
        cursor = self._cursor()
        try:
            return parse_rules(cursor, self.text, [rule.where for rule in rules])
        except (duckdb.Error, pa.ArrowException):
            return None
        finally:
            cursor.close()

    def match_rules(
        self,
        rules: Sequence[RuleCondition],
        *,
        parsed: ParsedRules | None = None,
        on_step: Callable[[int], None] | None = None,
        first_row: int = 0,
    ) -> RuleMatches:
        """Every event matching each rule's condition, over the table's rows from `first_row`
        (a write batch's first row) on.

        Conditions the Python evaluator understands run there (`soc.storage.rule_eval`: no
        DuckDB planning per rule; `parsed`: their terms parsed beforehand, see `parse_rules`);
        the others run in DuckDB (`soc.storage.rule_batch`), which also reports their errors.
        Should the evaluator itself fail (reading the columns), every rule goes to DuckDB: the
        hunt loses time, never rules.
        """
        text = self.text.since(first_row) if first_row else self.text
        cursor = self._cursor()
        try:
            done = evaluate_rules(
                cursor,
                text,
                [rule.key for rule in rules],
                [rule.where for rule in rules],
                parsed=parsed,
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

        rest = RuleMatches()
        if done.fallback:
            fallback = [rules[i] for i in done.fallback]
            with self._rules_table((rule.where for rule in fallback), text) as database:
                rest = match_rules(
                    self._cursor,
                    fallback,
                    table=f"{database}.events",
                    threads=self._threads,
                    on_step=step,
                )
        events = {
            rule.key: done.events[rule.key] if rule.key in done.events else rest.events[rule.key]
            for rule in rules
        }
        return RuleMatches(events, rest.errors, done.planned + rest.planned)


_INSERT = insert_sql("_soc_hunt_batch")
"""`_soc_hunt_batch`: the local variable holding one batch's table (`BatchBuilder.build`)."""
_STORED_IDS = (
    "SELECT event_id FROM events WHERE event_id >= $oldest "
    "AND event_id IN (SELECT id FROM _soc_hunt_ids)"
)
"""The ids of a batch (`_soc_hunt_ids`) stored already: ids are time-ordered, so `$oldest`
(the batch's smallest) lets DuckDB skip the row groups written before."""
_NAMES = re.compile(r"""'[^']*(?:''[^']*)*'|"((?:[^"]|"")*)"|([A-Za-z_]\w*)""")
"""Quoted and plain names in SQL (string literals skipped: quotes in them)."""
_FLAT = "_soc_hunt_flat"
"""The flat columns' table as the rules' connections know it (`_rules_cursor`)."""


def _aware(moment: datetime | None) -> datetime | None:
    """The store keeps naive UTC; callers get aware times."""
    return moment.replace(tzinfo=UTC) if moment is not None else None


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
