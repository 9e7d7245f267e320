"""EVTX files (Windows event logs) to ECS events, through the `evtx` package.

The package parses records in Rust and hands them over as JSON in the XML's shape; a broken
record or chunk raises for that piece only and the iteration goes on, so each failure becomes a
dead-letter entry with the record number or chunk it hit and that piece's raw bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import evtx
import orjson

from collectors.files.evtx_layout import (
    EvtxLayout,
    PaddedFile,
    chunk_bytes,
    read_layout,
    record_bytes,
)
from collectors.files.source import SourceFile
from collectors.parsers.windows_event import finish_windows_event
from collectors.parsers.windows_xml import winlog_document
from soc.errors import SocError
from soc.model.event import Event

MAX_ERRORS_PER_FILE = 10_000
"""A file this broken is not an event log; stop rather than report every 64 KiB of noise."""

_RECORD_ERROR = re.compile(r"record number (\d+)")
_CHUNK_IDS_ERROR = re.compile(r"chunk containing record IDs (\d+)\.\.(\d+)")
_CHUNK_ERROR = re.compile(r"chunk number (\d+)")


def read_evtx(source: SourceFile) -> Iterator[Event]:
    """Every readable record of the file as a Windows ECS event, in file order."""
    layout = read_layout(source.file)
    with source.file.open("rb") as fh:
        # The padding view costs a Python call per read the package makes (a fifth of its
        # parsing time on the EVTX samples): only a cut-off file needs it.
        readable = fh if layout.partial_chunk is None else PaddedFile(fh, layout.padded_size)
        records = evtx.PyEvtxParser(readable).records_json()
        yield from _events(source, layout, records)
    _report_truncation(source, layout)
    source.bytes_done = source.size


def _events(source: SourceFile, layout: EvtxLayout, records: Iterator[dict]) -> Iterator[Event]:
    errors = 0
    first_id: int | None = None
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except RuntimeError as exc:  # the package's error for one record or chunk
            errors += 1
            _report_error(source, layout, str(exc))
            if errors >= MAX_ERRORS_PER_FILE:
                source.problem("file", f"gave up after {errors} unreadable records or chunks")
                return
            continue
        record_id = record.get("event_record_id")
        location = f"record {record_id}"
        try:
            doc = winlog_document(orjson.loads(record["data"]))
        except (orjson.JSONDecodeError, KeyError, SocError) as exc:
            source.problem(location, str(exc), str(record.get("data", "")).encode())
            continue
        if isinstance(record_id, int):
            first_id = record_id if first_id is None else first_id
            doc["winlog"].setdefault("record_id", record_id)
            source.bytes_done = int(source.size * layout.progress(record_id, first_id))
        yield finish_windows_event(doc)


def _report_error(source: SourceFile, layout: EvtxLayout, message: str) -> None:
    """Name the record or chunk the package failed on, and keep its bytes for replay."""
    raw = b""
    location = "file"
    if match := _RECORD_ERROR.search(message):
        record_id = int(match.group(1))
        location = f"record {record_id}"
        raw = record_bytes(source.file, layout, record_id)
    elif match := _CHUNK_IDS_ERROR.search(message):
        first, last = int(match.group(1)), int(match.group(2))
        location = f"records {first}..{last}"
        if chunk := layout.chunk_for_record(first):
            raw = chunk_bytes(source.file, chunk)
    elif (match := _CHUNK_ERROR.search(message)) and int(match.group(1)) < len(layout.chunks):
        chunk = layout.chunks[int(match.group(1))]
        location = f"chunk {chunk.index}"
        raw = chunk_bytes(source.file, chunk)
    source.problem(location, message, raw)


def _report_truncation(source: SourceFile, layout: EvtxLayout) -> None:
    """A cut-off last chunk: its whole records were read (padding), the cut one is lost."""
    chunk = layout.partial_chunk
    if chunk is None:
        return
    kept = layout.size - chunk.offset
    reason = f"file truncated: last chunk has {kept} of 65536 bytes; records cut off are lost"
    if chunk.last_record_id is not None:
        reason += f" (the chunk held records {chunk.first_record_id}..{chunk.last_record_id})"
    source.problem(f"chunk {chunk.index}", reason, _tail(source.file, chunk.offset))


def _tail(path: Path, offset: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read()
