"""One Windows event as XML rendered to JSON (an EVTX record as the `evtx` package gives it, or a
file written by `evtx_dump -o json`) to the document Winlogbeat would have sent for it.

The `evtx` package keeps the XML shape: `{"Event": {"System": ..., "EventData": ...}}` with XML
attributes under `#attributes` and element text under `#text`. Winlogbeat flattens that into
`winlog.*`; we do the same so that an event read from a file and the same event shipped by
Winlogbeat are one document, and `finish_windows_event` derives the rest for both.

Values of `winlog.event_data` are text, as Winlogbeat writes them, because Sigma compares text
and Windows renders every data item as text in the XML: numbers as decimal, booleans as
`true`/`false`, empty elements as empty strings. The System's `Execution/@ProcessID` (the
process that *logged* the event) goes to `winlog.process.pid`, never next to the EventData's
`ProcessId` (the process the event is *about*): the names differ only in case and must not mix.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from soc.errors import ParseError
from soc.model.event import Event

ATTRIBUTES = "#attributes"
TEXT = "#text"

# Windows' standard keyword bits (winmeta.xml) under the names Winlogbeat renders for them.
_KEYWORDS = (
    (0x0010000000000000, "Audit Failure"),
    (0x0020000000000000, "Audit Success"),
    (0x0040000000000000, "Correlation Hint"),
    (0x0080000000000000, "Classic"),
    (0x0001000000000000, "Response Time"),
    (0x0004000000000000, "WDI Diag"),
    (0x0008000000000000, "Sqm"),
)
# System/Level -> log.level as Winlogbeat names it (0 is "log always", shown as information).
_LEVELS = {
    0: "information", 1: "critical", 2: "error", 3: "warning", 4: "information", 5: "verbose",
}  # fmt: skip


def winlog_document(record: Mapping[str, Any]) -> Event:
    """`{"Event": {...}}` -> a Winlogbeat-shaped document (`winlog.*`, `@timestamp`, ...).

    Raises ParseError when the record is not an event (no `Event/System`), so the caller can
    dead-letter it with its record number.
    """
    event = record.get("Event")
    system = event.get("System") if isinstance(event, dict) else None
    if not isinstance(system, dict):
        raise ParseError("record has no Event/System element", where="evtx record")
    winlog = _system_fields(system)
    doc: Event = {"winlog": winlog}
    if (created := _attribute(system.get("TimeCreated"), "SystemTime")) is not None:
        doc["@timestamp"] = str(created)
    if isinstance(level := _text(system.get("Level")), int) and level in _LEVELS:
        doc["log"] = {"level": _LEVELS[level]}
        winlog["level"] = str(level)  # the number, which some Sigma rules compare
    event_data = event.get("EventData")
    if isinstance(event_data, dict):
        winlog["event_data"] = event_data_fields(event_data)
    user_data = event.get("UserData")
    if isinstance(user_data, dict):
        winlog["user_data"] = _user_data_fields(user_data)
    rendering = event.get("RenderingInfo")
    if isinstance(rendering, dict):
        _rendering_info(doc, rendering)
    return doc


def event_data_fields(event_data: Mapping[str, Any]) -> dict[str, Any]:
    """Named `<Data Name="X">` items by name; unnamed ones as `param1`, `param2`, ... in order,
    as Winlogbeat names them (classic providers such as PowerShell 400/800 write no names)."""
    fields: dict[str, Any] = {}
    for name, value in event_data.items():
        if name == ATTRIBUTES:
            continue
        if name == "Data":
            items = _text(value)
            for index, item in enumerate(items if isinstance(items, list) else [items], 1):
                fields[f"param{index}"] = _value(item)
        else:  # most items are text, which `_value` returns as it is: no call for them
            fields[name] = value if type(value) is str else _value(value)
    return fields


_SYSTEM_TEXT = (
    ("EventID", "event_id"),
    ("Channel", "channel"),
    ("Computer", "computer_name"),
    ("EventRecordID", "record_id"),
    ("Version", "version"),
    ("Task", "task"),
    ("Opcode", "opcode"),
)
"""System elements whose text becomes a `winlog` field, in the order Winlogbeat writes them."""


def _system_fields(system: Mapping[str, Any]) -> dict[str, Any]:
    """The System element's fields. Written out rather than through `_text`/`_attribute`/
    `_put` (same rules): this runs for every record, and the calls were a quarter of it."""
    winlog: dict[str, Any] = {"api": "wineventlog"}
    get = system.get
    provider = _attributes(get("Provider"))
    if (value := provider.get("Name")) is not None:
        winlog["provider_name"] = value
    if (value := provider.get("Guid")) is not None:
        winlog["provider_guid"] = value
    for element, name in _SYSTEM_TEXT:
        value = get(element)
        if isinstance(value, dict) and TEXT in value:
            value = value[TEXT]
        if value is not None:
            winlog[name] = value
    keywords = get("Keywords")
    if isinstance(keywords, dict) and TEXT in keywords:
        keywords = keywords[TEXT]
    if isinstance(keywords, str):
        try:
            mask = int(keywords, 16)
        except ValueError:
            mask = 0
        winlog["keywords"] = list(keyword_names(mask))
    correlation = _attributes(get("Correlation"))
    if (value := correlation.get("ActivityID")) is not None:
        winlog["activity_id"] = value
    if (value := correlation.get("RelatedActivityID")) is not None:
        winlog["related_activity_id"] = value
    execution = _attributes(get("Execution"))
    process: dict[str, Any] = {}
    if (value := execution.get("ProcessID")) is not None:
        process["pid"] = value
    if (value := execution.get("ThreadID")) is not None:
        process["thread"] = {"id": value}
    if process:
        winlog["process"] = process
    if (sid := _attributes(get("Security")).get("UserID")) is not None:
        winlog["user"] = {"identifier": sid}
    return winlog


_NO_ATTRIBUTES: Mapping[str, Any] = {}


def _attributes(node: Any) -> Mapping[str, Any]:
    """An element's attributes (empty when it has none)."""
    if isinstance(node, dict):
        attributes = node.get(ATTRIBUTES)
        if isinstance(attributes, dict):
            return attributes
    return _NO_ATTRIBUTES


