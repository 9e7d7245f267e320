"""RFC 6587 framing of TCP streams: octet counting and LF, detected per frame."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collectors.syslog.framing import Frame, FramingError, StreamFramer


def feed_all(framer: StreamFramer, *chunks: bytes) -> list[Frame | FramingError]:
    items: list[Frame | FramingError] = []
    for chunk in chunks:
        items.extend(framer.feed(chunk))
    return items


def payloads(items: list[Frame | FramingError]) -> list[bytes]:
    return [item.payload for item in items if isinstance(item, Frame)]


def test_lf_framing_with_crlf_and_blank_lines() -> None:
    items = feed_all(StreamFramer(1024), b"<13>one\r\n\n<13>two\n\r\n<13>thr", b"ee\n")
    assert payloads(items) == [b"<13>one", b"<13>two", b"<13>three"]


def test_octet_counting_keeps_embedded_newlines() -> None:
    body = b"<13>1 - h app - - - line1\nline2"
    items = feed_all(StreamFramer(1024), str(len(body)).encode() + b" " + body)
    assert payloads(items) == [body]


def test_framing_is_detected_per_frame() -> None:
    stream = b"5 <13>a<13>lf line\n7 <13>bcd\n"
    assert payloads(feed_all(StreamFramer(1024), stream)) == [b"<13>a", b"<13>lf line", b"<13>bcd"]


def test_length_split_across_reads_waits_for_the_space() -> None:
    framer = StreamFramer(1024)
    assert feed_all(framer, b"1") == []
    assert feed_all(framer, b"0") == []
    assert payloads(feed_all(framer, b" <13>hello!")) == [b"<13>hello!"]


def test_digits_then_other_text_is_a_line() -> None:
    items = feed_all(StreamFramer(1024), b"2024: odd line\n0 zero is not a length\n")
    assert payloads(items) == [b"2024: odd line", b"0 zero is not a length"]


def test_oversized_octet_frame_is_reported_and_skipped() -> None:
    framer = StreamFramer(10)
    items = feed_all(framer, b"25 0123456789", b"abcdefghij", b"KLMNO", b"3 <1>")
    errors = [item for item in items if isinstance(item, FramingError)]
    assert len(errors) == 1
    assert "25 bytes exceeds max_message_bytes (10)" in errors[0].reason
    assert errors[0].raw == b"0123456789"
    assert payloads(items) == [b"<1>"]


def test_oversized_line_is_reported_and_the_next_line_survives() -> None:
    framer = StreamFramer(10)
    items = feed_all(framer, b"x" * 15, b"y" * 15, b"\n<13>ok\n")
    assert [type(item) for item in items] == [FramingError, Frame]
    assert items[0].raw == b"x" * 10  # type: ignore[union-attr]
    assert payloads(items) == [b"<13>ok"]


def test_oversized_line_in_one_chunk_keeps_what_follows() -> None:
    items = feed_all(StreamFramer(10), b"a" * 30 + b"\n<13>next\n")
    assert isinstance(items[0], FramingError)
    assert payloads(items) == [b"<13>next"]


def test_finish_delivers_an_unterminated_line() -> None:
    framer = StreamFramer(100)
    assert feed_all(framer, b"<13>no newline") == []
    assert payloads(list(framer.finish())) == [b"<13>no newline"]


def test_finish_reports_a_cut_octet_frame() -> None:
    framer = StreamFramer(100)
    assert feed_all(framer, b"50 <13>only part") == []
    (item,) = framer.finish()
    assert isinstance(item, FramingError)
    assert "closed inside an octet-counted frame (13 of 50 bytes)" in item.reason
    assert item.raw == b"50 <13>only part"


messages = st.lists(
    st.binary(min_size=1, max_size=60).filter(lambda m: m.strip(b"\r\n")), min_size=1, max_size=8
)


@given(messages=messages, octet=st.lists(st.booleans(), min_size=8, max_size=8), data=st.data())
def test_any_split_of_the_stream_gives_the_same_frames(
    messages: list[bytes], octet: list[bool], data: st.DataObject
) -> None:
    """Property: however TCP cuts the stream, the framer returns exactly the messages sent."""
    stream = b""
    expected = []
    for message, counted in zip(messages, octet, strict=False):
        if counted or b"\n" in message or message[:1].isdigit():
            stream += str(len(message)).encode() + b" " + message
            expected.append(message)
        else:
            stream += message + b"\n"
            expected.append(message.rstrip(b"\r"))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    framer = StreamFramer(100)
    items = feed_all(framer, *chunks) + list(framer.finish())
    assert payloads(items) == [m for m in expected if m]
    assert not [item for item in items if isinstance(item, FramingError)]
