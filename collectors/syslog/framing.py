"""Splitting a TCP byte stream into syslog messages (RFC 6587).

Both framings are used in the field, sometimes by the same sender after a reconfiguration, so the
method is detected per frame: a frame that starts with a non-zero digit run and a space is
octet-counted (`MSG-LEN SP SYSLOG-MSG`), anything else runs to the next LF. Memory per connection
stays bounded by the maximum message size: an oversized frame is reported once and the rest of it
is discarded as it arrives, so the stream stays in step and the sender is not disconnected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_OCTET_HEADER = re.compile(rb"([1-9]\d{0,9}) ")
_LENGTH_SO_FAR = re.compile(rb"[1-9]\d{0,9}")


@dataclass(frozen=True)
class Frame:
    """One complete message, framing removed."""

    payload: bytes


@dataclass(frozen=True)
class FramingError:
    """Input that cannot become a message; `raw` is what was kept of it (at most max bytes)."""

    reason: str
    raw: bytes


class StreamFramer:
    """Incremental framer for one connection: feed bytes as they arrive, collect frames.

    Empty lines are framing noise (CRLF senders, a newline after an octet-counted frame) and are
    skipped rather than reported.
    """

    def __init__(self, max_message_bytes: int) -> None:
        self._max = max_message_bytes
        self._buffer = bytearray()
        self._skip_bytes = 0  # rest of an oversized octet-counted frame
        self._skip_line = False  # rest of an oversized LF-terminated line

    def feed(self, data: bytes) -> Iterator[Frame | FramingError]:
        self._buffer += data
        while self._discard() and self._buffer:
            if _LENGTH_SO_FAR.fullmatch(self._buffer):
                return  # only digits so far: a space would make this an octet count
            header = _OCTET_HEADER.match(self._buffer)
            item = self._octet_frame(header) if header else self._line()
            if item is None:
                return
            if isinstance(item, FramingError) or item.payload:
                yield item

    def finish(self) -> Iterator[Frame | FramingError]:
        """The connection closed: an unterminated line is still a message; a cut frame is not."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        if self._skip_bytes or self._skip_line or not rest.strip():
            return
        header = _OCTET_HEADER.match(rest)
        if header:
            yield FramingError(
                f"connection closed inside an octet-counted frame ({len(rest) - header.end()} of "
                f"{int(header.group(1))} bytes)",
                rest[: self._max],
            )
        else:
            yield Frame(rest.rstrip(b"\r"))

    def _discard(self) -> bool:
        """Drop the rest of an oversized frame; True once the buffer starts at a new frame."""
        if self._skip_bytes:
            dropped = min(self._skip_bytes, len(self._buffer))
            del self._buffer[:dropped]
            self._skip_bytes -= dropped
            if self._skip_bytes:
                return False
        if self._skip_line:
            end = self._buffer.find(b"\n")
            if end < 0:
                self._buffer.clear()
                return False
            del self._buffer[: end + 1]
            self._skip_line = False
        return True

    def _octet_frame(self, header: re.Match[bytes]) -> Frame | FramingError | None:
        length, start = int(header.group(1)), header.end()
        available = len(self._buffer) - start
        if length > self._max:
            if available < self._max:
                return None  # keep the first max bytes for the dead-letter record
            kept = bytes(self._buffer[start : start + self._max])
            del self._buffer[: start + min(length, available)]
            self._skip_bytes = max(0, length - available)
            return FramingError(
                f"octet-counted frame of {length} bytes exceeds max_message_bytes ({self._max})",
                kept,
            )
        if available < length:
            return None
        payload = bytes(self._buffer[start : start + length])
        del self._buffer[: start + length]
        return Frame(payload)

    def _line(self) -> Frame | FramingError | None:
        # A line may carry max bytes plus CR LF.
        end = self._buffer.find(b"\n", 0, self._max + 2)
        if end < 0:
            if len(self._buffer) <= self._max + 1:
                return None
            kept = bytes(self._buffer[: self._max])
            end = self._buffer.find(b"\n")
            if end < 0:
                self._buffer.clear()
                self._skip_line = True
            else:
                del self._buffer[: end + 1]
            return FramingError(f"line exceeds max_message_bytes ({self._max})", kept)
        line = bytes(self._buffer[:end]).rstrip(b"\r")
        del self._buffer[: end + 1]
        if len(line) > self._max:
            return FramingError(
                f"line of {len(line)} bytes exceeds max_message_bytes ({self._max})",
                line[: self._max],
            )
        return Frame(line)
