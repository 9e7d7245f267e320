"""Header variants of network gear (HPE/H3C Comware, Aruba, Cisco `show-timezone`), the
configured zone of zone-less timestamps, and the TLS server context's checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collectors.syslog.header import parse_syslog, zone_setting
from collectors.syslog.tls import server_context
from soc.config import SyslogSettings
from soc.errors import ConfigError

RECEIVED = datetime(2024, 3, 5, 12, tzinfo=UTC)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_comware_year_after_time_and_millisecond_colon() -> None:
    msg = parse_syslog(
        b"<190>Mar  5 10:00:00:123 2024 SW-CORE %%10SHELL/5/SHELL_LOGIN: admin logged in from "
        b"10.20.0.9.",
        received=RECEIVED,
    )
    assert msg.timestamp == datetime(2024, 3, 5, 10, 0, 0, 123000, tzinfo=UTC)
    assert (msg.hostname, msg.appname) == ("SW-CORE", "%%10SHELL/5/SHELL_LOGIN")
    assert msg.message == "admin logged in from 10.20.0.9."


def test_aruba_year_after_time_and_weekday() -> None:
    msg = parse_syslog(b"<13>Tue Mar  5 10:00:00 2024 ap-01 stm[2345]: hello", received=RECEIVED)
    assert msg.timestamp == datetime(2024, 3, 5, 10, tzinfo=UTC)
    assert (msg.hostname, msg.appname, msg.procid) == ("ap-01", "stm", "2345")


def test_named_zone_after_the_time_wins_over_the_setting() -> None:
    msg = parse_syslog(
        b"<189>12: *Mar  5 17:00:00.500 ICT: %SYS-5-CONFIG_I: Configured from console",
        received=RECEIVED,
        zone=UTC,
    )
    assert msg.timestamp == datetime(2024, 3, 5, 10, 0, 0, 500000, tzinfo=UTC)


def test_zone_less_timestamps_are_read_in_the_configured_zone() -> None:
    bsd = parse_syslog(b"<13>Mar  5 17:00:00 h app: x", received=RECEIVED, zone=HANOI)
    assert bsd.timestamp is not None
    assert bsd.timestamp.astimezone(UTC) == datetime(2024, 3, 5, 10, tzinfo=UTC)
    iso = parse_syslog(b"<13>2024-03-05 17:00:00 h app: x", received=RECEIVED, zone=HANOI)
    assert iso.timestamp is not None and iso.timestamp.astimezone(UTC).hour == 10
    naive_5424 = parse_syslog(b"<13>1 2024-03-05T17:00:00 h app - - - x", received=RECEIVED,
                              zone=HANOI)  # fmt: skip
    assert naive_5424.timestamp is not None and naive_5424.timestamp.astimezone(UTC).hour == 10
    zoned = parse_syslog(b"<13>1 2024-03-05T17:00:00Z h app - - - x", received=RECEIVED,
                         zone=HANOI)  # fmt: skip
    assert zoned.timestamp == datetime(2024, 3, 5, 17, tzinfo=UTC)


def test_new_year_in_the_configured_zone() -> None:
    """31 Dec 23:30 Hanoi time arrives at 16:30 UTC on 31 Dec: still last year's line when
    received in the first hours of January UTC."""
    received = datetime(2024, 1, 1, 1, tzinfo=UTC)
    msg = parse_syslog(b"<13>Dec 31 23:30:00 h app: x", received=received, zone=HANOI)
    assert msg.timestamp is not None and msg.timestamp.year == 2023


@pytest.mark.parametrize(
    ("name", "offset"),
    [("UTC", timedelta(0)), ("", timedelta(0)), ("+07:00", timedelta(hours=7)),
     ("-0330", timedelta(hours=-3, minutes=-30)), ("Asia/Ho_Chi_Minh", timedelta(hours=7))],
)  # fmt: skip
def test_zone_setting(name: str, offset: timedelta) -> None:
    zone = zone_setting(name)
    assert datetime(2024, 3, 5, tzinfo=zone).utcoffset() == offset


def test_unknown_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        zone_setting("Mars/Olympus")


def test_rsyslog_space_before_rfc5424_message_is_dropped() -> None:
    msg = parse_syslog(b"<13>1 2024-03-05T10:00:00Z h app - - -  hello", received=RECEIVED)
    assert msg.message == "hello"


def test_tls_context_is_tls12_or_later_and_checks_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tls_cert_file"):
        server_context(SyslogSettings(tls_enabled=True))
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(ConfigError, match="cannot load certificates"):
        server_context(SyslogSettings(tls_enabled=True, tls_cert_file=str(bogus)))
    with pytest.raises(ConfigError, match="tls_ca_file: no such file"):
        server_context(SyslogSettings(tls_cert_file=str(bogus), tls_ca_file=str(tmp_path / "x")))


def test_cisco_ios_without_sequence_numbers_bare_colon_before_the_clock() -> None:
    """`no service sequence-numbers`: a bare colon after the PRI, perhaps the host name."""
    msg = parse_syslog(
        b"<189>: Jan  6 2024 20:54:26.961: %SYS-5-CONFIG_I: Configured from console by admin",
        received=RECEIVED,
        zone=HANOI,
    )
    assert msg.timestamp == datetime(2024, 1, 6, 13, 54, 26, 961000, tzinfo=UTC)
    assert (msg.hostname, msg.appname) == (None, "%SYS-5-CONFIG_I")
    assert msg.message == "Configured from console by admin"
    named = parse_syslog(
        b"<190>: sw-ubnd-01: Mar  5 10:00:00.123 UTC: %LINK-3-UPDOWN: Interface Gi0/1, changed "
        b"state to down",
        received=RECEIVED,
    )
    assert named.timestamp == datetime(2024, 3, 5, 10, 0, 0, 123000, tzinfo=UTC)
    assert (named.hostname, named.appname) == ("sw-ubnd-01", "%LINK-3-UPDOWN")


def test_host_name_before_a_cisco_tag_is_the_host_not_a_program() -> None:
    msg = parse_syslog(
        b"<166>Mar  5 10:00:05 fw-sotc: %ASA-4-106023: Deny tcp src outside:203.0.113.9/51515 "
        b'dst inside:192.0.2.5/22 by access-group "outside_in" [0x0, 0x0]',
        received=RECEIVED,
    )
    assert (msg.hostname, msg.appname) == ("fw-sotc", "%ASA-4-106023")
    assert msg.message.startswith("Deny tcp src outside:203.0.113.9/51515")
    linux = parse_syslog(b"<38>Mar  5 10:00:01 web01 sshd[1234]: %x", received=RECEIVED)
    assert (linux.hostname, linux.appname, linux.message) == ("web01", "sshd", "%x")


def test_a_relays_header_before_the_devices_whole_message() -> None:
    """A relay that writes `%TIMESTAMP% %HOSTNAME% %rawmsg%` to a file or forwards it on: the
    device's PRI, sequence, clock and tag are read, the relay's host and time fill what the
    device did not send."""
    msg = parse_syslog(
        b"Mar  5 11:00:02 10.20.0.254 <189>2: *Mar  5 11:00:01.345: %SYS-5-CONFIG_I: Configured "
        b"from console by vty0 (192.0.2.7)",
        received=RECEIVED,
    )
    assert (msg.priority, msg.sequence, msg.appname) == (189, 2, "%SYS-5-CONFIG_I")
    assert msg.timestamp == datetime(2024, 3, 5, 11, 0, 1, 345000, tzinfo=UTC)  # the device's
    assert msg.hostname == "10.20.0.254"  # the relay's view of who sent it
    assert msg.message == "Configured from console by vty0 (192.0.2.7)"
    untimed = parse_syslog(b"Mar  5 11:00:02 relay01 <14>port Gi0/1 down", received=RECEIVED)
    assert untimed.timestamp == datetime(2024, 3, 5, 11, 0, 2, tzinfo=UTC)  # the relay's
    assert (untimed.priority, untimed.hostname, untimed.message) == (
        14,
        "relay01",
        "port Gi0/1 down",
    )
    bare = parse_syslog(b"Mar  5 11:00:02 relay01 <14>", received=RECEIVED)
    assert (bare.hostname, bare.message) == ("relay01", "<14>")  # nothing inside: kept as sent
