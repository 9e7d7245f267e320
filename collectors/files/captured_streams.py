"""Syslog over TCP in a capture: the messages a connection carried, read as the listener reads them.

A capture taken at a collector holds the TCP streams senders keep open to port 514 or 601 (RFC
6587, LF or octet-counted framing). Each direction of a connection whose first data is a syslog
frame (`<PRI>...` or `LEN <PRI>...`) is put back in sequence order (retransmissions and segments
out of order are common on a busy link) and split by the listener's own framer; each message is
parsed as received at the time of the packet that completed it, from the sender's address. The
packets stay flows as well: the connection happened, and a flow says so.

A stream is followed from its first segment that starts a message, so a capture begun inside
a connection is read from the next segment a message begins. A gap that never fills (a segment
the capture missed) costs the messages it falls in: the stream resumes at the next line or
frame that starts a message, and the loss is reported. TLS streams (RFC 5425) cannot be read
and stay flows only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from collectors.files.captured_exports import CapturedExports, is_syslog
from collectors.syslog.framing import Frame, StreamFramer
from soc.config import SyslogSettings
from soc.model.event import Event

Connection = tuple[str, int, str, int]  # sender ip and port, receiver ip and port
_SEQUENCE = 1 << 32
_OCTET_COUNTED = re.compile(rb"[1-9]\d{0,9} <\d{1,3}>")
_MAX_AHEAD_BYTES = 4 << 20
"""Segments held past a gap per stream; past that the gap is given up as lost."""
_MAX_STREAMS = 10_000
"""Streams followed at once; past that the oldest is taken as closed."""


def starts_syslog(payload: bytes) -> bool:
    """Whether a stream's first data is a syslog frame, by either RFC 6587 framing."""
    return is_syslog(payload) or _OCTET_COUNTED.match(payload) is not None


@dataclass
class _Stream:
    sender: str
    next_seq: int
    framer: StreamFramer
    ahead: dict[int, bytes] = field(default_factory=dict)  # segments past a gap, by sequence
    ahead_bytes: int = 0
    resync: bool = False  # after a gap: skip to the next message start


