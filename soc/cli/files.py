"""`soc ingest`: evidence and archives (EVTX, JSON/NDJSON, syslog files, pcaps) into the store.

Uses the same readers and parsers as the listeners (collectors.files), the same enrichment
chain, and the same idempotent store write. Files read anew get new ids (two identical log lines
must stay two events), so a file whose content was stored before is skipped
(`collectors.files.ledger`) unless `--again` is given, and a text log that grew since is read
from where its stored part ended; events that carry their ids (Winlogbeat/ECS exports) are
stored once even then.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from soc.cli.common import (
    ProgressBar,
    add_password_option,
    add_timezone_option,
    call_server,
    positive_int,
    settings_of,
    timezone_of,
)
from soc.config import Settings
from soc.errors import StoreLockedError, ValidationError
from soc.model.event import Event
from soc.model.plural import counted

if TYPE_CHECKING:
    from collectors.files import Start
    from collectors.files.ledger import IngestLedger


def register(sub: argparse._SubParsersAction) -> None:
    from collectors.files import FORMATS

    ingest = sub.add_parser("ingest", help="read EVTX, JSON/NDJSON, syslog, Zeek files and pcaps")
    ingest.add_argument("paths", nargs="+", help="files or folders (read recursively)")
    ingest.add_argument("--format", choices=("auto", *FORMATS), default="auto")
    ingest.add_argument("--batch-size", type=positive_int, default=5000)
    ingest.add_argument("--no-progress", action="store_true")
    add_password_option(ingest)
    add_timezone_option(ingest)
    ingest.add_argument(
        "--again", action="store_true", help="read files whose content was ingested before, too"
    )
    ingest.set_defaults(run=_ingest)


def _ingest(args: argparse.Namespace) -> int:
    from collectors.deadletter import DeadLetter
    from collectors.files import ReadProblem, ReadProgress, dead_letter_handler, read_events
    from collectors.files.detect import walk
    from collectors.files.ledger import IngestLedger

    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        raise ValidationError(f"no such file or folder: {', '.join(missing)}")
    settings = settings_of(args)
    zone = timezone_of(args, settings)
    ledger = IngestLedger(settings.data_dir / "ingested-files.json")
    files, contents, starts = _new_files(
        ledger, walk(args.paths), format=args.format, again=args.again
    )
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

    to_dead_letter = dead_letter_handler(dead)
    locked: dict[str, int] = {}  # archive read -> its members no password given opened

    def on_error(problem: ReadProblem) -> None:
        if problem.locked:
            archive = problem.path.split("!/", 1)[0]
            locked[archive] = locked.get(archive, 0) + 1
        to_dead_letter(problem)

    events = read_events(
        files,
        format=args.format,
        on_error=on_error,
        progress=progress,
        starts=starts,
        passwords=args.password,
        zone=zone,
    )
    try:
        stored = _store_locally(settings, events, args.batch_size)
    except StoreLockedError:
        stored = _send_to_server(settings, events, args.batch_size)
    ledger.record({d: path for d, path in contents.items() if str(path) not in locked})
    bar.done()
    for archive, count in locked.items():
        print(
            f"{archive}: {counted(count, 'encrypted member')} not read, so it is not remembered "
            "as ingested: give its password with --password and ingest it again (its other "
            "members are then read again too)"
        )
    if dead.count:
        print(
            f"{counted(stored, 'event')} stored; {counted(dead.count, 'problem')} (see {dead.path})"
        )
    else:
        print(f"{counted(stored, 'event')} stored; no problems")
    return 0


def _new_files(
    ledger: IngestLedger, paths: Iterable[Path], *, format: str, again: bool
) -> tuple[list[Path], dict[str, Path], dict[str, Start]]:
    """The files to read, those of them to remember once stored (by content digest: the same
    content twice is read once) and where to begin the text logs that grew since they were
    stored, saying which were skipped and which resumed. A file that cannot be read is still
    handed to the reader, which reports why."""
    from collectors.files import Start

    read: list[Path] = []
    contents: dict[str, Path] = {}
    starts: dict[str, Start] = {}
    skipped: list[str] = []
    resumed: list[str] = []
    for path in paths:
        try:
            examined = ledger.examine(path)
        except OSError:
            read.append(path)
            continue
        if examined.seen is not None and not again:
            skipped.append(f"  {path} (as {examined.seen.path}, {_when(examined.seen.at)})")
            continue
        if examined.digest in contents:
            continue
        contents[examined.digest] = path
        read.append(path)
        if (resume := examined.resume) is not None and not again and _line_format(path, format):
            starts[str(path)] = Start(resume.offset, resume.lines)
            resumed.append(f"  {path} (after line {resume.lines}, {_when(resume.before.at)})")
    if skipped:
        print(f"skipping {counted(len(skipped), 'file')} ingested before (--again reads them):")
        print("\n".join(skipped))
    if resumed:
        print(f"reading what was added to {counted(len(resumed), 'file')} since it was ingested:")
        print("\n".join(resumed))
    return read, contents, starts


def _line_format(path: Path, format: str) -> bool:
    """Whether the file is read line by line, so that reading can begin at a line."""
    from collectors.files import LINE_FORMATS, detect_format
    from collectors.files.detect import UnknownFormat

    try:
        return (format if format != "auto" else detect_format(path)) in LINE_FORMATS
    except (OSError, UnknownFormat):
        return False


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


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
