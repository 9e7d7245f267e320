"""`soc ingest`: evidence and archives (EVTX, JSON/NDJSON, syslog files, pcaps) into the store.

Uses the same readers and parsers as the listeners (collectors.files), the same enrichment
chain, and the same idempotent store write: ingesting a folder twice stores each event once only
if the events carry their ids (Winlogbeat/ECS exports); files read anew get new ids, as two
identical log lines must stay two events.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import orjson

from soc.cli.common import ProgressBar, call_server, positive_int, settings_of
from soc.config import Settings
from soc.errors import StoreLockedError, ValidationError
from soc.model.event import Event
from soc.model.plural import counted


def register(sub: argparse._SubParsersAction) -> None:
    from collectors.files import FORMATS

    ingest = sub.add_parser("ingest", help="read EVTX, JSON/NDJSON, syslog files and pcaps")
    ingest.add_argument("paths", nargs="+", help="files or folders (read recursively)")
    ingest.add_argument("--format", choices=("auto", *FORMATS), default="auto")
    ingest.add_argument("--batch-size", type=positive_int, default=5000)
    ingest.add_argument("--no-progress", action="store_true")
    ingest.set_defaults(run=_ingest)


def _ingest(args: argparse.Namespace) -> int:
    from collectors.deadletter import DeadLetter
    from collectors.files import ReadProgress, dead_letter_handler, read_events

    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        raise ValidationError(f"no such file or folder: {', '.join(missing)}")
    settings = settings_of(args)
    bar = ProgressBar(enabled=not args.no_progress)
    dead = DeadLetter(settings.dead_letter_path)

    def progress(p: ReadProgress) -> None:
        fraction = p.bytes_done / p.bytes_total if p.bytes_total else 1.0
        bar.draw(
            fraction,
            f"{p.files_done}/{counted(p.files_total, 'file')}, {counted(p.events, 'event')}",
        )

    events = read_events(
        args.paths, format=args.format, on_error=dead_letter_handler(dead), progress=progress
    )
    try:
        stored = _store_locally(settings, events, args.batch_size)
    except StoreLockedError:
        stored = _send_to_server(settings, events, args.batch_size)
    bar.done()
    if dead.count:
        print(
            f"{counted(stored, 'event')} stored; {counted(dead.count, 'problem')} (see {dead.path})"
        )
    else:
        print(f"{counted(stored, 'event')} stored; no problems")
    return 0


def _batches(events: Iterable[Event], size: int) -> Iterable[list[Event]]:
    batch: list[Event] = []
    for event in events:
        batch.append(event)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store_locally(settings: Settings, events: Iterable[Event], batch_size: int) -> int:
    """The server is stopped: enrich and write here (raises StoreLockedError before reading)."""
    from soc.services import build_services

    services = build_services(settings, detection=False)
    try:
        tagger = services.tagger()
        stored = 0
        for batch in _batches(events, batch_size):
            stored += services.events.write_batch([tagger.tag(event) for event in batch])
        return stored
    finally:
        services.close()


def _send_to_server(settings: Settings, events: Iterable[Event], batch_size: int) -> int:
    """A server holds the store: hand it the events through the ingest API (it enriches)."""
    accepted = 0
    for batch in _batches(events, batch_size):
        body = b"\n".join(orjson.dumps(event) for event in batch)
        accepted += call_server(settings, "/api/ingest", ndjson=body)["accepted"]
    return accepted