class CapturedStreams:
    """The syslog streams of one capture; `take` each TCP segment that carries data."""

    def __init__(self, exports: CapturedExports) -> None:
        self._exports = exports  # reads each message, as it reads syslog datagrams
        self._max_message = SyslogSettings().max_message_bytes
        self._streams: dict[Connection, _Stream] = {}
        self.problems: list[tuple[str, bytes]] = []  # (reason, raw) since the last look

    def take(self, connection: Connection, seq: int, payload: bytes, seconds: float) -> list[Event]:
        """The messages this segment completes (none when its stream is not syslog)."""
        seq %= _SEQUENCE
        stream = self._streams.get(connection)
        if stream is None:
            if not starts_syslog(payload):
                return []
            ended: list[Event] = []
            if len(self._streams) >= _MAX_STREAMS:  # the oldest connection, closed unseen
                ended = self.close(next(iter(self._streams)), seconds)
            stream = _Stream(connection[0], seq, StreamFramer(self._max_message))
            self._streams[connection] = stream
            return ended + self._deliver(stream, payload, seconds)
        behind = (stream.next_seq - seq) % _SEQUENCE
        if 0 < behind < _SEQUENCE // 2:  # a retransmission: only what is new in it counts
            if behind >= len(payload):
                return []
            seq, payload = stream.next_seq, payload[behind:]
        if seq != stream.next_seq:
            held = stream.ahead.get(seq, b"")
            if len(payload) > len(held):  # a retransmission may carry more than the first try
                stream.ahead[seq] = payload
                stream.ahead_bytes += len(payload) - len(held)
            if stream.ahead_bytes <= _MAX_AHEAD_BYTES:
                return []
            return self._skip_gap(stream, seconds)
        return self._deliver(stream, payload, seconds)

    def close(self, connection: Connection, seconds: float) -> list[Event]:
        """The sender closed (FIN or RST) or reopened (SYN) the connection: an unterminated
        line is still a message, as the listener takes it."""
        stream = self._streams.pop(connection, None)
        if stream is None:
            return []
        events: list[Event] = []
        while stream.ahead:
            events.extend(self._skip_gap(stream, seconds))
        for item in stream.framer.finish():
            if isinstance(item, Frame):
                events.extend(self._exports.syslog(item.payload, stream.sender, seconds))
            else:
                self.problems.append((item.reason, item.raw))
        return events

    def finish(self, seconds: float) -> list[Event]:
        """The end of the capture: gaps are given up and messages cut by it reported."""
        events: list[Event] = []
        for stream in self._streams.values():
            while stream.ahead:
                events.extend(self._skip_gap(stream, seconds))
            for item in stream.framer.finish():
                raw = item.payload if isinstance(item, Frame) else item.raw
                self.problems.append(("syslog message over TCP cut by the capture", raw))
        self._streams.clear()
        return events

    def _deliver(self, stream: _Stream, payload: bytes, seconds: float) -> list[Event]:
        stream.next_seq = (stream.next_seq + len(payload)) % _SEQUENCE
        chunk = payload + b"".join(_caught_up(stream)) if stream.ahead else payload
        if stream.resync:
            chunk = self._resynced(stream, chunk)
        events = []
        for item in stream.framer.feed(chunk):
            if isinstance(item, Frame):
                events.extend(self._exports.syslog(item.payload, stream.sender, seconds))
            else:
                self.problems.append((item.reason, item.raw))
        return events

    def _skip_gap(self, stream: _Stream, seconds: float) -> list[Event]:
        """Give up the bytes before the first held segment: the message they were in is lost."""
        resume = min(stream.ahead, key=lambda seq: (seq - stream.next_seq) % _SEQUENCE)
        if (stream.next_seq - resume) % _SEQUENCE < _SEQUENCE // 2:  # no gap: held data is due
            payload = stream.ahead.pop(resume)
            stream.ahead_bytes -= len(payload)
            new = payload[(stream.next_seq - resume) % _SEQUENCE :]
            return self._deliver(stream, new, seconds) if new else []
        lost = (resume - stream.next_seq) % _SEQUENCE
        cut = b"".join(item.payload if isinstance(item, Frame) else item.raw
                       for item in stream.framer.finish())  # fmt: skip
        self.problems.append((f"{lost} bytes of a syslog TCP stream missing from the capture", cut))
        stream.framer = StreamFramer(self._max_message)
        stream.next_seq, stream.resync = resume, True
        payload = stream.ahead.pop(resume)
        stream.ahead_bytes -= len(payload)
        return self._deliver(stream, payload, seconds)

    @staticmethod
    def _resynced(stream: _Stream, chunk: bytes) -> bytes:
        """After a gap, from the first line or octet-counted frame that starts a message."""
        position = 0
        while position < len(chunk):
            if starts_syslog(chunk[position : position + 32]):
                stream.resync = False
                return chunk[position:]
            newline = chunk.find(b"\n", position)
            if newline < 0:
                return b""
            position = newline + 1
        return b""


def _caught_up(stream: _Stream) -> list[bytes]:
    """The held segments that now continue the stream (the new part of those that overlap what
    came already), advancing it; segments wholly behind it are dropped."""
    data = []
    while stream.ahead:
        due = [seq for seq in stream.ahead if (stream.next_seq - seq) % _SEQUENCE < _SEQUENCE // 2]
        if not due:
            break
        for seq in due:
            payload = stream.ahead.pop(seq)
            stream.ahead_bytes -= len(payload)
            new = payload[(stream.next_seq - seq) % _SEQUENCE :]
            if new:
                data.append(new)
                stream.next_seq = (stream.next_seq + len(new)) % _SEQUENCE
    return data
