"""Text log files, one message per line: syslog files (rsyslog/syslog-ng output, RFC 3164 or
5424) and plain logs the message parsers know (Apache/Nginx access logs, FortiGate exports).

Each line goes through the listener's own header parser and message parsers, so a file and the
same lines sent over the network give the same events. A line without a syslog header is kept
whole as the message and still reaches the content parsers. RFC 3164 timestamps carry no year;
it is taken from the file's modification time, which is when the file was last written to.

A TCP stream saved as it came (`nc -l > file`, a relay's raw dump) keeps RFC 6587's octet counts
(`535 <14>1 2024-...`), one frame or several per line: each frame is read as its own message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from collectors.files.source import SourceFile
from collectors.syslog import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.errors import ParseError
from soc.model.event import Event

MAX_LINE_BYTES = 1 << 20
"""A bound on one event: a longer line is cut (the rest goes to the dead-letter file), so a
binary or minified file read as text cannot make one giant event."""


def read_syslog(source: SourceFile) -> Iterator[Event]:
    written = datetime.fromtimestamp(source.file.stat().st_mtime, UTC)
    for number, line in source.lines():
        raw = line.rstrip(b"\r\n")
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            source.problem(f"line {number}", "line too long, cut", raw[MAX_LINE_BYTES:])
            raw = raw[:MAX_LINE_BYTES]
        for frame in _octet_counted(raw) or (raw,):
            try:
                message = parse_syslog(frame, received=written, zone=source.zone)
            except ParseError as exc:
                source.problem(f"line {number}", str(exc), frame)
                continue
            yield to_ecs(message, peer_ip=None)


_LINE_END = 2
"""Bytes a frame's count may hold beyond its line: a CR LF the sender counted in, which the line
reader took off."""


def _octet_counted(raw: bytes) -> list[bytes] | None:
    """The frames of a line that is wholly RFC 6587 octet-counted frames (`LEN SP MSG`, each
    MSG starting with its `<PRI>`); None for any other line, which is read whole. Every count
    must land on the next count or the line's end, so a message that merely begins with a
    number and a `<` is left as it is."""
    if not raw[:1].isdigit():
        return None
    frames, at = [], 0
    while at < len(raw):
        space = raw.find(b" ", at, at + 10)
        if space <= at or not raw[at:space].isdigit() or raw[space + 1 : space + 2] != b"<":
            return None
        start, end = space + 1, space + 1 + int(raw[at:space])
        if end > len(raw) + _LINE_END:
            return None
        frames.append(raw[start:end])
        at = end
    return frames
