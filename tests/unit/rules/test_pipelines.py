"""rules/pipelines/*.yml: Sigma taxonomy names reach our ECS fields, log sources our datasets."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from collectors.parsers import windows_json
from collectors.parsers.dispatch import parse_message
from soc.model.event import Event, set_field, stamp
from soc.rules import load_catalog
from soc.storage import DuckDBEventStore

PIPELINES = Path(__file__).resolve().parents[3] / "rules" / "pipelines"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ev(event_id: str, dataset: str, **fields: Any) -> Event:
    doc: Event = {"event": {"id": event_id}}
    for name, value in fields.items():
        set_field(doc, name.replace("__", "."), value)
    return stamp(doc, dataset=dataset)


@pytest.fixture
def run(tmp_path: Path, store: DuckDBEventStore):
    """Compile one rule (YAML text) with the shipped pipelines; ids of the events it matches."""

    def matched(rule_yaml: str, events: list[Event]) -> list[str]:
        (tmp_path / "rule.yml").write_text(textwrap.dedent(rule_yaml))
        catalog = load_catalog([tmp_path / "rule.yml"], pipelines=[PIPELINES])
        assert catalog.errors == []
        store.write_batch(events)
        rows = store.run_rule(
            catalog.compiled[0].sql, ingested_after=EPOCH, ingested_until=store.now()
        )
        return sorted(r["event_id"] for r in rows)

    return matched


def rule(logsource: dict[str, str], detection: dict[str, Any]) -> str:
    return yaml.safe_dump(
        {
            "title": "pipeline test",
            "id": "7d1f0c2e-6a5b-4c3d-8e9f-0a1b2c3d4e5f",
            "logsource": logsource,
            "detection": detection,
        }
    )


def test_windows_security_event_data_fields(run) -> None:
    events = [
        ev(
            "a",
            "windows.security",
            winlog__channel="Security",
            winlog__event_id="4625",
            winlog__event_data__TargetUserName="Administrator",
        ),
        ev(
            "b",
            "windows.security",
            winlog__channel="Security",
            winlog__event_id="4624",
            winlog__event_data__TargetUserName="Administrator",
        ),
        ev(
            "c",
            "windows.system",
            winlog__channel="System",
            winlog__event_id="4625",
            winlog__event_data__TargetUserName="Administrator",
        ),
    ]
    detection = {"sel": {"EventID": 4625, "TargetUserName": "administrator"}, "condition": "sel"}
    assert run(rule({"product": "windows", "service": "security"}, detection), events) == ["a"]


def test_windows_process_creation_uses_ecs_process_fields(run) -> None:
    sysmon = {"winlog__channel": "Microsoft-Windows-Sysmon/Operational", "event__code": "1"}
    security = {"winlog__channel": "Security", "event__code": "4688"}
    cmd = r"C:\Windows\System32\cmd.exe"
    events = [
        ev(
            "a",
            "windows.sysmon_operational",
            **sysmon,
            process__executable=cmd,
            process__parent__executable=r"C:\Program Files\w3wp.exe",
        ),
        ev(
            "b",
            "windows.security",
            **security,
            process__executable=cmd,
            process__parent__executable=r"c:\program files\W3WP.EXE",
        ),
        ev(
            "c",
            "windows.sysmon_operational",
            **sysmon,
            process__executable=cmd,
            process__parent__executable=r"C:\Windows\explorer.exe",
        ),
        # The same fields on a network connection (Sysmon 3) are not a process creation.
        ev(
            "d",
            "windows.sysmon_operational",
            winlog__channel="Microsoft-Windows-Sysmon/Operational",
            event__code="3",
            process__executable=cmd,
            process__parent__executable=r"C:\Program Files\w3wp.exe",
        ),
    ]
    detection = {
        "sel": {"Image|endswith": r"\cmd.exe", "ParentImage|endswith": r"\w3wp.exe"},
        "condition": "sel",
    }
    assert run(rule({"product": "windows", "category": "process_creation"}, detection), events) == [
        "a",
        "b",
    ]


def test_field_reference_between_an_ecs_field_and_event_data(run) -> None:
    """`Image` is mapped to `process.executable`, `OriginalFileName` stays event data: each side
    of the reference gets its own mapping (the prefix once skipped both, so nothing matched)."""
    sysmon = {"winlog__channel": "Microsoft-Windows-Sysmon/Operational", "event__code": "1"}
    events = [
        ev("a", "windows.sysmon_operational", **sysmon,
           process__executable=r"C:\Users\Public\cmd.exe",
           winlog__event_data__OriginalFileName="Cmd.Exe"),
        ev("b", "windows.sysmon_operational", **sysmon,
           process__executable=r"C:\Users\Public\svchost.exe",
           winlog__event_data__OriginalFileName="Cmd.Exe"),
    ]  # fmt: skip
    logsource = {"product": "windows", "category": "process_creation"}
    forward = {"sel": {"Image|fieldref|endswith": "OriginalFileName"}, "condition": "sel"}
    assert run(rule(logsource, forward), events) == ["a"]
    backward = {"sel": {"OriginalFileName|fieldref|neq": "Image"}, "condition": "sel"}
    assert run(rule(logsource, backward), []) == ["a", "b"]


def test_empty_command_line_is_not_a_missing_one(run) -> None:
    """4688 without command-line auditing writes `CommandLine` empty; Sigma's `''` and `null`
    are different values, through the parser's ECS fields as in the event data."""

    def security_4688(event_id: str, **data: str) -> Event:
        doc = windows_json.from_object({"winlog": {
            "channel": "Security", "event_id": 4688, "record_id": 7,
            "event_data": {"NewProcessName": r"C:\Windows\explorer.exe", **data}}})  # fmt: skip
        assert doc is not None
        doc["event"]["id"] = event_id
        return stamp(doc, dataset="windows.security")

    events = [security_4688("empty", CommandLine=""), security_4688("absent"),
              security_4688("given", CommandLine="explorer.exe /e")]  # fmt: skip
    logsource = {"product": "windows", "category": "process_creation"}
    empty = {"sel": {"CommandLine": ""}, "condition": "sel"}
    assert run(rule(logsource, empty), events) == ["empty"]
    null = {"sel": {"CommandLine": None}, "condition": "sel"}
    assert run(rule(logsource, null), []) == ["absent"]


