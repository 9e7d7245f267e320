"""Windows events as JSON (Winlogbeat and NXLog) to the fields Sigma's Windows rules read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collectors.parsers import windows_json
from collectors.parsers.windows_event import channel_slug
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def parse(name: str) -> dict:
    doc = windows_json.parse(sample(name))
    assert doc is not None
    return doc


def test_winlogbeat_sysmon_process_creation() -> None:
    doc = parse("winlogbeat_sysmon_1.json")
    assert doc["event"]["dataset"] == "windows.sysmon_operational"
    assert doc["event"]["module"] == "windows"
    assert doc["event"]["code"] == "1"
    assert doc["winlog"]["event_id"] == "1"
    assert doc["winlog"]["record_id"] == 40516
    assert doc["host"]["name"] == "ws-kt01.sotc.local"  # Winlogbeat's own host.name is kept
    assert doc["@timestamp"] == "2024-03-05T08:15:30.123Z"
    data = doc["winlog"]["event_data"]
    assert doc["process"] == {
        "executable": data["Image"],
        "name": "powershell.exe",
        "command_line": data["CommandLine"],
        "pid": 6420,
        "entity_id": data["ProcessGuid"],
        "working_directory": "C:\\Users\\tran.van.b\\",
        "parent": {
            "executable": "C:\\Windows\\System32\\cmd.exe",
            "name": "cmd.exe",
            "command_line": "cmd.exe /c C:\\Users\\tran.van.b\\Downloads\\hoso.bat",
            "pid": 5112,
            "entity_id": data["ParentProcessGuid"],
        },
        "hash": {
            "sha1": "6cbce4a295c163791b60fc23d285e6d84f28ee4c",
            "md5": "7353f60b1739074eb17c5f4dddefe239",
            "sha256": "de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c",
        },
        "pe": {
            "original_file_name": "PowerShell.EXE",
            "imphash": "741776aaccfc5b71ff59832dcdcace0f",
        },
    }
    assert doc["user"] == {"name": "tran.van.b", "domain": "SOTC"}


def test_winlogbeat_7_numeric_event_id_and_forged_fields() -> None:
    doc = parse("winlogbeat7_security_4625.json")
    assert doc["winlog"]["event_id"] == "4625"
    assert doc["event"]["code"] == "4625"
    assert doc["event"]["dataset"] == "windows.security"
    assert doc["event"]["outcome"] == "failure"  # the sender's ECS fields stay
    assert "id" not in doc["event"]  # ours to assign
    assert "organization" not in doc  # the agency is decided by our tagger, never the sender
    assert doc["host"]["name"] == "DC01.sotc.local"
    assert doc["winlog"]["event_data"]["IpAddress"] == "10.20.9.66"
    assert "process" not in doc


def test_nxlog_security_4688() -> None:
    doc = parse("nxlog_security_4688.json")
    assert doc["event"]["dataset"] == "windows.security"
    assert doc["event"]["code"] == "4688"
    assert doc["winlog"]["channel"] == "Security"
    assert doc["winlog"]["provider_name"] == "Microsoft-Windows-Security-Auditing"
    assert doc["winlog"]["computer_name"] == "DC01.sotc.local"
    assert doc["winlog"]["record_id"] == 192873
    assert doc["winlog"]["task"] == "Process Creation"
    assert doc["winlog"]["process"] == {"pid": 4, "thread": {"id": 7864}}
    assert doc["host"]["name"] == "DC01.sotc.local"
    assert doc["message"] == "A new process has been created."
    assert doc["log"]["level"] == "info"
    assert doc["@timestamp"] == "2024-03-05T15:20:11.000Z"  # a file's zoneless time: UTC
    data = doc["winlog"]["event_data"]
    assert data["NewProcessName"] == "C:\\Windows\\System32\\whoami.exe"
    assert data["TokenElevationType"] == "%%1936"
    for nxlog_only in ("EventReceivedTime", "SourceModuleName", "Keywords", "Task", "EventID"):
        assert nxlog_only not in data
    assert doc["process"] == {
        "executable": "C:\\Windows\\System32\\whoami.exe",
        "name": "whoami.exe",
        "command_line": "whoami /all",
        "pid": 0x1A2C,
        "parent": {
            "executable": "C:\\Windows\\System32\\cmd.exe",
            "name": "cmd.exe",
            "pid": 0x13F0,
        },
    }
    assert doc["user"] == {"name": "admin.tc", "domain": "SOTC"}


def test_nxlog_sysmon_keeps_system_and_event_data_process_ids_apart() -> None:
    doc = parse("nxlog_sysmon_1.json")
    assert doc["winlog"]["process"]["pid"] == 2840  # System/Execution ProcessID
    assert doc["winlog"]["event_data"]["ProcessId"] == "7712"  # EventData ProcessId
    assert doc["process"]["pid"] == 7712
    assert doc["process"]["parent"]["name"] == "WINWORD.EXE"
    assert doc["process"]["hash"] == {
        "md5": "ef3179d498793bf4234f708d3be28633",
        "sha256": "b53f3c0cd32d7f20849850768da6431e5f876b7bfa61db0aa0700b02873393fa",
    }
    assert doc["winlog"]["user"] == {
        "domain": "NT AUTHORITY",
        "name": "SYSTEM",
        "identifier": "S-1-5-18",
        "type": "User",
    }
    assert doc["user"] == {"name": "le.thi.c", "domain": "UBND"}
    assert doc["@timestamp"] == "2024-03-05T08:21:00.500Z"


def test_otrf_dataset_records_keep_their_own_time_and_lose_the_logstash_envelope() -> None:
    """OTRF's Security-Datasets (Mordor), what detection engineers replay: NXLog records that
    went through Logstash. The event happened at TimeCreated, not when it was read; Logstash's
    fields and the System's ExecutionProcessID and Level are not EventData."""
    doc = parse("otrf_sysmon_1.json")
    assert doc["@timestamp"] == "2024-06-11T02:14:05.318Z"
    assert doc["tags"] == ["mordorDataset"]
    assert doc["winlog"]["process"] == {"pid": 2904, "thread": {"id": 3716}}
    assert doc["winlog"]["level"] == "4"
    assert doc["host"]["name"] == "WS-SOTC-03.sotc.local"
    data = doc["winlog"]["event_data"]
    for envelope in ("@timestamp", "@version", "host", "port", "tags", "TimeCreated", "Level"):
        assert envelope not in data
    assert "ExecutionProcessID" not in data
    assert data["ProcessId"] == "4120"
    assert doc["process"]["pid"] == 4120
    assert doc["process"]["executable"] == "C:\\Windows\\System32\\whoami.exe"
    assert doc["user"] == {"name": "tran.van.b", "domain": "SOTC"}


