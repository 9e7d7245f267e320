"""`read_events`: files and folders of logs to stamped ECS events, whatever their format.

The same parsers as the listeners turn each record into an event, so `soc ingest` and `soc hunt`
see exactly what a live collector would have stored. Events stream out one at a time (a
multi-gigabyte export never sits in memory), each stamped where it is first read (`event.id`)
and carrying the file it came from (`log.file.path`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path, PurePosixPath

from collectors.files.archives import archive_kind, members
from collectors.files.compressed import decompressed
from collectors.files.detect import FORMATS, UnknownFormat, detect_format, passed_over, walk
from collectors.files.evtx_reader import read_evtx
from collectors.files.expansion import Expansion
from collectors.files.json_reader import read_json, read_ndjson
from collectors.files.source import ProblemHandler, ReadProblem, SourceFile, Start
from collectors.files.syslog_reader import read_syslog
from collectors.files.w3c_reader import read_w3c
from collectors.files.zeek_tsv import read_zeek_tsv
from collectors.parsers.values import object_field
from soc.errors import ParseError
from soc.model.event import Event, stamp


def _read_pcap(source: SourceFile) -> Iterator[Event]:
    """scapy (and the NetFlow package) load only when a capture is read: importing scapy costs
    about half a second, and most runs read no capture."""
    from collectors.files.pcap_reader import read_pcap

    return read_pcap(source)


_READERS: dict[str, Callable[[SourceFile], Iterator[Event]]] = {
    "evtx": read_evtx,
    "json": read_json,
    "ndjson": read_ndjson,
    "syslog": read_syslog,
    "pcap": _read_pcap,
    "zeek": read_zeek_tsv,
    "w3c": read_w3c,
}
LINE_FORMATS = frozenset({"syslog", "ndjson"})
"""Formats read line by line, so that reading can begin at any line (`Start`)."""
# `event.dataset` for events whose reader leaves it open (Windows and flows set their own).
_DEFAULT_DATASETS = {"syslog": "syslog", "json": "json", "ndjson": "json"}

PROGRESS_EVERY_EVENTS = 1000


@dataclass(frozen=True)
class ReadProgress:
    """How far `read_events` has got, for a progress bar (bytes are the steady measure: event
    counts per file are unknown until read)."""

    path: str | None  # the file being read, None once all are done
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    events: int
    problems: int


def read_events(
    paths: Iterable[str | Path],
    *,
    format: str = "auto",
    on_error: ProblemHandler | None = None,
    progress: Callable[[ReadProgress], None] | None = None,
    starts: Mapping[str, Start] | None = None,
    passwords: Sequence[str] = (),
    zone: tzinfo = UTC,
) -> Iterator[Event]:
    """Every event in the files and folders (recursively) named by `paths`.

    `format` is one of `auto` (by content, then extension, per file) or `FORMATS`. Each record
    that cannot be read goes to `on_error` as a `ReadProblem` and reading continues; without a
    handler the first problem raises ParseError, so nothing is ever lost silently. `progress`
    is called every `PROGRESS_EVERY_EVENTS` events and after each file. `starts` (by path as
    given) says where to begin a file of a `LINE_FORMATS` format; other formats are read whole.
    `passwords` are tried on encrypted zip members. `zone` is where timestamps that name no zone
    were written (a syslog file's clock, NXLog's `EventTime`): UTC unless told.
    """
    if format != "auto" and format not in FORMATS:
        raise ParseError(f"unknown format {format!r}; use auto or one of {', '.join(FORMATS)}")
    files = list(walk(paths))
    sizes = [_size(path) for path in files]
    state = _Counters(files_total=len(files), bytes_total=sum(sizes))
    reading = _Reading(format, on_error or _raise, state, progress,
                       tuple(p.encode() for p in passwords), zone)  # fmt: skip
    for path, size in zip(files, sizes, strict=True):
        start = starts.get(str(path)) if starts else None
        yield from _read_file(reading, path, size, start, Expansion.of(size))
        state.bytes_before += size
        state.files_done += 1
        state.report(progress, None)


@dataclass
class _Counters:
    files_total: int
    bytes_total: int
    files_done: int = 0
    bytes_before: int = 0  # bytes of the files already finished
    events: int = 0
    problems: int = 0

    def report(
        self,
        progress: Callable[[ReadProgress], None] | None,
        source: SourceFile | None,
    ) -> None:
        if progress is None:
            return
        within = source.disk_bytes_done if source is not None else 0
        progress(
            ReadProgress(
                path=str(source.path) if source is not None else None,
                files_done=self.files_done,
                files_total=self.files_total,
                bytes_done=self.bytes_before + within,
                bytes_total=self.bytes_total,
                events=self.events,
                problems=self.problems + (source.problems if source is not None else 0),
            )
        )


@dataclass(frozen=True)
class _Reading:
    """What one `read_events` call hands every file it reads."""

    format: str
    handler: ProblemHandler
    state: _Counters
    progress: Callable[[ReadProgress], None] | None
    passwords: tuple[bytes, ...]
    zone: tzinfo

    def problem(self, path: Path, format: str, reason: str, *, locked: bool = False) -> None:
        """A problem with a whole file (`path` as events name it)."""
        self.state.problems += 1
        self.handler(ReadProblem(str(path), format, "file", reason, locked=locked))


MAX_ARCHIVE_DEPTH = 3
"""Archives inside archives are opened this deep; a deeper one is a problem (a zip quine would
otherwise never end)."""


def _read_file(
    reading: _Reading,
    path: Path,
    size: int,
    start: Start | None,
    expansion: Expansion,
    disk: Path | None = None,
    depth: int = 0,
) -> Iterator[Event]:
    """The events of one file, `path` as events and problems name it, read from `disk` (a
    member extracted from an archive) or `path` itself: through its decompressed copy when it
    is compressed (a grown file's `start` is then meaningless: compressed logs are rotated, not
    appended to), member by member when it is an archive. `expansion` bounds what unpacking
    writes, over every layer of the file named to `read_events`."""
    try:
        with decompressed(disk or path, expansion) as copy:
            file = copy.path if copy is not None else disk or path
            if copy is not None and copy.problem:
                reading.problem(path, "unknown", copy.problem)
            if kind := archive_kind(file):
                yield from _read_archive(reading, path, file, kind, expansion, depth)
                return
            try:
                name = reading.format if reading.format != "auto" else detect_format(file)
            except UnknownFormat as exc:
                reading.problem(path, "unknown", _reason(exc))
                return
            source = SourceFile(path=path, format=name, size=size, on_problem=reading.handler,
                                zone=reading.zone)  # fmt: skip
            if file == path:
                source.start = start if name in LINE_FORMATS else None
            else:  # progress moves in the size on disk of what was named
                source.content, source.size = file, _size(file)
                source.disk_size = size if disk is None else 0
            yield from _read_source(reading, source)
    except OSError as exc:  # unreadable, vanished, or a disk error mid-read: report, go on
        reading.problem(path, "unknown" if reading.format == "auto" else reading.format,
                        _reason(exc))  # fmt: skip


def _read_archive(
    reading: _Reading, path: Path, file: Path, kind: str, expansion: Expansion, depth: int
) -> Iterator[Event]:
    if depth >= MAX_ARCHIVE_DEPTH:
        reading.problem(path, kind, f"a {kind} archive nested too deep")
        return
    with members(file, kind, expansion, reading.passwords) as found:
        for member in found:
            if member.name and passed_over(PurePosixPath(member.name.replace("\\", "/"))):
                continue
            shown = Path(f"{path}!/{member.name}") if member.name else path
            if member.problem:
                reading.problem(shown, kind, member.problem, locked=member.locked)
            if member.path is not None:
                yield from _read_file(reading, shown, _size(member.path), None, expansion,
                                      member.path, depth + 1)  # fmt: skip


def _read_source(reading: _Reading, source: SourceFile) -> Iterator[Event]:
    name = source.format
    file_path = str(source.path)
    state = reading.state
    try:
        for doc in _READERS[name](source):
            object_field(object_field(doc, "log"), "file")["path"] = file_path
            stamp(doc, dataset=_DEFAULT_DATASETS.get(name, name))
            state.events += 1
            if state.events % PROGRESS_EVERY_EVENTS == 0:
                state.report(reading.progress, source)
            yield doc
    except OSError as exc:  # the file vanished or a disk error mid-read: report, go on
        source.problem("file", _reason(exc))
    state.problems += source.problems


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    return str(exc) or type(exc).__name__


def _raise(problem: ReadProblem) -> None:
    raise ParseError(problem.reason, where=f"{problem.path}: {problem.location}")
