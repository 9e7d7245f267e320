r"""Zeek's default log format: tab-separated values under `#` header lines (`#separator \x09`,
`#set_separator`, `#empty_field`, `#unset_field`, `#path`, `#fields`, `#types`).

Each row becomes the record Zeek's JSON writer would have written for it (typed values, unset
fields left out, sets and vectors as lists), and from there the same ECS event
(`collectors.parsers.zeek`). The header's `#path` names the log. A file may hold several header
blocks (rotated logs concatenated), so each `#fields` starts a new layout. Zeek escapes every
backslash, separator and unprintable byte as `\xHH`; values are unescaped after splitting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from collectors.files.source import SourceFile
from collectors.parsers import zeek
from soc.model.event import Event

HEADER = b"#separator"
"""How a Zeek TSV log begins: what format detection looks for."""

_ESCAPED = re.compile(rb"\\x([0-9a-fA-F]{2})")
_NUMBERS: dict[str, Callable[[str], Any]] = {
    "time": float, "interval": float, "double": float, "count": int, "int": int, "port": int,
}  # fmt: skip


@dataclass
class _Layout:
    """What the header lines read so far say about the rows below them."""

    separator: bytes = b"\t"
    set_separator: bytes = b","  # these three as written (escaped): a value equal to one of
    empty: bytes = b"(empty)"  # them is written escaped, so raw bytes tell them apart
    unset: bytes = b"-"
    path: str | None = None
    fields: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)


def read_zeek_tsv(source: SourceFile) -> Iterator[Event]:
    layout = _Layout()
    log = zeek.file_log(source.path.name)
    for number, line in source.lines():
        text = line.rstrip(b"\r\n")
        if not text:
            continue
        if text.startswith(b"#"):
            _header(layout, text)
            continue
        if not layout.fields:
            source.problem(f"line {number}", "a Zeek TSV row before its #fields header", text)
            continue
        values = text.split(layout.separator)
        if len(values) != len(layout.fields):
            reason = f"{len(values)} values for {len(layout.fields)} #fields"
            source.problem(f"line {number}", reason, text)
            continue
        doc = zeek.from_object(_record(layout, values), log)
        if doc is None:
            source.problem(f"line {number}", "a Zeek TSV row without ts", text)
            continue
        yield doc


def _header(layout: _Layout, text: bytes) -> None:
    if text.startswith(HEADER):  # `#separator \x09`: the only header not split by the separator
        layout.separator = _unescape_bytes(text[len(HEADER) :].strip()) or b"\t"
        return
    key, _, value = text[1:].partition(layout.separator)
    name = key.decode("ascii", "replace")
    if name == "set_separator":
        layout.set_separator = _unescape_bytes(value) or b","  # none given: Zeek's default
    elif name == "empty_field":
        layout.empty = value
    elif name == "unset_field":
        layout.unset = value
    elif name == "path":
        layout.path = _unescape(value)
    elif name in ("fields", "types"):
        setattr(layout, name, [_unescape(v) for v in value.split(layout.separator)])


def _record(layout: _Layout, values: list[bytes]) -> dict[str, Any]:
    """The row as Zeek's JSON writer writes it: unset fields left out, typed values."""
    record: dict[str, Any] = {"_path": layout.path} if layout.path else {}
    for index, name in enumerate(layout.fields):
        raw = values[index]
        if raw == layout.unset:
            continue
        kind = layout.types[index] if index < len(layout.types) else "string"
        if kind.startswith(("set[", "vector[", "table[")):
            inner = kind[kind.index("[") + 1 : -1]
            items = [] if raw == layout.empty else raw.split(layout.set_separator)
            record[name] = [_typed(inner, _unescape(item)) for item in items]
        else:
            record[name] = "" if raw == layout.empty else _typed(kind, _unescape(raw))
    return record


def _typed(kind: str, text: str) -> Any:
    """A value as its Zeek type: numbers and bools as JSON writes them, the rest as text (a
    value that does not read as its type stays text rather than costing the row)."""
    if kind == "bool":
        return {"T": True, "F": False}.get(text, text)
    convert = _NUMBERS.get(kind)
    if convert is None:
        return text
    try:
        return convert(text)
    except ValueError:
        return text


def _unescape_bytes(value: bytes) -> bytes:
    return _ESCAPED.sub(lambda m: bytes([int(m[1], 16)]), value) if b"\\x" in value else value


def _unescape(value: bytes) -> str:
    """Zeek's `\\xHH` escapes undone; bytes that are not UTF-8 stay `\\xHH` as in its JSON."""
    return _unescape_bytes(value).decode("utf-8", "backslashreplace")