def _user_data_fields(user_data: Mapping[str, Any]) -> dict[str, Any]:
    """UserData holds one provider-defined element; Winlogbeat keeps its name as `xml_name`."""
    for name, value in user_data.items():
        if name == ATTRIBUTES:
            continue
        fields: dict[str, Any] = {"xml_name": name}
        if isinstance(value, dict):
            fields.update((key, _value(item)) for key, item in value.items() if key != ATTRIBUTES)
        return fields
    return {}


def _rendering_info(doc: Event, rendering: Mapping[str, Any]) -> None:
    """Forwarded events (WEF) carry the rendered message and names; use them when present."""
    if isinstance(message := _text(rendering.get("Message")), str) and message:
        doc["message"] = message
    winlog = doc["winlog"]
    for name in ("Task", "Opcode"):
        if isinstance(text := _text(rendering.get(name)), str) and text:
            winlog[name.lower()] = text
    keywords = rendering.get("Keywords")
    if isinstance(keywords, dict):
        names = _text(keywords.get("Keyword"))
        names = names if isinstance(names, list) else [names]
        if rendered := [str(name) for name in names if name]:
            winlog["keywords"] = rendered


@functools.lru_cache(maxsize=1024)
def keyword_names(mask: int) -> tuple[str, ...]:
    """The names Winlogbeat gives a keyword mask's standard bits (NXLog's records have the mask
    too). Cached (a tuple: each event gets a list of its own): every record has a mask, of a
    handful of values; ~0.025 s of reading the 16,801 EVTX samples."""
    return tuple(name for bit, name in _KEYWORDS if mask & bit)


def _value(value: Any) -> Any:
    """A data item as Windows renders it in XML text: strings stay, numbers become decimal text,
    booleans `true`/`false`, empty elements `""`; nested elements keep their structure.

    Plain `dict`/`list` checks, strings first: the records come from `orjson.loads`, and
    abstract-class checks (`Mapping`) were a fifth of reading an EVTX file."""
    if type(value) is str:
        return value
    if isinstance(value, dict) and TEXT in value:
        value = value[TEXT]
        if type(value) is str:
            return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        flat = {key: _value(item) for key, item in value.items() if key != ATTRIBUTES}
        attributes = value.get(ATTRIBUTES)
        if isinstance(attributes, dict):
            flat.update((key, _value(item)) for key, item in attributes.items())
        return flat
    return value


def _text(node: Any) -> Any:
    """An element's content: `#text` when the element also has attributes, else itself."""
    if isinstance(node, dict) and TEXT in node:
        return node[TEXT]
    return node


def _attribute(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        attributes = node.get(ATTRIBUTES)
        if isinstance(attributes, dict):
            return attributes.get(name)
    return None


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value
