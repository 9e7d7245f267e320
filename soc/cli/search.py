"""`soc search`: the event search of the UI, from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import datetime

from soc.cli.common import call_server, parse_time, positive_int, settings_of
from soc.config import Settings
from soc.errors import StoreLockedError
from soc.model.event import Event, get_field, isoformat


def register(sub: argparse._SubParsersAction) -> None:
    search = sub.add_parser("search", help="search events (Lucene-style query)")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--from", dest="start", help="ISO time or now-15m / now-24h / now-7d")
    search.add_argument("--to", dest="end", help="ISO time or now-… (default: now)")
    limits = search.add_mutually_exclusive_group()
    limits.add_argument("--limit", type=positive_int, default=100, help="default: 100")
    limits.add_argument("--all", action="store_true", help="every matching event")
    search.add_argument("--format", choices=("ndjson", "table"), default="table")
    search.set_defaults(run=_search)


def _search(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    start, end = parse_time(args.start), parse_time(args.end)
    limit = None if args.all else args.limit
    try:
        events = _search_local(settings, args.query, start, end, limit)
    except StoreLockedError:
        events = _search_server(settings, args.query, start, end, limit)
    _print_events(events, args.format)
    return 0


def _search_local(
    settings: Settings, query: str, start: datetime | None, end: datetime | None, limit: int | None
) -> list[Event]:
    """Read the embedded store directly (the server is stopped)."""
    from soc.storage import DuckDBEventStore

    if not settings.events_path.exists():
        return []
    store = DuckDBEventStore(settings.events_path, read_only=True)
    try:
        return store.search(query, start=start, end=end, limit=limit).events
    finally:
        store.close()


def _search_server(
    settings: Settings, query: str, start: datetime | None, end: datetime | None, limit: int | None
) -> list[Event]:
    """The store is held by a running server: ask its API (which takes ISO times only, so
    `now-24h` is resolved here, as for the local store)."""
    params = {
        "q": query,
        "from": isoformat(start) if start else "",
        "to": isoformat(end) if end else "",
        "limit": limit or 0,
    }
    return call_server(settings, "/api/search", query=params)["events"]


_TABLE_FIELDS = (
    "@timestamp",
    "organization.id",
    "event.dataset",
    "source.ip",
    "destination.ip",
    "destination.port",
    "message",
)


def _print_events(events: Iterable[Event], fmt: str) -> None:
    out = sys.stdout
    if fmt == "ndjson":
        for event in events:
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
        return
    out.write("\t".join(_TABLE_FIELDS) + "\n")
    for event in events:
        cells = []
        for name in _TABLE_FIELDS:
            value = get_field(event, name)
            cells.append("" if value is None else str(value).replace("\n", " ")[:120])
        out.write("\t".join(cells) + "\n")
