"""Which compiled rules match which events, run as the scheduler runs them, over a real store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectors.files import read_events
from soc.model.event import Event
from soc.rules import Catalog, compile_rules, load_rules
from soc.storage import DuckDBEventStore

ROOT = Path(__file__).resolve().parents[2]

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


def matches_over_lines(
    folder: Path, lines: Sequence[str], rules: Sequence[Path], label: Callable[[Event], Any]
) -> dict[str, list[Any]]:
    """`matches_by_rule` for syslog lines as a file read through `read_events` into a DuckDB
    store in `folder`, with the rules under `rules` compiled by the shipped pipelines. Every
    line must give one event and every rule must compile."""
    path = folder / "lines.log"
    path.write_text("\n".join(lines) + "\n")
    catalog = compile_rules(load_rules(rules), [ROOT / "rules" / "pipelines"])
    assert catalog.compiled and not catalog.errors, catalog.errors
    events = list(read_events([path]))
    assert len(events) == len(lines)
    store = DuckDBEventStore(folder / "events.duckdb")
    try:
        return matches_by_rule(catalog, store, events, label)
    finally:
        store.close()
