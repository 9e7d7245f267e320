"""ECS events as nested documents, and the few operations every layer needs on them.

An event *is* its ECS document: that is the contract with Elasticsearch, with `soc hunt` output
and with the ingest API, so we keep the document rather than a parallel class hierarchy.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
"""A nested ECS document (`{"source": {"ip": ...}}`), never flattened keys."""


# Event ids need uniqueness, not secrecy: 74 random bits per millisecond from a generator seeded
# by the OS, and re-seeded in every forked child so two processes never share a sequence. Not
# `os.urandom` per id: each call is a system call that releases the GIL, and a listener thread
# handed it to the sink's writer for up to a switch interval (12 us per id in a profile of the
# NetFlow listener, a quarter of its time per flow).
_IDS = random.Random()
os.register_at_fork(after_in_child=_IDS.seed)
_RAND_BITS = 74  # UUIDv7: 12 bits of rand_a, 62 of rand_b


def new_event_id() -> str:
    """A UUIDv7: unique, and ordered by creation time so store indexes stay append-friendly.

    Assigned once, where an event is first received; retries carry it, so a retried batch never
    duplicates while two identical log lines remain two events.
    """
    return _uuid7(_version_and_time(), _IDS.getrandbits(_RAND_BITS))


def new_event_ids(count: int) -> list[str]:
    """`count` ids as `new_event_id` makes them, for a datagram's worth of flows at once."""
    high = _version_and_time()
    bits = _IDS.getrandbits
    return [_uuid7(high, bits(_RAND_BITS)) for _ in range(count)]


def _version_and_time() -> int:
    return ((time.time_ns() // 1_000_000) & ((1 << 48) - 1)) << 80 | 0x7 << 76


def _uuid7(high: int, rand: int) -> str:
    value = high | (rand >> 62) << 64 | 0b10 << 62 | (rand & ((1 << 62) - 1))
    text = f"{value:032x}"  # what str(uuid.UUID(int=value)) gives, at a third of its cost
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """ECS timestamps: UTC, millisecond precision (what Elasticsearch `date` keeps)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(value: str) -> datetime:
    """Read an ISO 8601 timestamp; naive values are taken as UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def timestamp_or_none(value: Any) -> datetime | None:
    """`parse_timestamp` of a value from outside (a feed, a shipped document), which may be
    anything: None when it is not an ISO 8601 text."""
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def get_field(doc: Mapping[str, Any], dotted: str) -> Any:
    """Value at an ECS dotted path (`source.ip`), or None.

    Accepts documents that keep a dotted key literally (`{"winlog": {"event_data": {"a.b": 1}}}`)
    because Windows event data names are not ECS paths.
    """
    node: Any = doc
    parts = dotted.split(".")
    i = 0
    while i < len(parts):
        if not isinstance(node, Mapping):
            return None
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            if key in node:
                node = node[key]
                i = j
                break
        else:
            return None
    return node


def set_field(doc: Event, dotted: str, value: Any) -> None:
    """Set a dotted ECS path, creating intermediate objects."""
    parts = dotted.split(".")
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def nest(doc: Mapping[str, Any]) -> Event:
    """Turn top-level dotted keys (`{"source.ip": x}`, as Elasticsearch accepts) into nested
    objects, so every store and rule sees one shape. Deeper keys are names, not paths, and stay
    as they are (Windows event data names may contain dots)."""
    nested: Event = {}
    for key, value in doc.items():
        if "." in key:
            set_field(nested, key, value)
        elif isinstance(value, Mapping):
            nested.setdefault(key, {}).update(value)
        else:
            nested[key] = value
    return nested


def flatten(doc: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (dotted path, leaf value) pairs; lists are leaves."""
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, f"{path}.")
        else:
            yield path, value


def stamp(doc: Event, *, dataset: str, received: datetime | None = None) -> Event:
    """Give a freshly parsed event its identity: `event.id`, `event.dataset`, `@timestamp`.

    Called once where the event is first received; an event that already has an id (from a spool
    or a remote collector) keeps it.
    """
    event = doc.setdefault("event", {})
    if "id" not in event:  # not setdefault: its argument would be computed every time
        event["id"] = new_event_id()
    event.setdefault("dataset", dataset)
    if "@timestamp" not in doc:
        doc["@timestamp"] = isoformat(received or utcnow())
    return doc
