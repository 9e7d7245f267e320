"""Text log files, one message per line: syslog files (rsyslog/syslog-ng output, RFC 3164 or
5424) and plain logs the message parsers know (Apache/Nginx access logs, FortiGate exports).

Each line goes through the listener's own header parser and message parsers, so a file and the
same lines sent over the network give the same events. A line without a syslog header is kept
whole as the message and still reaches the content parsers. RFC 3164 timestamps carry no year;
it is taken from the file's modification time, which is when the file was last written to.
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
        try:
            message = parse_syslog(raw, received=written)
        except ParseError as exc:
            source.problem(f"line {number}", str(exc), raw)
            continue
        yield to_ecs(message, peer_ip=None)
