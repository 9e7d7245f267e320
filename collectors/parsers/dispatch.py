"""Choosing the message parser for a line, whatever transport delivered it.

Each parser recognises its own lines cheaply (program name, a key, the first character) and
returns None otherwise. sshd goes first because it is claimed by the sender's program name, not
by content: a user name typed into an SSH login cannot make the line pass for a FortiGate log.
"""

from __future__ import annotations

from typing import Protocol

from collectors.parsers import apache, fortigate, openssh, windows_json
from soc.model.event import Event


class MessageParser(Protocol):
    """What every parser module's `parse` is: ECS fields for a line, or None if not its own."""

    def __call__(
        self, message: str, *, program: str | None = None, pid: str | None = None
    ) -> Event | None: ...


PARSERS: tuple[MessageParser, ...] = (
    openssh.parse,
    windows_json.parse,
    fortigate.parse,
    apache.parse,
)


def parse_message(
    message: str, *, program: str | None = None, pid: str | None = None
) -> Event | None:
    """ECS fields (with `event.dataset`) from the first parser that knows the line, else None.

    `program` and `pid` are what the transport knows of the sender (the syslog tag); parsers that
    need them (sshd) use them, the others read only the message.
    """
    for parser in PARSERS:
        doc = parser(message, program=program, pid=pid)
        if doc is not None:
            return doc
    return None
