"""Windows event XML sent as text: Sysmon for Linux writes each event to syslog as the `<Event>`
element (tag `sysmon`, channel Linux-Sysmon/Operational), and some forwarders send Windows
events the same way.

The element is turned into the shape the `evtx` package gives a record (`{"Event": {"System":
..., "EventData": ...}}`, attributes under `#attributes`, text under `#text`), so that
`winlog_document` and `finish_windows_event` make of it the same document as of the event read
from an EVTX file: Sysmon for Linux's process, file and network events then meet the rules the
`soc-linux` pipeline maps to `winlog.*` and `process.*`.

The XML comes from the network: a document declaring a DTD or entities is refused (the parser
would not fetch external entities, but entity expansion is no part of an event).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from collectors.parsers.windows_event import finish_windows_event
from collectors.parsers.windows_xml import ATTRIBUTES, TEXT, winlog_document
from soc.errors import ParseError
from soc.model.event import Event

PROGRAMS = frozenset({"sysmon"})
"""Syslog tags whose messages are event XML (Sysmon for Linux)."""

# System elements and Execution attributes the `evtx` package renders as numbers.
_NUMERIC_SYSTEM = frozenset({"EventID", "Version", "Level", "Task", "Opcode", "EventRecordID"})
_NUMERIC_ATTRIBUTES = frozenset({"ProcessID", "ThreadID", "Qualifiers"})


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an `<Event>` element in the message; None when there is none."""
    start = message.find("<Event")
    if start < 0 or message[start + 6 : start + 7] not in (">", " ", "\t", "\n", "\r"):
        return None
    end = message.rfind("</Event>")
    if end < start:
        return None
    try:
        record = record_from_xml(message[start : end + len("</Event>")])
        return finish_windows_event(winlog_document(record))
    except (ParseError, RecursionError):  # RecursionError: elements nested past any event's
        return None


def record_from_xml(text: str) -> dict[str, Any]:
    """`<Event>...</Event>` -> `{"Event": {...}}` as the `evtx` package renders the record.

    Raises ParseError for text that is not well-formed XML or declares a DTD or entities."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ParseError("event XML with a DTD or entities", where="event xml")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ParseError(f"not well-formed event XML: {exc}", where="event xml") from exc
    if _local(root.tag) != "Event":
        raise ParseError("the XML root is not an Event element", where="event xml")
    event: dict[str, Any] = {}
    if root.attrib:
        event[ATTRIBUTES] = _attributes(root)
    for child in root:
        name = _local(child.tag)
        if name == "System":
            event[name] = _system(child)
        elif name == "EventData":
            event[name] = _event_data(child)
        else:
            event[name] = _element(child)
    return {"Event": event}


def _local(tag: str) -> str:
    """The element name without its namespace (`{http://...}System` -> `System`)."""
    return tag.rsplit("}", 1)[-1]


def _attributes(element: ET.Element, numeric: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {
        _local(key): int(value) if key in numeric and _digits(value) else value
        for key, value in element.attrib.items()
    }


def _system(element: ET.Element) -> dict[str, Any]:
    system: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        value = _element(child, _NUMERIC_ATTRIBUTES)
        if name in _NUMERIC_SYSTEM:
            value = _number(value)
        system[name] = value
    return system


def _number(value: Any) -> Any:
    """`4` for the text `4`, also inside `{"#attributes": ..., "#text": "4"}`."""
    if isinstance(value, str) and _digits(value):
        return int(value)
    if isinstance(value, dict) and isinstance(text := value.get(TEXT), str) and _digits(text):
        return {**value, TEXT: int(text)}
    return value


def _digits(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also accepts `²`, which `int` refuses."""
    return text.isascii() and text.isdigit()


def _event_data(element: ET.Element) -> dict[str, Any]:
    """`<Data Name="X">v</Data>` items by name, as the `evtx` package renders EventData; items
    without a name stay a list under `Data` (classic providers), in order."""
    named: dict[str, Any] = {}
    unnamed: list[Any] = []
    for child in element:
        if _local(child.tag) != "Data":
            named[_local(child.tag)] = _element(child)
            continue
        value = child.text or ""
        if (name := child.get("Name")) is not None:
            named[name] = value
        else:
            unnamed.append(value)
    if unnamed:
        named["Data"] = {TEXT: unnamed if len(unnamed) > 1 else unnamed[0]}
    return named


def _element(element: ET.Element, numeric: frozenset[str] = frozenset()) -> Any:
    """Text for a plain element, `{"#attributes": ..., "#text": ...}` with attributes, a dict of
    its children (a list for a repeated name) for a nested one, None for an empty one."""
    children: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        value = _element(child, numeric)
        if name in children:
            previous = children[name]
            children[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            children[name] = value
    text = (element.text or "").strip() if not children else ""
    if not element.attrib:
        return children or text or None
    node: dict[str, Any] = {ATTRIBUTES: _attributes(element, numeric)}
    node.update(children)
    if text:
        node[TEXT] = text
    return node