def test_nxlog_powershell_script_block() -> None:
    doc = parse("nxlog_powershell_4104.json")
    assert doc["event"]["dataset"] == "windows.powershell_operational"
    assert doc["winlog"]["event_data"]["ScriptBlockText"].startswith("IEX (New-Object")
    assert "process" not in doc


def test_json_over_syslog_is_stored_as_the_windows_event() -> None:
    body = json.dumps(json.loads(sample("nxlog_security_4688.json")))
    raw = f"<14>Mar  5 08:20:12 DC01 MSWinEventLog[4]: {body}".encode()
    doc = to_ecs(
        parse_syslog(raw, received=datetime(2024, 3, 5, 9, tzinfo=UTC)), peer_ip="10.20.2.2"
    )
    assert doc["event"]["dataset"] == "windows.security"
    assert doc["process"]["name"] == "whoami.exe"  # not the forwarder's syslog tag
    assert doc["log"]["syslog"]["appname"] == "MSWinEventLog"
    assert doc["host"]["name"] == "DC01.sotc.local"
    assert doc["observer"]["ip"] == "10.20.2.2"


HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def over_syslog(record: dict, zone: ZoneInfo) -> dict:
    """`record` as NXLog CE sends it with `to_syslog_bsd()`: the header's clock is the host's."""
    raw = f"<14>Mar  5 15:20:11 DC01 MSWinEventLog[4]: {json.dumps(record)}".encode()
    received = datetime(2024, 3, 5, 8, 21, tzinfo=UTC)
    return to_ecs(parse_syslog(raw, received=received, zone=zone), peer_ip="10.20.2.2")


def test_nxlog_zoneless_time_over_syslog_is_read_in_the_listener_zone() -> None:
    """NXLog CE writes the host's local time with no zone; a province's hosts keep Vietnam's
    time, which the `timezone` setting says. Read as UTC, the event sat 7 h in the future."""
    record = json.loads(sample("nxlog_security_4688.json"))
    assert over_syslog(record, HANOI)["@timestamp"] == "2024-03-05T08:20:11.000Z"
    assert over_syslog(record, UTC)["@timestamp"] == "2024-03-05T15:20:11.000Z"
    doc = windows_json.parse(json.dumps(record), zone=HANOI)
    assert doc is not None
    assert doc["@timestamp"] == "2024-03-05T08:20:11.000Z"


def test_nxlog_sysmon_event_takes_its_utc_time_over_a_zoneless_one() -> None:
    """Sysmon's `UtcTime` is UTC whatever the `timezone` setting says (left at UTC here)."""
    record = json.loads(sample("nxlog_sysmon_1.json"))
    record["EventTime"] = "2024-03-05 15:21:00"
    assert over_syslog(record, UTC)["@timestamp"] == "2024-03-05T08:21:00.498Z"
    record["UtcTime"] = "not a time"  # then the host's clock in the configured zone
    assert over_syslog(record, HANOI)["@timestamp"] == "2024-03-05T08:21:00.000Z"


def test_nxlog_time_naming_its_zone_is_kept_whatever_the_setting() -> None:
    record = json.loads(sample("nxlog_sysmon_1.json"))  # EventTime ...+07:00
    record["UtcTime"] = "2024-03-05 08:00:00.000"  # not consulted: the event time names its zone
    assert over_syslog(record, ZoneInfo("Europe/Paris"))["@timestamp"] == "2024-03-05T08:21:00.500Z"


@pytest.mark.parametrize(
    ("channel", "slug"),
    [
        ("Microsoft-Windows-Sysmon/Operational", "sysmon_operational"),
        ("Security", "security"),
        ("Microsoft-Windows-PowerShell/Operational", "powershell_operational"),
        ("Windows PowerShell", "windows_powershell"),
        ("", "unknown"),
    ],
)
def test_channel_slug(channel: str, slug: str) -> None:
    assert channel_slug(channel) == slug


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{broken json",
        "[1, 2]",
        '{"some": "object"}',
        '{"EventID": 1}',  # neither channel nor provider: not a Windows event
        '{"winlog": "not an object"}',
    ],
)
def test_other_text_is_not_a_windows_event(text: str) -> None:
    assert windows_json.parse(text) is None


def test_hostile_shapes_do_not_break_the_parser() -> None:
    doc = windows_json.parse(
        '{"winlog": {"channel": 5, "event_id": 1, "event_data": {"Image": 3, "ProcessId": [1],'
        ' "User": null, "Hashes": {"a": 1}}}, "event": "x", "host": [], "@timestamp": "nope",'
        ' "process": "y"}'
    )
    assert doc is not None
    assert doc["event"]["code"] == "1"
    assert "@timestamp" not in doc
