"""Reading a syslog header from raw bytes: PRI, then RFC 5424 or (failing that) RFC 3164.

Senders on a provincial network are a zoo (Linux, network gear, FortiGate, NXLog), so the parser
is lenient: anything that is not an RFC 5424 header is read as RFC 3164 with its real-world
variants, and whatever cannot be recognised stays in `message`. Only input with no content at all
raises, because an event without content is useless to an analyst.
"""

from __future__ import annotations

import re
from datetime import datetime

from collectors.syslog.record import SyslogMessage
from collectors.syslog.rfc3164 import parse_rfc3164
from collectors.syslog.rfc5424 import parse_rfc5424
from soc.errors import ParseError

_PRI = re.compile(r"<(\d{1,3})>")
_STRIP = "\r\n\x00 \t"


def parse_syslog(raw: bytes, *, received: datetime) -> SyslogMessage:
    """Read one framed message. `received` (aware) anchors the year of RFC 3164 timestamps.

    Invalid UTF-8 is replaced rather than rejected: a mangled character must not cost the event.
    A PRI above 191 is not a PRI (RFC 3164 4.3.3): the text is kept whole as content.
    Raises ParseError only when nothing but whitespace (or a bare PRI) is left.
    """
    text = raw.decode("utf-8", errors="replace").strip(_STRIP)
    priority = None
    match = _PRI.match(text)
    if match and int(match.group(1)) <= 191:
        priority = int(match.group(1))
        text = text[match.end() :]
    if not text.strip(_STRIP):
        raise ParseError("empty message", where="syslog header")
    if priority is not None:
        parsed = parse_rfc5424(text, priority)
        if parsed is not None:
            return parsed
    return parse_rfc3164(text, priority, received=received)