def test_windows_process_creation_integrity_level_and_logon_id_from_4688(run) -> None:
    """Security 4688 has MandatoryLabel (a SID) and SubjectLogonId where Sysmon 1 has
    IntegrityLevel and LogonId: a rule naming both forms of a level matches both events, and its
    filter applies to both."""
    sysmon = {"winlog__channel": "Microsoft-Windows-Sysmon/Operational", "event__code": "1"}
    security = {"winlog__channel": "Security", "event__code": "4688"}
    cmd = r"C:\Windows\System32\cmd.exe"
    events = [
        ev("a", "windows.sysmon_operational", **sysmon, process__executable=cmd,
           winlog__event_data__IntegrityLevel="System", winlog__event_data__LogonId="0x3e7"),
        ev("b", "windows.security", **security, process__executable=cmd,
           winlog__event_data__MandatoryLabel="S-1-16-16384",
           winlog__event_data__SubjectLogonId="0x3e7"),
        ev("c", "windows.security", **security, process__executable=cmd,
           winlog__event_data__MandatoryLabel="S-1-16-8192",
           winlog__event_data__SubjectLogonId="0x3e7"),
        ev("d", "windows.security", **security, process__executable=cmd,
           winlog__event_data__MandatoryLabel="S-1-16-16384",
           winlog__event_data__SubjectLogonId="0x1f2a3"),
    ]  # fmt: skip
    detection = {
        "sel": {"Image|endswith": r"\cmd.exe", "IntegrityLevel": ["System", "S-1-16-16384"]},
        "filter": {"LogonId": "0x1f2a3"},
        "condition": "sel and not filter",
    }
    logsource = {"product": "windows", "category": "process_creation"}
    assert run(rule(logsource, detection), events) == ["a", "b"]


@pytest.mark.parametrize(
    ("filter_", "kept"),
    [
        ({"LogonId": None}, ["sysmon", "security"]),
        ({"LogonId|exists": False}, ["sysmon", "security"]),
        ({"LogonId": ["0x3e7", None]}, ["sysmon"]),
        ({"LogonId|exists": True}, ["none"]),
    ],
)
def test_windows_alternative_fields_are_absent_only_when_all_are(
    run, filter_: dict[str, Any], kept: list[str]
) -> None:
    """`LogonId` is Sysmon 1's LogonId or Security 4688's SubjectLogonId: `LogonId: null` holds
    when the event has neither (SigmaHQ's WmiPrvSE child rule filters that way), not whenever one
    of the two is missing, which every event is."""
    cmd = r"C:\Windows\System32\cmd.exe"
    events = [
        ev("sysmon", "windows.sysmon_operational", process__executable=cmd,
           winlog__channel="Microsoft-Windows-Sysmon/Operational", event__code="1",
           winlog__event_data__LogonId="0x413182"),
        ev("security", "windows.security", process__executable=cmd,
           winlog__channel="Security", event__code="4688",
           winlog__event_data__SubjectLogonId="0x3e7"),
        ev("none", "windows.sysmon_operational", process__executable=cmd,
           winlog__channel="Microsoft-Windows-Sysmon/Operational", event__code="1"),
    ]  # fmt: skip
    detection = {"sel": {"Image|endswith": r"\cmd.exe"}, "filter": filter_}
    detection["condition"] = "sel and not filter"
    logsource = {"product": "windows", "category": "process_creation"}
    assert sorted(run(rule(logsource, detection), events)) == sorted(kept)


