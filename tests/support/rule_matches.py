"""Which compiled rules match which events, run as the scheduler runs them, over a real store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from soc.model.event import Event
from soc.rules import Catalog
from soc.storage import DuckDBEventStore

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def matches_by_rule(
    catalog: Catalog,
    store: DuckDBEventStore,
    events: Sequence[Event],
    label: Callable[[Event], Any],
) -> dict[str, list[Any]]:
    """Write `events`, run every compiled rule over all of them; rule id -> the sorted labels
    of the events it matched, for each rule that matched any."""
    store.write_batch(list(events))
    labels = {event["event"]["id"]: label(event) for event in events}
    found: dict[str, list[Any]] = {}
    for rule in catalog.compiled:
        rows = store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=store.now())
        if rows:
            found[rule.id] = sorted(labels[row["event_id"]] for row in rows)
    return found
