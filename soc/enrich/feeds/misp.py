"""MISP feeds: a feed directory (`manifest.json` plus one `<uuid>.json` per event), a single
event file (`{"Event": …}`), or a search result (`{"response": [{"Event": …}, …]}`).

Only attributes flagged for detection (`to_ids`) are imported, as MISP intends: the others are
context (a victim's address, a sandbox's domain) and would raise false alarms. Composite types
(`domain|ip`, `ip-dst|port`, `filename|sha256`) give their matchable parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from soc.enrich.feeds.report import ParsedFeed
from soc.enrich.indicators import normalize
from soc.errors import ValidationError
from soc.model.event import timestamp_or_none
from soc.model.intel import Indicator

# MISP attribute type -> indicator kind of each `|`-separated part (None: not matched).
TYPES: dict[str, tuple[str | None, ...]] = {
    "ip-src": ("ip",),
    "ip-dst": ("ip",),
    "ip-src|port": ("ip", None),
    "ip-dst|port": ("ip", None),
    "domain": ("domain",),
    "hostname": ("domain",),
    "domain|ip": ("domain", "ip"),
    "hostname|port": ("domain", None),
    "url": ("url",),
    "md5": ("md5",),
    "sha1": ("sha1",),
    "sha256": ("sha256",),
    "sha512": ("sha512",),
    "filename|md5": (None, "md5"),
    "filename|sha1": (None, "sha1"),
    "filename|sha256": (None, "sha256"),
    "filename|sha512": (None, "sha512"),
}
# Event threat level (1 high … 4 undefined) as a confidence on the STIX 0-100 scale.
THREAT_LEVEL_CONFIDENCE = {"1": 85, "2": 50, "3": 15}

JsonLoader = Callable[[Path], object]


def read_misp(path: Path, *, feed: str, load: JsonLoader) -> ParsedFeed:
    parsed = ParsedFeed("misp")
    for where, event in _events(path, load):
        if not isinstance(event, dict):
            parsed.refuse(where, "not a MISP event")
            continue
        _read_event(event, where, feed, parsed)
    return parsed


def _events(path: Path, load: JsonLoader) -> Iterator[tuple[str, Any]]:
    if path.is_dir():
        manifest = path / "manifest.json"
        if manifest.is_file():
            listing = load(manifest)
            if not isinstance(listing, dict):
                raise ValidationError("manifest is not an object of events", where=str(manifest))
            files = [path / f"{uuid}.json" for uuid in listing]
        else:
            files = sorted(p for p in path.glob("*.json"))
        for file in files:
            if not file.is_file():
                yield file.name, None
                continue
            yield from _unwrap(load(file), file.name)
    else:
        yield from _unwrap(load(path), path.name)


def _unwrap(document: object, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("response"), list):
        for position, item in enumerate(document["response"]):
            inner = item.get("Event") if isinstance(item, dict) else None
            yield f"{where} #{position}", inner
    elif isinstance(document, dict) and "Event" in document:
        yield where, document["Event"]
    else:
        yield where, None


def _attributes(event: dict) -> Iterator[dict]:
    yield from event.get("Attribute") or []
    for obj in event.get("Object") or []:
        if isinstance(obj, dict) and not _flag(obj.get("deleted")):
            yield from obj.get("Attribute") or []


def _flag(value: Any) -> bool:
    return value is True or value in (1, "1", "true", "True")


def _time(value: Any) -> datetime | None:
    if isinstance(value, str) and value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    if isinstance(value, int):
        return datetime.fromtimestamp(value, UTC)
    return timestamp_or_none(value)


def _read_event(event: dict, where: str, feed: str, parsed: ParsedFeed) -> None:
    info = str(event.get("info") or "")
    orgc = event.get("Orgc")
    provider = str(orgc.get("name") or "") if isinstance(orgc, dict) else ""
    confidence = THREAT_LEVEL_CONFIDENCE.get(str(event.get("threat_level_id")))
    event_id = str(event.get("uuid") or where)
    for attribute in _attributes(event):
        if not isinstance(attribute, dict):
            continue
        at = f"event {event_id}/attribute {attribute.get('uuid') or '?'}"
        if _flag(attribute.get("deleted")) or not _flag(attribute.get("to_ids")):
            parsed.skipped += 1  # context, not for detection: expected, so not a problem
            continue
        kinds = TYPES.get(str(attribute.get("type")))
        value = attribute.get("value")
        if kinds is None or not isinstance(value, str):
            parsed.refuse(at, f"attribute type {attribute.get('type')!r} is not matched")
            continue
        parts = value.split("|")
        if len(parts) != len(kinds):
            parsed.refuse(at, f"{attribute.get('type')} value {value!r} has the wrong shape")
            continue
        comment = str(attribute.get("comment") or "")
        description = f"{info} ({comment})" if info and comment else info or comment
        seen = _time(attribute.get("timestamp"))
        for kind, part in zip(kinds, parts, strict=True):
            if kind is None:
                continue
            try:
                kind_found, normal = normalize(kind, part)
            except ValueError as exc:
                parsed.refuse(at, str(exc))
                continue
            parsed.indicators.append(
                Indicator(
                    kind_found,
                    normal,
                    feed,
                    description=description,
                    confidence=confidence,
                    provider=provider,
                    first_seen=_time(attribute.get("first_seen")) or seen,
                    last_seen=_time(attribute.get("last_seen")) or seen,
                )
            )
