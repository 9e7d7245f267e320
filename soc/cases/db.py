"""Engine and transactions for the case store, on SQLite (embedded) or PostgreSQL (at scale).

SQLite needs three things the defaults don't give: WAL (so the UI reads while detection
writes), foreign keys (off by default), and write transactions that take the write lock when
they begin (`BEGIN IMMEDIATE`). Without the last one, two connections that both read and then
write deadlock and one fails at once with "database is locked" instead of waiting its turn.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from soc.errors import SocError, StoreError

_BEGIN_OPTION = "soc_sqlite_begin"
_SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the database keeps.

    SQLite has no time zones (it returns naive values), PostgreSQL returns the session's zone;
    both are normalised here so that no naive datetime ever leaves the store.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise StoreError("naive datetime given to the case store", where=repr(value))
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        # The scheduler thread and the Flask threads share the pool; a connection is only ever
        # used by one thread at a time, which is what sqlite3 actually requires.
        connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_TIMEOUT_SECONDS},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that `_on_begin` decides
        # how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL once, waiting out other processes doing the same.

    WAL is a property of the file, so a connection to a WAL file has nothing to do. Switching
    needs the exclusive lock, and SQLite answers "database is locked" at once, without its
    busy handler, when two new connections race for it (`soc serve` and `soc users add`
    started together on a new install): those tries are retried until the busy timeout.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Database:
    """Owns the engine and hands out read and write transactions."""

    def __init__(self, url: str) -> None:
        self.where = make_url(url).render_as_string(hide_password=True)
        try:
            if make_url(url).get_backend_name() == "sqlite":
                self.engine = _sqlite_engine(url)
                writer = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
                writer = self.engine
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot open the case store: {exc}", where=self.where) from exc
        self.writer = writer
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.translate_errors(), self._reads.begin() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: the change and its audit rows commit together or not at all."""
        with self.translate_errors(), self._writes.begin() as session:
            yield session

    @contextmanager
    def translate_errors(self) -> Iterator[None]:
        """Database failures leave as `StoreError` naming the store (password hidden)."""
        try:
            yield
        except SocError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(str(exc).splitlines()[0], where=self.where) from exc

    def dispose(self) -> None:
        self.engine.dispose()
