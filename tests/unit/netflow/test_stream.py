"""IPFIX messages framed out of a TCP byte stream, however the stream is cut into reads."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from collectors.netflow.stream import IpfixStream


def message(body: bytes, *, version: int = 10, length: int | None = None) -> bytes:
    total = 16 + len(body) if length is None else length
    return struct.pack("!HHIII", version, total, 1_700_000_000, 7, 1) + body


def fed(stream: IpfixStream, data: bytes, cuts: list[int]) -> list[bytes]:
    out: list[bytes] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        out.extend(stream.feed(data[start:cut]))
        start = cut
    return out


@given(
    bodies=st.lists(st.binary(max_size=300), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=3_000), max_size=20),
)
def test_messages_come_out_whole_and_in_order_whatever_the_reads(
    bodies: list[bytes], cuts: list[int]
) -> None:
    messages = [message(body) for body in bodies]
    data = b"".join(messages)
    stream = IpfixStream()
    assert fed(stream, data, [c for c in cuts if c <= len(data)]) == messages
    assert stream.broken is None
    assert stream.rest() == b""


def test_a_message_still_arriving_waits_and_stays_in_rest() -> None:
    whole = message(b"x" * 40)
    stream = IpfixStream()
    assert stream.feed(whole + whole[:20]) == [whole]
    assert stream.rest() == whole[:20]
    assert stream.feed(whole[20:]) == [whole]
    assert stream.rest() == b""


def test_a_v9_stream_is_refused_with_the_reason() -> None:
    v9 = struct.pack("!HHIIII", 9, 1, 600_000, 1_700_000_000, 0, 0) + b"\0\0\0\x08abcd"
    stream = IpfixStream()
    assert stream.feed(v9) == []
    assert stream.broken is not None and "v9" in stream.broken and "no length" in stream.broken
    assert stream.rest() == v9


def test_messages_before_the_stream_breaks_still_come_and_the_rest_is_kept() -> None:
    good = message(b"flows")
    garbage = b"GET / HTTP/1.1\r\n\r\n"
    stream = IpfixStream()
    assert stream.feed(good + good + garbage) == [good, good]
    assert stream.broken == "not an IPFIX message stream: version 18245 is not IPFIX"
    assert stream.rest() == garbage
    assert stream.feed(good) == []  # nothing after a break is a message
    assert stream.rest() == garbage + good


def test_a_length_shorter_than_the_header_breaks_the_stream() -> None:
    bad = message(b"", length=12)
    stream = IpfixStream()
    assert stream.feed(bad) == []
    assert stream.broken == "IPFIX message length 12 is shorter than its header"
    assert stream.rest() == bad