def test_linux_sshd_keywords(run) -> None:
    events = [
        ev(
            "a",
            "system.auth",
            process__name="sshd",
            message="Failed password for invalid user admin from 203.0.113.7 port 4242 ssh2",
        ),
        ev("b", "system.auth", process__name="sudo", message="Failed password for admin"),
        ev("c", "syslog", process__name="sshd", message="Failed password for root"),
    ]
    detection = {"keywords": ["failed password for invalid user"], "condition": "keywords"}
    assert run(rule({"product": "linux", "service": "sshd"}, detection), events) == ["a"]


def test_webserver_w3c_fields(run) -> None:
    events = [
        ev(
            "a",
            "apache.access",
            url__original="/a.php?x=../../etc/passwd",
            http__request__method="GET",
            http__response__status_code=200,
        ),
        ev(
            "b",
            "apache.access",
            url__original="/a.php?x=../../etc/passwd",
            http__request__method="POST",
            http__response__status_code=200,
        ),
        ev(
            "c",
            "syslog",
            url__original="/a.php?x=../../etc/passwd",
            http__request__method="GET",
            http__response__status_code=200,
        ),
    ]
    detection = {
        "sel": {"c-uri|contains": "/etc/passwd", "cs-method": "GET", "sc-status": 200},
        "condition": "sel",
    }
    assert run(rule({"category": "webserver"}, detection), events) == ["a"]


def test_network_connections_cover_flows_and_firewall_traffic(run) -> None:
    events = [
        ev("a", "netflow.log", destination__port=445, source__ip="10.1.2.3"),
        ev("b", "fortinet.firewall", destination__port=445, source__ip="10.1.2.3"),
        ev("c", "netflow.log", destination__port=443, source__ip="10.1.2.3"),
        ev("d", "apache.access", destination__port=445, source__ip="10.1.2.3"),
    ]
    detection = {"sel": {"dst_port": 445, "src_ip|cidr": "10.0.0.0/8"}, "condition": "sel"}
    assert run(rule({"category": "network", "service": "connection"}, detection), events) == [
        "a",
        "b",
    ]


FORTIGATE_RULES = PIPELINES.parent / "sigmahq" / "rules" / "network" / "fortinet" / "fortigate"
USER_ADDED = (  # FortiOS "Object attribute configured" (logid 0100044547): a local user added
    'devname="FGT-HQ" devid="FG100E0000000001" logid="0100044547" type="event" '
    'subtype="system" level="information" vd="root" eventtime=1557771654587081441 '
    'logdesc="Object attribute configured" user="admin" ui="GUI(10.6.30.254)" action="Add" '
    'cfgtid=2162725 cfgpath="user.local" cfgobj="bob" msg="Add user.local bob"'
)
USER_ADDED_CEF = (  # the same, as a FortiGate set to `format cef` sends it
    "CEF:0|Fortinet|Fortigate|v7.0.12|44547|event:system|3|deviceExternalId=FG100E0000000001 "
    "FTNTFGTlogid=0100044547 cat=event:system FTNTFGTsubtype=system FTNTFGTlevel=information "
    "FTNTFGTvd=root FTNTFGTeventtime=1557771654587081441 "
    "FTNTFGTlogdesc=Object attribute configured duser=admin FTNTFGTui=GUI(10.6.30.254) act=Add "
    "FTNTFGTcfgtid=2162725 FTNTFGTcfgpath=user.local FTNTFGTcfgobj=bob msg=Add user.local bob"
)


def test_sigmahq_fortigate_rules_read_fortigate_keys(run) -> None:
    """SigmaHQ's FortiGate rules name FortiGate's own keys (`cfgpath`), which the parser keeps
    under fortinet.firewall: a user added, sent as key=value or in CEF, is found; a group
    change is not."""
    events = []
    for event_id, line in (
        ("kv", USER_ADDED),
        ("cef", USER_ADDED_CEF),
        ("group", USER_ADDED.replace("user.local", "user.group")),
    ):
        doc = parse_message(line)
        assert doc is not None and doc["event"]["dataset"] == "fortinet.firewall"
        doc["event"]["id"] = event_id
        events.append(stamp(doc, dataset="fortinet.firewall"))
    text = (FORTIGATE_RULES / "fortinet_fortigate_new_local_user_created.yml").read_text()
    assert run(text, events) == ["cef", "kv"]
