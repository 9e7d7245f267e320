"""`soc ingest`: evidence and archives (EVTX, JSON/NDJSON, syslog files, pcaps) into the store.

Uses the same readers and parsers as the listeners (collectors.files), the same enrichment
chain, and the same idempotent store write. Files read anew get new ids (two identical log lines
must stay two events), so a file whose content was stored before is skipped
(`collectors.files.ledger`) unless `--again` is given; events that carry their ids
(Winlogbeat/ECS exports) are stored once even then.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from soc.cli.common import ProgressBar, call_server, positive_int, settings_of
from soc.config import Settings
from soc.errors import StoreLockedError, ValidationError
from soc.model.event import Event
from soc.model.plural import counted

if TYPE_CHECKING:
    from collectors.files.ledger import IngestLedger


def register(sub: argparse._SubParsersAction) -> None:
    from collectors.files import FORMATS

    ingest = sub.add_parser("ingest", help="read EVTX, JSON/NDJSON, syslog files and pcaps")
    ingest.add_argument("paths", nargs="+", help="files or folders (read recursively)")
    ingest.add_argument("--format", choices=("auto", *FORMATS), default="auto")
    ingest.add_argument("--batch-size", type=positive_int, default=5000)
    ingest.add_argument("--no-progress", action="store_true")
    ingest.add_argument(
        "--again", action="store_true", help="read files whose content was ingested before, too"
    )
    ingest.set_defaults(run=_ingest)


def _ingest(args: argparse.Namespace) -> int:
    from collectors.deadletter import DeadLetter
    from collectors.files import ReadProgress, dead_letter_handler, read_events
    from collectors.files.detect import walk
    from collectors.files.ledger import IngestLedger

    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        raise ValidationError(f"no such file or folder: {', '.join(missing)}")
    settings = settings_of(args)
    ledger = IngestLedger(settings.data_dir / "ingested-files.json")
    files, contents = _new_files(ledger, walk(args.paths), again=args.again)
    if not files:
        print("nothing new to ingest")
        return 0
    bar = ProgressBar(enabled=not args.no_progress)
    dead = DeadLetter(settings.dead_letter_path)

    def progress(p: ReadProgress) -> None:
        fraction = p.bytes_done / p.bytes_total if p.bytes_total else 1.0
        bar.draw(
            fraction,
            f"{p.files_done}/{counted(p.files_total, 'file')}, {counted(p.events, 'event')}",
        )

    events = read_events(
        files, format=args.format, on_error=dead_letter_handler(dead), progress=progress
    )
    try:
        stored = _store_locally(settings, events, args.batch_size)
    except StoreLockedError:
        stored = _send_to_server(settings, events, args.batch_size)
    ledger.record(contents)
    bar.done()
    if dead.count:
        print(
            f"{counted(stored, 'event')} stored; {counted(dead.count, 'problem')} (see {dead.path})"
        )
    else:
        print(f"{counted(stored, 'event')} stored; no problems")
    return 0


def _new_files(
    ledger: IngestLedger, paths: Iterable[Path], *, again: bool
) -> tuple[list[Path], dict[str, Path]]:
    """The files to read, and those of them to remember once stored (by content digest: the
    same content twice is read once), saying which were skipped as ingested before. A file
    that cannot be read is still handed to the reader, which reports why."""
    from collectors.files.ledger import digest

    read: list[Path] = []
    contents: dict[str, Path] = {}
    skipped: list[str] = []
    for path in paths:
        try:
            content = digest(path)
        except OSError:
            read.append(path)
            continue
        before = ledger.get(content)
        if before is not None and not again:
            when = before.at.strftime("%Y-%m-%d %H:%M UTC")
            skipped.append(f"  {path} (as {before.path}, {when})")
        elif content not in contents:
            contents[content] = path
            read.append(path)
    if skipped:
        print(f"skipping {counted(len(skipped), 'file')} ingested before (--again reads them):")
        print("\n".join(skipped))
    return read, contents


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
