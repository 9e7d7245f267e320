"""The embedded event store: one DuckDB file, typed columns for hot fields plus the full document.

Writes go in as columnar batches (`unnest` of Python lists: ~180k rows/s here, against ~5k/s
for `executemany`). One lock serialises writes and rule runs so that `event.ingested` is
assigned and committed atomically: a detection window (after, until] can never miss a row that
was stamped inside it but committed later.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from soc.errors import StoreError, StoreLockedError
from soc.model.event import Event, get_field, isoformat
from soc.model.fields import TYPED_FIELDS, column_name
from soc.storage.base import SearchPage
from soc.storage.lucene import LuceneToSql, field_expr

_SQL_TYPES = {
    "timestamp": "TIMESTAMP",
    "text": "VARCHAR",
    "ip": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "keywords": "VARCHAR[]",
}
_COLUMNS = [column_name(f) for f in TYPED_FIELDS]
_PATHS = [tuple(f.split(".")) for f in TYPED_FIELDS]
_KINDS = list(TYPED_FIELDS.values())


def _schema() -> str:
    cols = ",\n  ".join(
        f"{column_name(f)} {_SQL_TYPES[t]}" + (" PRIMARY KEY" if f == "event.id" else "")
        for f, t in TYPED_FIELDS.items()
    )
    return f"CREATE TABLE IF NOT EXISTS events (\n  {cols},\n  doc JSON NOT NULL\n)"


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


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
            self._con.execute(_schema())
            self._con.execute(
                "CREATE INDEX IF NOT EXISTS events_ingested ON events (event_ingested)"
            )
        self._lock = threading.RLock()
        self._last_ingested = datetime.min

    # -- writing -------------------------------------------------------------------------------

    def write_batch(self, events: Iterable[Event]) -> int:
        unique: dict[str, Event] = {}
        for event in events:
            event_id = get_field(event, "event.id")
            if not event_id:
                raise StoreError("event without event.id", where="write_batch")
            unique.setdefault(event_id, event)
        if not unique:
            return 0
        with self._lock:
            ingested = self._next_ingested()
            ingested_text = isoformat(ingested.replace(tzinfo=UTC))
            columns: list[list[Any]] = [[] for _ in _COLUMNS]
            docs = []
            for event in unique.values():
                event.setdefault("event", {})["ingested"] = ingested_text
                dotted_keys = any("." in key for key in event)
                for column, field, path, kind in zip(
                    columns, TYPED_FIELDS, _PATHS, _KINDS, strict=True
                ):
                    value = get_field(event, field) if dotted_keys else _dig(event, path)
                    column.append(_column_value(value, kind))
                docs.append(orjson.dumps(event).decode())
            casts = []
            for i, kind in enumerate(_KINDS, start=1):
                if kind == "timestamp":
                    casts.append(f"CAST(TRY_CAST(unnest(${i}) AS TIMESTAMPTZ) AS TIMESTAMP)")
                elif kind in ("int", "bigint", "keywords"):
                    casts.append(f"TRY_CAST(unnest(${i}) AS {_SQL_TYPES[kind]})")
                else:
                    casts.append(f"CAST(unnest(${i}) AS VARCHAR)")
            casts.append(f"unnest(${len(_KINDS) + 1})")
            params = [*columns, docs]
            before = self._count_locked()
            try:
                self._con.execute(f"INSERT OR IGNORE INTO events SELECT {', '.join(casts)}", params)
            except duckdb.Error as exc:
                raise StoreError(str(exc), where=f"{self.path}: write_batch") from exc
            return self._count_locked() - before

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
        params = {"after": _naive_utc(ingested_after), "until": _naive_utc(ingested_until)}
        with self._lock:
            try:
                cursor = self._con.execute(compiled, params)
            except duckdb.Error as exc:
                raise StoreError(str(exc), where=f"{self.path}: run_rule") from exc
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

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


def _dig(doc: Any, path: tuple[str, ...]) -> Any:
    """Nested lookup without `get_field`'s dotted-key search: 5x faster on the ingest path."""
    for part in path:
        try:
            doc = doc[part]
        except (KeyError, TypeError, IndexError):
            return None
    return doc


def _column_value(value: Any, kind: str) -> Any:
    """Text for scalar columns (one list type per column; SQL casts it), lists for keywords."""
    if kind == "keywords":
        if value is None:
            return None
        return [_text(v) for v in (value if isinstance(value, list) else [value])]
    if isinstance(value, list):
        value = value[0] if value else None
    return _text(value)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()
