"""RFC 3164 and the variants real devices send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.syslog.header import parse_syslog
from soc.errors import ParseError

RECEIVED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def parse(raw: bytes, received: datetime = RECEIVED):
    return parse_syslog(raw, received=received)


def test_classic_bsd_line() -> None:
    msg = parse(b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")
    assert msg.priority == 34 and msg.facility == 4 and msg.severity == 2
    assert msg.timestamp == datetime(2023, 10, 11, 22, 14, 15, tzinfo=UTC)
    assert msg.hostname == "mymachine"
    assert msg.appname == "su" and msg.procid is None
    assert msg.message == "'su root' failed for lonvick on /dev/pts/8"
    assert msg.version is None


def test_tag_with_pid_and_space_padded_day() -> None:
    msg = parse(b"<38>Mar  5 10:00:01 web01 sshd[1234]: Accepted publickey for an")
    assert msg.timestamp == datetime(2024, 3, 5, 10, 0, 1, tzinfo=UTC)
    assert (msg.hostname, msg.appname, msg.procid) == ("web01", "sshd", "1234")
    assert msg.message == "Accepted publickey for an"


def test_without_pri_as_in_log_files() -> None:
    msg = parse(b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186")
    assert msg.priority is None and msg.facility is None
    assert msg.timestamp == datetime(2023, 12, 10, 6, 55, 46, tzinfo=UTC)
    assert (msg.hostname, msg.appname, msg.procid) == ("LabSZ", "sshd", "24200")


def test_missing_hostname() -> None:
    msg = parse(b"<13>Mar  5 10:00:00 sshd[77]: no host here")
    assert msg.hostname is None
    assert (msg.appname, msg.procid, msg.message) == ("sshd", "77", "no host here")


def test_hostname_without_tag() -> None:
    msg = parse(b"<13>Mar  5 10:00:00 switch-3 port Gi0/1 went down")
    assert msg.hostname == "switch-3"
    assert msg.appname is None
    assert msg.message == "port Gi0/1 went down"


def test_iso_timestamp_in_bsd_format() -> None:
    msg = parse(b"<13>2024-03-05T17:00:00.250+07:00 host1 app[12]: iso")
    assert msg.timestamp is not None
    assert msg.timestamp.astimezone(UTC) == datetime(2024, 3, 5, 10, 0, 0, 250000, tzinfo=UTC)
    assert (msg.hostname, msg.appname, msg.procid) == ("host1", "app", "12")


def test_iso_timestamp_without_zone_is_utc() -> None:
    msg = parse(b"<13>2024-03-05 10:00:00 host1 app: x")
    assert msg.timestamp == datetime(2024, 3, 5, 10, tzinfo=UTC)


def test_cisco_ios_sequence_number_and_mnemonic() -> None:
    msg = parse(b"<189>123: *Mar  1 00:01:02.123: %SYS-5-CONFIG_I: Configured from console")
    assert msg.sequence == 123
    assert msg.timestamp == datetime(2024, 3, 1, 0, 1, 2, 123000, tzinfo=UTC)
    assert msg.hostname is None
    assert msg.appname == "%SYS-5-CONFIG_I"
    assert msg.message == "Configured from console"


def test_cisco_ios_sequence_with_hostname() -> None:
    msg = parse(b"<187>45: core-sw1: Mar  1 00:01:02 UTC: %LINK-3-UPDOWN: Interface Gi1/0/1, up")
    assert (msg.sequence, msg.hostname, msg.appname) == (45, "core-sw1", "%LINK-3-UPDOWN")
    assert msg.message == "Interface Gi1/0/1, up"


def test_cisco_asa_with_year_and_spaced_colon() -> None:
    msg = parse(b"<166>Jan 02 2024 12:00:00 asa-fw : %ASA-6-302013: Built inbound TCP connection")
    assert msg.timestamp == datetime(2024, 1, 2, 12, tzinfo=UTC)
    assert (msg.hostname, msg.appname) == ("asa-fw", "%ASA-6-302013")
    assert msg.message == "Built inbound TCP connection"


def test_cisco_asa_without_timestamp() -> None:
    msg = parse(b"<166>%ASA-4-106023: Deny tcp src outside:10.0.0.1/1 dst inside:10.0.0.2/22")
    assert msg.timestamp is None and msg.hostname is None
    assert msg.appname == "%ASA-4-106023"
    assert msg.message.startswith("Deny tcp src outside:10.0.0.1/1")


def test_fortigate_bare_key_values_stay_whole() -> None:
    raw = b'<189>date=2024-05-10 time=11:37:47 devname="FG100E" logid="0000000013" type="traffic"'
    msg = parse(raw)
    assert msg.priority == 189
    assert msg.hostname is None and msg.appname is None and msg.timestamp is None
    assert msg.message == raw[5:].decode()


@pytest.mark.parametrize(
    ("received", "line_month", "expected_year"),
    [
        (datetime(2024, 1, 1, 0, 5, tzinfo=UTC), b"Dec 31", 2023),  # last year's line in Jan
        (datetime(2023, 12, 31, 23, 59, tzinfo=UTC), b"Jan  1", 2024),  # sender's clock ahead
        (datetime(2024, 3, 5, tzinfo=UTC), b"Mar  6", 2024),  # a day ahead: local time (UTC+7)
        (datetime(2024, 3, 5, tzinfo=UTC), b"Jun 14", 2023),  # an archive replayed later
    ],
)
def test_year_is_inferred_from_receive_time(
    received: datetime, line_month: bytes, expected_year: int
) -> None:
    msg = parse(b"<13>" + line_month + b" 00:00:00 h app: x", received)
    assert msg.timestamp is not None
    assert msg.timestamp.year == expected_year


def test_february_29_goes_to_a_leap_year() -> None:
    msg = parse(b"<13>Feb 29 10:00:00 h app: leap", datetime(2025, 3, 1, tzinfo=UTC))
    assert msg.timestamp == datetime(2024, 2, 29, 10, tzinfo=UTC)


def test_impossible_date_keeps_the_rest_of_the_header() -> None:
    msg = parse(b"<13>Feb 31 10:00:00 h app: x")
    assert msg.timestamp is None
    assert (msg.hostname, msg.appname, msg.message) == ("h", "app", "x")


def test_no_header_at_all() -> None:
    msg = parse(b"<13>hello world")
    assert msg.priority == 13
    assert msg.hostname is None and msg.appname is None
    assert msg.message == "hello world"


def test_pri_above_191_is_content() -> None:
    msg = parse(b"<192>Mar  5 10:00:00 h app: x")
    assert msg.priority is None
    assert msg.message.startswith("<192>")


def test_invalid_utf8_is_replaced() -> None:
    msg = parse(b"<13>Mar  5 10:00:00 h app: caf\xe9 \xff\xfe ok")
    assert msg.message == "caf\ufffd \ufffd\ufffd ok"


def test_trailing_newline_and_nul_are_framing_not_content() -> None:
    assert parse(b"<13>Mar  5 10:00:00 h app: x\r\n\x00").message == "x"


@pytest.mark.parametrize("raw", [b"", b"\n", b"  \r\n", b"<13>", b"<13>  \n", b"\x00\x00"])
def test_empty_input_is_a_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError, match="empty message"):
        parse(raw)


def test_apache_error_line_without_syslog_header_stays_whole() -> None:
    line = b"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/w.properties"
    msg = parse(line)
    assert msg.message == line.decode()
    assert msg.timestamp is None and msg.appname is None
