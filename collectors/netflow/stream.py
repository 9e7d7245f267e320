"""IPFIX over TCP (RFC 7011 §10.4): whole messages out of a connection's byte stream.

TCP delivers bytes, not datagrams, so each message is framed by its header's length field. A
stream that stops framing (a version other than 10, a length shorter than the header) cannot be
resynchronised, because any later byte could be the start of the next message, so the caller
gives the connection up and keeps the bytes for the dead-letter file. NetFlow v9 has no message
length at all (its header counts records, which only the templates can size), and no exporter
sends v5 over anything but UDP, so both are refused with that reason rather than guessed at.
"""

from __future__ import annotations

IPFIX_VERSION = 10
HEADER_BYTES = 16  # version, length, export time, sequence, observation domain
_REASONS = {
    5: "NetFlow v5 is exported over UDP only",
    9: "NetFlow v9 messages carry no length, so a TCP stream of them cannot be split: "
    "export v9 over UDP, or IPFIX over TCP",
}


class IpfixStream:
    """One connection's bytes not yet handed out as messages."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.broken: str | None = None  # why the stream stopped framing; nothing follows

    def feed(self, data: bytes) -> list[bytes]:
        """The messages `data` completes, in order. When the stream stops framing, the
        messages before that point still come, `broken` says why, and the bytes from there on
        stay for `rest`."""
        buffer = self._buffer
        buffer += data
        messages: list[bytes] = []
        start = 0
        while self.broken is None and len(buffer) - start >= 4:
            version = int.from_bytes(buffer[start : start + 2])
            length = int.from_bytes(buffer[start + 2 : start + 4])
            if version != IPFIX_VERSION:
                reason = _REASONS.get(version, f"version {version} is not IPFIX")
                self.broken = f"not an IPFIX message stream: {reason}"
            elif length < HEADER_BYTES:
                self.broken = f"IPFIX message length {length} is shorter than its header"
            elif len(buffer) - start < length:
                break
            else:
                messages.append(bytes(buffer[start : start + length]))
                start += length
        del buffer[:start]
        return messages

    def rest(self) -> bytes:
        """The bytes after the last whole message (at a close, or once `broken`)."""
        return bytes(self._buffer)
