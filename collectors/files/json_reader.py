"""JSON and NDJSON files: ECS documents, Windows events (Winlogbeat, NXLog, evtx_dump), Suricata's
eve.json, Zeek's JSON logs and Elasticsearch hits.

A document that only carries a log line in `message` (Filebeat's log input without a module,
Elastic Agent's custom logs, whose dataset is `generic`, Graylog or Splunk raw exports,
SigmaHQ's network-device regression samples) is that line as the syslog listener would have
read it, when one of our parsers knows its content: the shipper's own fields (its agent, the
rest of its host, its `@timestamp` when the line has none) fill in what the line does not say.

NDJSON (Winlogbeat's and NXLog's file outputs, `soc search --format ndjson`, Elasticsearch
exports) is read line by line so one bad line costs only itself. A plain JSON file (an array of
events, one object, an Elasticsearch search response, or objects back to back as `evtx_dump -o
json` writes a multi-record EVTX) has to be decoded whole. Either way a value may hold several
events (an array, a search response's hits).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from typing import Any

import orjson

from collectors.files.source import SourceFile
from collectors.files.syslog_reader import MAX_LINE_BYTES
from collectors.parsers import suricata, windows_json, zeek
from collectors.parsers.values import fill_missing
from collectors.syslog import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.errors import ParseError
from soc.model.event import Event, timestamp_or_none, utcnow

ECS_DATASET = "json"
"""`event.dataset` of an ECS document that does not name its own."""

UNNAMED_DATASET = "generic"
"""Elastic Agent's custom-logs dataset: a document in it names no source, as one without any."""
# Top-level objects that make a JSON object an ECS document (any one is enough).
_ECS_MARKERS = ("@timestamp", "ecs", "event", "source", "destination", "host", "message")


def read_ndjson(source: SourceFile) -> Iterator[Event]:
    log = zeek.file_log(source.path.name)
    for number, line in source.lines():
        text = line.strip()
        if not text:
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            source.problem(f"line {number}", f"invalid JSON: {exc}", text)
            continue
        for item in _items(value):
            doc = _event(item, log, source.zone)
            if doc is None:
                source.problem(f"line {number}", _NOT_AN_EVENT, text)
                continue
            yield doc


def read_json(source: SourceFile) -> Iterator[Event]:
    data = source.file.read_bytes()
    source.bytes_done = source.size
    try:
        values = [orjson.loads(data)]
        broken = None
    except orjson.JSONDecodeError as exc:
        values, broken = _back_to_back(data)
        if not values:
            source.problem("file", f"invalid JSON: {exc}", data)
            return
    items = itertools.chain.from_iterable(_items(value) for value in values)
    log = zeek.file_log(source.path.name)
    for number, item in enumerate(items, 1):
        doc = _event(item, log, source.zone)
        if doc is None:
            source.problem(f"item {number}", _NOT_AN_EVENT, orjson.dumps(item))
            continue
        yield doc
    if broken is not None:
        source.problem(f"value {len(values) + 1}", f"invalid JSON: {broken}", data)


def _back_to_back(data: bytes) -> tuple[list[Any], str | None]:
    """Values written one after another (`evtx_dump -o json`: an indented object per record,
    SigmaHQ's multi-event regression samples), and what broke the first one that is not JSON.

    orjson decodes one document per call and cannot say where it ended, so this slower path
    (the standard decoder) runs only for files orjson refused. A file that is not JSON from the
    start gives no values, and the caller reports orjson's own reason.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], None
    decoder = json.JSONDecoder()
    values: list[Any] = []
    end = 0
    while (start := _skip_space(text, end)) < len(text):
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            return values, str(exc)
        values.append(value)
    return values, None


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


_NOT_AN_EVENT = (
    "not an ECS document, a Windows event (Winlogbeat, NXLog, evtx_dump), a Suricata EVE record"
    " nor a Zeek log record"
)


def _items(value: Any) -> Iterable[Any]:
    """The events of a JSON file: an array's items, a search response's hits, or the object."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        hits = value.get("hits")
        if isinstance(hits, dict) and isinstance(hits.get("hits"), list):
            return hits["hits"]
    return [value]


def _event(value: Any, log: str | None, zone: tzinfo) -> Event | None:
    """The ECS document for one decoded object, or None when it is not an event; `log` is the
    Zeek log the file's name names (`dns.log`), for Zeek records that do not say; `zone` where
    its times that name no zone were written."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("_source"), dict):  # an Elasticsearch hit
        value = value["_source"]
    value.pop("@metadata", None)  # Beats' transport details, not part of the event
    windows = windows_json.from_object(value, zone=zone)
    if windows is not None:
        return windows
    if "timestamp" in value and "event_type" in value and "@timestamp" not in value:
        return suricata.from_object(value)  # a line of Suricata's eve.json
    if (record := zeek.from_object(value, log)) is not None:
        return record  # before ECS: Zeek's files.log has a `source` (text, not ECS's object)
    if not any(key in value for key in _ECS_MARKERS):
        return None
    event = value.get("event")
    if not isinstance(event, dict):
        event = value["event"] = {}
    event.pop("ingested", None)  # the store stamps when *it* received the event
    unnamed = event.get("dataset", UNNAMED_DATASET) == UNNAMED_DATASET and "module" not in event
    if unnamed and (line := _parsed_line(value, zone)):
        return line
    event.setdefault("dataset", ECS_DATASET)
    return value


def _parsed_line(doc: dict[str, Any], zone: tzinfo) -> Event | None:
    """The document's `message` parsed as a received log line, with the document's fields
    under it; None when no parser of ours knows the line (the document stays as it came)."""
    message = doc.get("message")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_LINE_BYTES:
        return None  # longer than any line the syslog file reader reads whole: kept as text
    received = timestamp_or_none(doc.get("@timestamp")) or utcnow()
    try:
        parsed = parse_syslog(message.encode("utf-8"), received=received, zone=zone)
        line = to_ecs(parsed, peer_ip=None)
    except ParseError:
        return None
    if "dataset" not in line.get("event", {}):
        return None  # a line only the generic syslog reading knows adds nothing to the document
    fill_missing(line, doc)
    return line
