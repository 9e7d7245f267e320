"""CEF to ECS: the ArcSight specification's examples, vendors' documented lines, escapes, times,
truncated and hostile input, and CEF arriving behind every kind of syslog header."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syslog_event import syslog_event as ecs

from collectors.parsers import cef, parse_message


def test_spec_example_after_a_syslog_prefix() -> None:
    # ArcSight CEF specification (Micro Focus, "Common Event Format", v25), "CEF: Header".
    line = (
        "Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|"
        "src=10.0.0.1 dst=2.1.2.2 spt=1232"
    )
    doc = cef.parse(line)
    assert doc is not None
    assert doc["event"] == {
        "module": "cef",
        "dataset": "cef.log",
        "original": line,
        "code": "100",
        "severity": 10,
    }
    assert doc["observer"] == {"vendor": "Security", "product": "threatmanager", "version": "1.0"}
    assert doc["message"] == "worm successfully stopped"
    assert doc["source"] == {"ip": "10.0.0.1", "port": 1232}
    assert doc["destination"] == {"ip": "2.1.2.2"}
    assert doc["cef"] == {
        "version": "0",
        "device": {"vendor": "Security", "product": "threatmanager", "version": "1.0",
                   "event_class_id": "100"},
        "name": "worm successfully stopped",
        "severity": "10",
        "extensions": {"sourceAddress": "10.0.0.1", "destinationAddress": "2.1.2.2",
                       "sourcePort": 1232},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("line", "name", "action"),
    [
        # The specification's escaping examples ("Character Encoding").
        (r"CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 "
         r"act=blocked a | dst=1.1.1.1", "detected a | in message", "blocked a |"),
        (r"CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 "
         r"act=blocked a \\ dst=1.1.1.1", "detected a \\ in packet", "blocked a \\"),
        (r"CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 "
         r"act=blocked a \= dst=1.1.1.1", "detected a = in message", "blocked a ="),
    ],
)  # fmt: skip
def test_spec_escapes(line: str, name: str, action: str) -> None:
    doc = cef.parse(line)
    assert doc is not None
    assert doc["message"] == name
    assert doc["event"]["action"] == action
    assert doc["destination"]["ip"] == "1.1.1.1"


def test_newlines_and_windows_paths_in_values() -> None:
    doc = cef.parse(
        r"CEF:0|a|b|1|2|n|3|msg=Detected a threat.\n No action needed.\r "
        r"filePath=C:\\Windows\\Temp\\x.exe fname=x.exe"
    )
    assert doc is not None
    assert doc["message"] == "Detected a threat.\n No action needed.\r"
    assert doc["file"] == {"path": "C:\\Windows\\Temp\\x.exe", "name": "x.exe"}


def test_arcsight_logger_event_keeps_labels_and_types() -> None:
    # ArcSight Logger internal event, the example of Elastic's decode_cef documentation.
    doc = cef.parse(
        "CEF:0|ArcSight|Logger|5.0.0.5355.2|sensor:115|Logger Internal Event|1|"
        "cat=/Monitor/Sensor/Fan5 cs2=Current Value cnt=1 dvc=10.0.0.1 cs3=Ok cs1=null type=0 "
        "cs1Label=unit rt=1305034099211 cs3Label=Status cn1Label=value cn1=0 cs2Label=timeframe"
    )
    assert doc is not None
    ext = doc["cef"]["extensions"]
    assert ext["deviceCustomString2"] == "Current Value"
    assert ext["deviceCustomString2Label"] == "timeframe"
    assert ext["deviceCustomNumber1"] == 0 and ext["deviceCustomNumber1Label"] == "value"
    assert ext["baseEventCount"] == 1 and ext["type"] == 0
    assert ext["deviceEventCategory"] == "/Monitor/Sensor/Fan5"
    assert doc["@timestamp"] == "2011-05-10T13:28:19.211Z"
    assert doc["observer"]["ip"] == "10.0.0.1"
    assert doc["event"]["severity"] == 1
    assert "kind" not in doc["event"] and "category" not in doc["event"]


def test_kaspersky_secure_mail_gateway_audit_event_through_syslog() -> None:
    # Kaspersky Secure Mail Gateway 2.1.1 help, "Audit events in CEF format" (placeholders filled).
    doc = ecs(
        b"<110>Aug 14 17:07:42 host.domain.com KSMG: CEF:0|AO Kaspersky Lab|Kaspersky Secure "
        b"Mail Gateway|2.1.1.1234|LMS_AUDIT_DICTIONARY|Dictionary created|Low|externalId=17 "
        b"outcome=success dst=10.0.0.9 dpt=9045 cn1Label=EventPart cn1=1 cn2Label=TotalEventParts "
        b"cn2=1 KSMGAccountType=local src=10.0.0.7 suser=admin KSMGUserRole=Administrator "
        b"cs2Label=DictionaryName cs2=Dictionary_11 |"
    )
    assert doc["event"]["dataset"] == "cef.log"
    assert doc["event"]["severity"] == 0  # Low
    assert doc["event"]["outcome"] == "success"
    assert doc["source"] == {"ip": "10.0.0.7", "user": {"name": "admin"}}
    assert doc["destination"] == {"ip": "10.0.0.9", "port": 9045}
    assert doc["observer"]["product"] == "Kaspersky Secure Mail Gateway"
    ext = doc["cef"]["extensions"]
    assert ext["KSMGUserRole"] == "Administrator"  # vendor keys kept as sent
    assert ext["deviceCustomString2"] == "Dictionary_11 |"
    assert doc["host"]["name"] == "host.domain.com"
    assert doc["log"]["syslog"]["appname"] == "KSMG"


def test_kaspersky_scan_engine_detection() -> None:
    # Kaspersky Scan Engine 2.1 help, "Format of CEF logs" (template, values filled in).
    doc = cef.parse(
        "CEF:0|Kaspersky|Scan Engine HTTP Service|2.1.0.500|3|Scan result|8| msg=Object is "
        "infected src=10.1.2.3 dvcpid=1234 sproc=unix_socket dvc=10.1.2.4 dvchost=kse01 "
        "start=Mar 05 2024 10:00:00 UTC fileHash=44D88612FEA8A8F36DE82E1278ABB02F "
        "fname=eicar.com request=http://example.test/eicar.com act=Detected "
        "cs1=DETECT cs1Label=Scan result cs2=EICAR-Test-File cs2Label=Virus name"
    )
    assert doc is not None
    assert doc["message"] == "Object is infected"
    assert doc["process"] == {"pid": 1234}
    assert doc["source"] == {"ip": "10.1.2.3", "process": {"name": "unix_socket"}}
    assert doc["observer"]["hostname"] == "kse01" and doc["observer"]["ip"] == "10.1.2.4"
    assert doc["event"]["start"] == "2024-03-05T10:00:00.000Z"
    assert doc["file"] == {"name": "eicar.com", "hash": {"md5": "44d88612fea8a8f36de82e1278abb02f"}}
    assert doc["url"] == {"original": "http://example.test/eicar.com"}
    assert doc["event"]["action"] == "Detected"
    assert doc["cef"]["extensions"]["deviceCustomString2"] == "EICAR-Test-File"


def test_trend_micro_deep_discovery_writes_a_space_after_cef() -> None:
    # Trend Micro Deep Discovery Analyzer 7.6, "Syslog content mapping - CEF" (system event).
    doc = ecs(
        b"<14>Nov  7 10:05:58 ddan CEF: 0|Trend Micro|Deep Discovery Analyzer|6.0.0.1119|300999|"
        b"Log Settings: Settings modified by 'admin' from 10.204.1.2|3|rt=Nov 07 2017 10:05:58 "
        b"GMT+08:00 dvc=10.204.1.1 dvchost=DDAN dvcmac=00:0C:29:2F:3B:6B "
        b"deviceExternalId=423E63AA-D466-406E-A15F-6AC6F3CEE50A cs1Label=eventType "
        b"cs1=System Setting duser=admin src=10.204.1.2 outcome=Success"
    )
    assert doc["event"]["dataset"] == "cef.log"
    assert doc["@timestamp"] == "2017-11-07T02:05:58.000Z"
    assert doc["observer"]["mac"] == "00-0C-29-2F-3B-6B"
    assert doc["observer"]["hostname"] == "DDAN"
    assert doc["observer"]["ip"] == "10.20.0.1"  # the sender's address; content cannot forge it
    assert doc["destination"]["user"]["name"] == "admin"
    assert doc["event"]["outcome"] == "success"
    assert doc["cef"]["extensions"]["deviceExternalId"] == "423E63AA-D466-406E-A15F-6AC6F3CEE50A"


def test_trend_micro_apex_central_escaped_backslash() -> None:
    # Trend Micro Apex Central 2019 help, "CEF Managed Product Logon/Logoff Events" log sample.
    doc = cef.parse(
        "CEF:0|Trend Micro|Apex Central|2019|700211|Managed Product Logon/Logoff Events|3|"
        "deviceExternalId=11 shost=SMEX01 deviceFacility=ScanMail for Microsoft Exchange "
        "cs1Label=Product_Version cs1=14 cn1Label=Command_Status cn1=110 msg=A user with the "
        r"Administrator role(s) has logged on. Detail Information :UserName:TEST2013\\administrator"
        ",IP address:10.204.166.127, EventType:Log in/out,SourceType:SMEX UI."
    )
    assert doc is not None
    assert doc["source"] == {"domain": "SMEX01"}
    assert "TEST2013\\administrator,IP" in doc["message"]
    assert doc["cef"]["extensions"]["deviceFacility"] == "ScanMail for Microsoft Exchange"
    assert doc["cef"]["extensions"]["deviceCustomNumber1"] == 110


def test_check_point_log_exporter_unknown_severity() -> None:
    # Check Point CheckMates, "Log Exporter CEF Field Mappings" (R80.20 header; extensions ours).
    doc = cef.parse(
        "CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Accept "
        "src=192.168.1.10 spt=51234 dst=203.0.113.80 dpt=443 proto=6 app=https "
        "deviceDirection=1 rt=1709632800000 in=1200 out=5400"
    )
    assert doc is not None
    assert "severity" not in doc["event"] and doc["cef"]["severity"] == "Unknown"
    assert doc["event"]["action"] == "Accept"
    assert doc["network"] == {"iana_number": "6", "transport": "tcp", "application": "https",
                              "direction": "outbound"}  # fmt: skip
    assert doc["source"]["bytes"] == 1200 and doc["destination"]["bytes"] == 5400
    assert doc["@timestamp"] == "2024-03-05T10:00:00.000Z"


def test_check_point_ipv6_addresses_and_rule_come_in_labelled_custom_fields() -> None:
    # Check Point CheckMates, "Log Exporter CEF Field Mappings": an IPv6 connection's addresses
    # are c6a2/c6a3, the rule cs2, the URL category cs5 (values ours).
    doc = cef.parse(
        "CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Drop "
        "c6a2=2001:db8:10::5 c6a2Label=Source IPv6 Address c6a3=2001:db8:20::9 "
        "c6a3Label=Destination IPv6 Address cs2Label=Rule Name cs2=Block guests "
        "cs5Label=Matched Category cs5=Gambling spt=50110 dpt=443 proto=6"
    )
    assert doc is not None
    assert doc["source"] == {"ip": "2001:db8:10::5", "port": 50110}
    assert doc["destination"] == {"ip": "2001:db8:20::9", "port": 443}
    assert doc["rule"] == {"name": "Block guests", "category": "Gambling"}
    assert doc["cef"]["extensions"]["deviceCustomIPv6Address2"] == "2001:db8:10::5"


def test_check_point_own_names_fill_zones_rule_and_interface() -> None:
    # Log Exporter's CEF keeps Check Point's names where CEF has no key (values ours).
    doc = cef.parse(
        "CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Accept "
        "deviceDirection=0 rt=1709632800000 spt=51234 dpt=443 src=192.0.2.10 dst=203.0.113.80 "
        "ifname=eth1 inzone=Internal outzone=External layer_name=Network origin=192.0.2.254 "
        "rule_uid=4f0c4b8e-0e7a-4d5b-9d1c-3b2f1a0e9c77 rule_name=Web out "
        "cn2=75 cn2Label=Duration in Seconds"
    )
    assert doc is not None
    assert doc["observer"]["ingress"] == {"zone": "Internal", "interface": {"name": "eth1"}}
    assert doc["observer"]["egress"] == {"zone": "External"}
    assert doc["observer"]["name"] == "192.0.2.254"
    assert doc["rule"] == {"uuid": "4f0c4b8e-0e7a-4d5b-9d1c-3b2f1a0e9c77", "name": "Web out"}
    assert doc["network"]["name"] == "Network"
    assert doc["event"]["duration"] == 75_000_000_000
    assert doc["event"]["category"] == ["network"] and doc["event"]["outcome"] == "success"
    assert doc["event"]["type"] == ["allowed", "connection"]
    drop = cef.parse("CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|http|5|act=Drop")
    assert drop is not None and drop["event"]["outcome"] == "failure"
    assert drop["event"]["type"] == ["connection", "denied"] and drop["event"]["action"] == "Drop"


def test_a_standard_address_wins_over_a_labelled_one() -> None:
    for extension in ("src=192.0.2.7 c6a2=2001:db8::7 c6a2Label=Source IPv6 Address",
                      "c6a2=2001:db8::7 c6a2Label=Source IPv6 Address src=192.0.2.7"):  # fmt: skip
        doc = cef.parse(f"CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|x|1|{extension}")
        assert doc is not None and doc["source"] == {"ip": "192.0.2.7"}
    doc = cef.parse("CEF:0|V|P|1|x|y|1|c6a2=not-an-address c6a2Label=Source IPv6 Address")
    assert doc is not None and "source" not in doc
    for extension in ("cs3=long cs3Label=Duration in Seconds", "cn3=-5 cn3Label=DurationInSeconds"):
        doc = cef.parse(f"CEF:0|V|P|1|x|y|1|{extension}")
        assert doc is not None and "duration" not in doc["event"]


def test_forcepoint_rule_id_is_a_labelled_custom_string() -> None:
    # As Forcepoint NGFW exports CEF: the rule id in cs1, labelled RuleID (values ours).
    doc = cef.parse(
        "CEF:0|FORCEPOINT|Firewall|6.8.1|70019|Connection_Discarded|0|dvc=192.0.2.1 "
        "src=198.51.100.4 dst=203.0.113.9 spt=68 dpt=67 proto=17 cs1Label=RuleID cs1=605.0"
    )
    assert doc is not None and doc["rule"] == {"id": "605.0"}


def test_web_request_fields() -> None:
    doc = cef.parse(
        "CEF:0|Imperva Inc.|SecureSphere|12.0|Protocol Violation|Illegal URL|High|"
        "src=198.51.100.7 suser=bob requestMethod=POST request=/login.php?x=1 "
        "requestClientApplication=Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
        "requestContext=https://portal.example.test/ dhost=portal.example.test proto=TCP"
    )
    assert doc is not None
    assert doc["event"]["severity"] == 7
    assert doc["http"] == {"request": {"method": "POST",
                                       "referrer": "https://portal.example.test/"}}  # fmt: skip
    assert doc["url"] == {"original": "/login.php?x=1"}
    assert doc["user_agent"] == {"original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}
    assert doc["destination"] == {"domain": "portal.example.test"}
    assert doc["network"]["transport"] == "tcp"


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("1305034099211", None, "2011-05-10T13:28:19.211Z"),
        ("Mar 05 2024 10:00:00.250", None, "2024-03-05T10:00:00.250Z"),
        ("Mar 05 2024 10:00:00 +0700", None, "2024-03-05T03:00:00.000Z"),
        ("Mar  5 2024 10:00:00", "Asia/Ho_Chi_Minh", "2024-03-05T03:00:00.000Z"),
        ("Mar 05 2024 10:00:00 Asia/Ho_Chi_Minh", None, "2024-03-05T03:00:00.000Z"),
        ("Mar 05 2024 10:00:00 ICT", None, "2024-03-05T03:00:00.000Z"),
        ("2018-06-28 03:22:31", None, "2018-06-28T03:22:31.000Z"),
    ],
)
def test_device_times(text: str, zone: str | None, expected: str) -> None:
    doc = cef.parse(f"CEF:0|a|b|1|2|n|3|rt={text}" + (f" dtz={zone}" if zone else ""))
    assert doc is not None
    assert doc["@timestamp"] == expected


def test_a_time_without_year_is_not_in_the_future() -> None:
    now = datetime.now(UTC)
    moment = cef.device_time(now.strftime("%b %d %H:%M:%S"))
    assert moment is not None and moment.year == now.year
    assert cef.device_time("Feb 30 10:00:00") is None
    assert cef.device_time("Mar 05 2024 10:00:00 Not/AZone") is None
    assert cef.device_time("Mar 05 2024 10:00:00 PST") is None


def test_bad_values_stay_out_of_typed_fields() -> None:
    doc = cef.parse(
        "CEF:0|a|b|1|2|n|3|src=10.0.0.300 dst=::1 spt=http dpt=99 smac=zz:zz "
        "rt=yesterday cn1=12x fsize= outcome=blocked"
    )
    assert doc is not None
    assert "source" not in doc
    assert doc["destination"] == {"ip": "::1", "port": 99}
    assert "@timestamp" not in doc and "outcome" not in doc["event"]
    ext = doc["cef"]["extensions"]
    assert ext["sourceAddress"] == "10.0.0.300" and ext["sourcePort"] == "http"
    assert ext["deviceCustomNumber1"] == "12x" and "fileSize" not in ext


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CEF:0", {"version": "0"}),
        ("CEF:0|Vendor|Prod", {"version": "0", "device": {"vendor": "Vendor", "product": "Prod"}}),
        ("CEF:1|V|P|1.0|7|Name|", {"version": "1", "device": {
            "vendor": "V", "product": "P", "version": "1.0", "event_class_id": "7"},
            "name": "Name"}),
        ("CEF:0|V|P|1.0|7|Name|5", {"version": "0", "device": {
            "vendor": "V", "product": "P", "version": "1.0", "event_class_id": "7"},
            "name": "Name", "severity": "5"}),
        ("CEF:0|V|P|1.0|7|N|5|src=10.0.0.1 msg=cut off \\", {"version": "0", "device": {
            "vendor": "V", "product": "P", "version": "1.0", "event_class_id": "7"},
            "name": "N", "severity": "5", "extensions": {"sourceAddress": "10.0.0.1",
                                                         "message": "cut off \\"}}),
    ],
)  # fmt: skip
def test_truncated_lines_keep_what_was_read(line: str, expected: dict) -> None:
    doc = cef.parse(line)
    assert doc is not None
    assert doc["cef"] == expected


@pytest.mark.parametrize(
    "line", ["", "CEF", "CEF:", "CEF:x|a|b", "the CEF: module failed", "CEF:|a|b|c", "LEEF:1.0|a"]
)
def test_not_cef(line: str) -> None:
    assert cef.parse(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "CEF:0|" + "\\" * 200_000,
        "CEF:0|" + "a\\|" * 100_000,
        "CEF:0|a|b|c|d|e|5|" + " a" * 100_000,
        "CEF:0|a|b|c|d|e|5|" + "k=" * 100_000,
        "CEF:0|a|b|c|d|e|5|x=" + "a" * 200_000 + "=",
        "CEF:0|a|b|c|d|e|5|x=" + "\\=" * 100_000,
        "CEF:0|a|b|c|d|e|5|" + " k_k.k[k]" * 40_000 + "=1",
    ],
)
def test_hostile_input_is_linear(line: str) -> None:
    started = time.perf_counter()
    doc = cef.parse(line)
    assert time.perf_counter() - started < 1.0
    assert doc is not None


def test_geo_points_need_both_coordinates() -> None:
    doc = cef.parse("CEF:0|a|b|1|2|n|3|slat=21.03 slong=105.85 dlat=nan dlong=1.5")
    assert doc is not None
    assert doc["source"] == {"geo": {"location": {"lat": 21.03, "lon": 105.85}}}
    assert "destination" not in doc
    assert doc["cef"]["extensions"]["destinationGeoLatitude"] == "nan"


def test_times_no_utc_date_holds_are_dropped() -> None:
    doc = cef.parse("CEF:0|a|b|1|2|n|3|rt=Jan 01 0001 00:00:00 +1400 end=0001-01-01T00:00:00+14:00")
    assert doc is not None
    assert "@timestamp" not in doc and "end" not in doc["event"]


PIECES = ["CEF:0|", "|", "\\", "\\|", "\\=", "=", " ", "src=", "rt=", "Mar 05 ", "2024 ",
          "10:00:00", ".5", " +0700", " UTC", "dtz=", "Asia/Ho_Chi_Minh", "cn1=", "-", "9" * 20,
          "smac=", "in=", "deviceDirection=", "0", "1", "outcome=", "fileHash=", "a" * 32,
          "requestContext=", "http", "slat=", "1e400", "nan", "proto=", "TCP", "k[0]="]  # fmt: skip


@settings(max_examples=500)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=24))
def test_no_cef_line_raises(pieces: list[str]) -> None:
    doc = cef.parse("".join(pieces))
    assert doc is None or doc["event"]["dataset"] == "cef.log"


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        (b"<134>Nov 22 10:00:00 ksc CEF:0|KasperskyLab|SecurityCenter|13.2.0.1511|"
         b"KLSRV_EVENT_HOSTS_NEW_DETECTED|New device detected|1|dhost=WS-042 dst=10.8.1.42", "ksc"),
        (b"<134>Nov 22 10:00:00 ksc CEF: 0|KasperskyLab|SecurityCenter|13.2.0.1511|"
         b"KLSRV_EVENT_HOSTS_NEW_DETECTED|New device detected|1|dhost=WS-042 dst=10.8.1.42", "ksc"),
        (b"<134>1 2023-11-22T10:00:00Z ksc CEF:0|KasperskyLab|SecurityCenter|13.2.0.1511|"
         b"KLSRV_EVENT_HOSTS_NEW_DETECTED|New device detected|1|dhost=WS-042 dst=10.8.1.42", "ksc"),
        (b"<134>1 2023-11-22T10:00:00Z ksc - - - CEF:0|KasperskyLab|SecurityCenter|13.2.0.1511|"
         b"KLSRV_EVENT_HOSTS_NEW_DETECTED|New device detected|1|dhost=WS-042 dst=10.8.1.42", "ksc"),
        (b"<134>Nov 22 10:00:00 relay Nov 22 2023 10:00:00 ksc CEF:0|KasperskyLab|SecurityCenter|"
         b"13.2.0.1511|KLSRV_EVENT_HOSTS_NEW_DETECTED|New device detected|1|dhost=WS-042 "
         b"dst=10.8.1.42", "relay"),
        (b"CEF:0|KasperskyLab|SecurityCenter|13.2.0.1511|KLSRV_EVENT_HOSTS_NEW_DETECTED|"
         b"New device detected|1|dhost=WS-042 dst=10.8.1.42", None),
    ],
)  # fmt: skip
def test_syslog_lines_reach_the_cef_parser(raw: bytes, host: str | None) -> None:
    """Kaspersky Security Center's SIEM export (vendor `KasperskyLab`, product `SecurityCenter`;
    the event type from KSC's Administration Server event list; the extension values are ours)
    behind each header shape seen: RFC 3164 with a host, a tag taken from `CEF: 0`, RFC 5424
    with and without the NIL fields, a relay's header before the device's own, none at all."""
    doc = ecs(raw)
    assert doc["event"]["dataset"] == "cef.log"
    assert doc["event"]["code"] == "KLSRV_EVENT_HOSTS_NEW_DETECTED"
    assert doc["observer"]["vendor"] == "KasperskyLab"
    assert doc["destination"] == {"domain": "WS-042", "ip": "10.8.1.42"}
    assert doc["message"] == "New device detected"
    assert doc.get("host", {}).get("name") == host
    assert "process" not in doc or doc["process"].get("name") != "CEF"


def test_fortigate_in_cef_mode_is_fortigate() -> None:
    """A FortiGate set to CEF writes `logid=` and `devname=` inside its extensions: the line is
    read as CEF (not by the key=value reader, which those keys would call), then as the
    FortiGate log it carries (`fortigate.from_cef`, tests in test_fortigate.py)."""
    doc = parse_message(
        "CEF:0|Fortinet|Fortigate|v7.2.5|00013|traffic:forward close|3|"
        "deviceExternalId=FG100ETK00000000 FTNTFGTlogid=0000000013 cat=traffic:forward "
        "FTNTFGTsubtype=forward FTNTFGTlevel=notice FTNTFGTvd=root src=10.0.1.5 spt=51000 "
        "dst=8.8.8.8 dpt=53 proto=17 act=close FTNTFGTdevname=FGT-HQ"
    )
    assert doc is not None
    assert doc["event"]["dataset"] == "fortinet.firewall"
    assert doc["observer"]["name"] == "FGT-HQ"
    assert doc["fortinet"]["firewall"]["vd"] == "root"
    assert doc["destination"] == {"ip": "8.8.8.8", "port": 53}


def test_a_claimed_program_keeps_its_lines() -> None:
    doc = parse_message(
        "Invalid user CEF:0|a|b|c|d|e|1|src=1.2.3.4 from 10.0.0.9 port 4444", program="sshd"
    )
    assert doc is not None
    assert doc["event"]["dataset"] == "system.auth"
