"""RFC 5424 headers, with the RFC's own examples (section 6.5) and what util-linux logger sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from collectors.syslog.header import parse_syslog

RECEIVED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def parse(raw: bytes):
    return parse_syslog(raw, received=RECEIVED)


def test_rfc_example_1_with_bom_and_no_structured_data() -> None:
    msg = parse(
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
        b"\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8"
    )
    assert msg.priority == 34 and msg.facility == 4 and msg.severity == 2
    assert msg.version == 1
    assert msg.timestamp == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert msg.hostname == "mymachine.example.com"
    assert msg.appname == "su"
    assert msg.procid is None
    assert msg.msgid == "ID47"
    assert msg.structured_data == {}
    assert msg.message == "'su root' failed for lonvick on /dev/pts/8"


def test_rfc_example_2_offset_timestamp_and_nil_msgid() -> None:
    msg = parse(
        b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
        b"%% It's time to make the do-nuts."
    )
    assert msg.timestamp == datetime(
        2003, 8, 24, 5, 14, 15, 3, tzinfo=timezone(timedelta(hours=-7))
    )
    assert msg.timestamp.astimezone(UTC).hour == 12
    assert (msg.hostname, msg.appname, msg.procid, msg.msgid) == (
        "192.0.2.1",
        "myproc",
        "8710",
        None,
    )
    assert msg.message == "%% It's time to make the do-nuts."


def test_rfc_example_4_structured_data_only_and_repeated_elements() -> None:
    msg = parse(
        b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
        b'[examplePriority@32473 class="high"]'
    )
    assert msg.structured_data == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
        "examplePriority@32473": {"class": "high"},
    }
    assert msg.message == ""


def test_escaped_characters_in_param_values() -> None:
    msg = parse(
        b'<13>1 2024-03-05T10:00:00Z h app 1 - [zoo@32473 tiger="hungry \\"very\\" \\]"'
        b' path="C:\\\\temp" other="a\\nb"] hello'
    )
    params = msg.structured_data["zoo@32473"]
    assert params["tiger"] == 'hungry "very" ]'
    assert params["path"] == "C:\\temp"
    assert params["other"] == "a\\nb"  # only \" \\ \] are escapes (RFC 5424 6.3.3)
    assert msg.message == "hello"


def test_repeated_param_name_keeps_every_value() -> None:
    msg = parse(b'<13>1 - h app - - [origin ip="10.0.0.1" ip="10.0.0.2"] m')
    assert msg.structured_data == {"origin": {"ip": ["10.0.0.1", "10.0.0.2"]}}
    assert msg.timestamp is None


def test_malformed_structured_data_keeps_header_and_text() -> None:
    msg = parse(b'<13>1 2024-03-05T10:00:00Z h app 7 ID1 [broken x="unterminated] rest')
    assert (msg.hostname, msg.appname, msg.procid, msg.msgid) == ("h", "app", "7", "ID1")
    assert msg.structured_data == {}
    assert msg.message == '[broken x="unterminated] rest'


def test_unreadable_timestamp_is_dropped_not_fatal() -> None:
    msg = parse(b"<13>1 2024-13-45T99:00:00Z h app - - - text")
    assert msg.timestamp is None
    assert msg.message == "text"


def test_logger_style_nanosecond_fraction() -> None:
    msg = parse(b"<13>1 2024-03-05T10:00:00.123456789+07:00 vm root 42 - - x")
    assert msg.timestamp is not None
    assert msg.timestamp.astimezone(UTC) == datetime(2024, 3, 5, 3, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [b"<13>1 hello world", b"<13>12 is a number", b"<13>1 2024-03-05T10:00:00Z only three"],
)
def test_text_that_only_resembles_5424_is_read_as_3164(raw: bytes) -> None:
    msg = parse(raw)
    assert msg.version is None
    assert msg.priority == 13


@pytest.mark.parametrize(
    "content",
    [
        b"CEF:0|Trend Micro|Deep Security Manager|20.0|600|User Signed In|3|src=10.0.0.1",
        b"LEEF:1.0|QRadar|QRM|1.0|NEW_PORT_DISCOVERD|src=172.5.6.67\tdst=172.50.123.1",
    ],
)
def test_cef_or_leef_right_after_the_host_is_the_message(content: bytes) -> None:
    """IBM's LEEF guide shows `<13>1 2019-01-18T11:07:53.520Z 192.168.1.1 LEEF:...`: no APP-NAME,
    PROCID, MSGID or SD. Read as those, `CEF:0|Trend` would be the app and the rest cut apart."""
    msg = parse(b"<13>1 2019-01-18T11:07:53.520Z 192.168.1.1 " + content)
    assert msg.message == content.decode()
    assert msg.hostname == "192.168.1.1" and msg.version == 1
    assert msg.timestamp == datetime(2019, 1, 18, 11, 7, 53, 520000, tzinfo=UTC)
    assert (msg.appname, msg.procid, msg.msgid, msg.structured_data) == (None, None, None, {})


def test_an_app_named_like_cef_keeps_the_header_fields() -> None:
    msg = parse(b"<13>1 2019-01-18T11:07:53Z host CEFD 12 ID - CEF:0|a|b|c|d|e|1|")
    assert (msg.appname, msg.procid, msg.msgid) == ("CEFD", "12", "ID")
    assert msg.message == "CEF:0|a|b|c|d|e|1|"
