"""From a parsed message to the ECS document the contract describes."""

from __future__ import annotations

from syslog_event import syslog_event as ecs

from soc.enrich.intel import IntelIndex
from soc.model.intel import Indicator


def test_unknown_line_keeps_header_fields() -> None:
    doc = ecs(
        b"<86>1 2024-03-05T10:00:00.5Z gw.soyte.gov.vn cron 4242 CMD "
        b'[meta sequenceId="7"] (root) CMD (run-parts /etc/cron.hourly)'
    )
    assert doc["message"] == "(root) CMD (run-parts /etc/cron.hourly)"
    assert doc["@timestamp"] == "2024-03-05T10:00:00.500Z"
    assert doc["host"] == {"name": "gw.soyte.gov.vn"}
    assert doc["process"] == {"name": "cron", "pid": 4242}
    assert doc["log"]["level"] == "informational"
    assert doc["log"]["syslog"] == {
        "priority": 86,
        "facility": {"code": 10, "name": "authpriv"},
        "severity": {"code": 6, "name": "informational"},
        "version": "1",
        "hostname": "gw.soyte.gov.vn",
        "appname": "cron",
        "procid": "4242",
        "msgid": "CMD",
        "structured_data": {"meta": {"sequenceId": "7"}},
    }
    assert doc["log"]["source"] == {"address": "10.20.0.1"}
    assert doc["observer"] == {"ip": "10.20.0.1"}
    assert "event" not in doc  # dataset `syslog` comes from stamp()


def test_non_numeric_procid_stays_in_log_syslog_only() -> None:
    doc = ecs(b"<13>1 - h app worker-3 - - x")
    assert doc["process"] == {"name": "app"}
    assert doc["log"]["syslog"]["procid"] == "worker-3"


def test_no_pri_means_no_facility_or_severity() -> None:
    doc = ecs(b"Jun 14 15:16:02 combo su(pam_unix)[21416]: session opened for user cyrus")
    assert "priority" not in doc["log"]["syslog"]
    assert "level" not in doc["log"]
    assert doc["host"]["name"] == "combo"


def test_cisco_sequence_becomes_event_sequence() -> None:
    doc = ecs(b"<189>123: *Mar  1 00:01:02.123: %SYS-5-CONFIG_I: Configured from console")
    assert doc["event"]["sequence"] == 123 and doc["event"]["code"] == "CONFIG_I"
    assert "process" not in doc  # the tag the header took is Cisco's message name


def test_sshd_line_gets_the_auth_fields_and_the_header() -> None:
    doc = ecs(
        b"<38>Mar  5 10:00:01 web01 sshd[1234]: Failed password for root from 10.0.0.5 port 22"
    )
    assert doc["event"]["dataset"] == "system.auth"
    assert doc["process"] == {"name": "sshd", "pid": 1234}
    assert doc["host"]["name"] == "web01"
    assert doc["log"]["syslog"]["appname"] == "sshd"


def test_parsed_content_cannot_forge_transport_fields() -> None:
    body = (
        b'{"winlog": {"channel": "Security", "event_id": 4624}, "observer": {"ip": "1.1.1.1"},'
        b' "log": {"source": {"address": "1.1.1.1"}}, "organization": {"id": "other-agency"}}'
    )
    doc = ecs(b"<14>Mar  5 10:00:00 dc01 winlogbeat: " + body)
    assert doc["observer"]["ip"] == "10.20.0.1"
    assert doc["log"]["source"] == {"address": "10.20.0.1"}
    assert "organization" not in doc
    assert doc["event"]["dataset"] == "windows.security"


def test_event_timestamp_from_content_wins_over_header() -> None:
    line = (
        b"<190>Mar  5 10:00:00 proxy nginx: 10.1.1.1 - - [05/Mar/2024:16:59:58 +0700] "
        b'"GET / HTTP/1.1" 200 5 "-" "curl/8.0"'
    )
    assert ecs(line)["@timestamp"] == "2024-03-05T09:59:58.000Z"


def test_a_windows_events_syslog_tag_is_not_its_process() -> None:
    """NXLog's `to_syslog_bsd()` tags each event with its provider and the logging process id:
    neither is the process the event is about (a failed logon names none at all)."""
    body = (
        b'{"EventTime": "2026-11-22 10:00:00", "Hostname": "DC01.soyte.local", "EventID": 4625,'
        b' "SourceName": "Microsoft-Windows-Security-Auditing", "ProcessID": 560,'
        b' "Channel": "Security", "TargetUserName": "admin", "IpAddress": "203.0.113.9"}'
    )
    doc = ecs(b"<14>Nov 22 10:00:00 DC01 Microsoft-Windows-Security-Auditing[560]: " + body)
    assert doc["event"]["dataset"] == "windows.security"
    assert doc["source"]["ip"] == "203.0.113.9"
    assert "process" not in doc
    assert doc["winlog"]["process"]["pid"] == 560
    assert doc["log"]["syslog"]["appname"] == "Microsoft-Windows-Security-Auditing"


def test_unknown_line_names_its_addresses_in_related_ip() -> None:
    """So that threat-intel lists and searches by address find a line no parser knows."""
    doc = ecs(
        b"<29>Mar  5 10:00:11 core-sw-01 ospfd[881]: neighbor 198.51.100.7 (Gi0/1) down at "
        b"10:00:11; peer 2001:DB8::5 port 179 via 192.0.2.1:8080, MAC 52:54:00:12:34:56, "
        b"fw 10.2.0.1.5, 0.0.0.0 and 198.51.100.7 again"
    )
    assert doc["related"] == {"ip": ["198.51.100.7", "2001:db8::5", "192.0.2.1"]}
    index = IntelIndex([Indicator("ip", "2001:db8::5", "vncert")])
    assert [m.field for m in index.match(doc)] == ["related.ip"]
    assert "related" not in ecs(b"<13>Mar  5 10:00:11 switch-3 port Gi0/1 went down")
