"""The only owner of DuckDB (later also elasticsearch): `EventStore` and its implementations."""

from soc.storage.base import EventStore, SearchPage
from soc.storage.duckdb_store import DuckDBEventStore

__all__ = ["DuckDBEventStore", "EventStore", "SearchPage"]
