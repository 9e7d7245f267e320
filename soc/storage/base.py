"""The store-neutral contract every event store implements.

Detection, the UI and the CLI speak only this protocol, so the same code runs on the embedded
DuckDB file and on Elasticsearch. Queries are Lucene-style strings because that is what analysts
type and what Elasticsearch's `query_string` takes natively.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from soc.model.event import Event


@dataclass(frozen=True)
class SearchPage:
    events: list[Event]
    total: int


class EventStore(Protocol):
    def write_batch(self, events: Iterable[Event]) -> int:
        """Store events, stamping `event.ingested`; return how many were new.

        Idempotent: an `event.id` already stored is ignored, so a retried batch never duplicates.
        """
        ...

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
        """Events matching a Lucene-style query in [start, end) of `@timestamp`, newest first.

        `agency_ids=None` means every agency (province staff); an empty collection means none.
        """
        ...

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
        """The most frequent values of `field` among matching events, with counts."""
        ...

    def count(self) -> int: ...

    def get(self, event_id: str, *, agency_ids: Collection[str] | None = None) -> Event | None: ...

    def get_many(self, event_ids: Sequence[str]) -> list[Event]: ...

    def run_rule(
        self, compiled: str, *, ingested_after: datetime, ingested_until: datetime
    ) -> list[dict[str, Any]]:
        """Run a compiled rule over events ingested in (ingested_after, ingested_until].

        Windows are measured in ingest time so late-arriving events are never skipped. Returns
        one row per match, as the rule compiler shaped it.
        """
        ...

    def now(self) -> datetime:
        """The store's clock for `event.ingested`, so detection windows use the same clock."""
        ...

    def close(self) -> None: ...
