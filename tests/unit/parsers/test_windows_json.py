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
    assert doc["user"] == {
        "name": "admin.tc",
        "domain": "SOTC",
        "id": "S-1-5-21-3623811015-3361044348-30300820-1013",
    }


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


# Derived ECS fields, checked against what Elastic's Winlogbeat modules derive from the same
# events (found by comparing with their golden files). Values are made up.
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def winlogbeat(channel: str, event_id: str, data: dict, **winlog: object) -> dict:
    doc = windows_json.from_object(
        {
            "@timestamp": "2024-05-02T09:12:44.5120034Z",
            "winlog": {
                "channel": channel,
                "event_id": event_id,
                "computer_name": "ws-17.corp.example",
                "event_data": data,
                **winlog,
            },
        }
    )
    assert doc is not None
    return doc


def test_sysmon_image_load_names_the_loaded_file_and_its_hashes() -> None:
    doc = winlogbeat(
        SYSMON,
        "7",
        {
            "ProcessGuid": "{0f1e2d3c-4b5a-6978-0a0b-000000000c00}",
            "ProcessId": "4412",
            "Image": "C:\\Users\\kim\\AppData\\Local\\Temp\\updater.exe",
            "ImageLoaded": "C:\\Users\\kim\\AppData\\Local\\Temp\\version.dll",
            "OriginalFileName": "version.dll",
            "Hashes": "SHA1=3F1A2B4C5D6E7F8091A2B3C4D5E6F708192A3B4C,"
            "MD5=0A1B2C3D4E5F60718293A4B5C6D7E8F9,IMPHASH=FEDCBA98765432100123456789ABCDEF",
            "Signed": "false",
        },
    )
    assert doc["process"]["executable"] == "C:\\Users\\kim\\AppData\\Local\\Temp\\updater.exe"
    assert doc["file"] == {
        "path": "C:\\Users\\kim\\AppData\\Local\\Temp\\version.dll",
        "name": "version.dll",
        "hash": {
            "sha1": "3f1a2b4c5d6e7f8091a2b3c4d5e6f708192a3b4c",
            "md5": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        },
        "pe": {"imphash": "fedcba98765432100123456789abcdef", "original_file_name": "version.dll"},
    }


def test_sysmon_file_delete_keeps_the_deleted_files_hashes() -> None:
    doc = winlogbeat(
        SYSMON,
        "23",
        {
            "Image": "C:\\Windows\\System32\\cmd.exe",
            "TargetFilename": "C:\\Users\\kim\\Downloads\\invoice.js",
            "Hashes": "SHA256=00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF",
        },
    )
    assert doc["file"]["hash"] == {
        "sha256": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    }


@pytest.mark.parametrize(
    ("event_id", "guid_name"), [("8", "SourceProcessGuid"), ("10", "SourceProcessGUID")]
)
def test_sysmon_remote_thread_and_process_access_act_as_the_source_process(
    event_id: str, guid_name: str
) -> None:
    doc = winlogbeat(
        SYSMON,
        event_id,
        {
            guid_name: "{0f1e2d3c-4b5a-6978-0a0b-000000000d00}",
            "SourceProcessId": "6120",
            "SourceImage": "C:\\ProgramData\\svc\\agent.exe",
            "TargetProcessId": "712",
            "TargetImage": "C:\\Windows\\system32\\lsass.exe",
            "GrantedAccess": "0x1010",
            "SourceUser": "CORP\\kim",
            "TargetUser": "NT AUTHORITY\\SYSTEM",
        },
    )
    assert doc["process"] == {
        "entity_id": "{0f1e2d3c-4b5a-6978-0a0b-000000000d00}",
        "executable": "C:\\ProgramData\\svc\\agent.exe",
        "name": "agent.exe",
        "pid": 6120,
    }
    assert doc["user"] == {"name": "kim", "domain": "CORP"}
    assert doc["winlog"]["event_data"]["TargetImage"] == "C:\\Windows\\system32\\lsass.exe"


def test_sysmon_network_connection_direction_and_host_names() -> None:
    doc = winlogbeat(
        SYSMON,
        "3",
        {
            "Image": "C:\\Windows\\System32\\rundll32.exe",
            "ProcessId": "3316",
            "User": "CORP\\kim",
            "Protocol": "tcp",
            "Initiated": "true",
            "SourceIp": "192.0.2.45",
            "SourceHostname": "ws-17.corp.example",
            "SourcePort": "50112",
            "DestinationIp": "203.0.113.80",
            "DestinationHostname": "-",
            "DestinationPort": "443",
        },
    )
    assert doc["source"] == {"ip": "192.0.2.45", "port": 50112, "domain": "ws-17.corp.example"}
    assert doc["destination"] == {"ip": "203.0.113.80", "port": 443}
    assert doc["network"] == {"transport": "tcp", "direction": "egress"}


def test_sysmon_dns_query_lists_the_resolved_addresses() -> None:
    doc = winlogbeat(
        SYSMON,
        "22",
        {
            "Image": "C:\\Windows\\System32\\rundll32.exe",
            "QueryName": "update.example.com",
            "QueryStatus": "0",
            "QueryResults": "type:  5 edge.example.net;::ffff:198.51.100.23;2001:db8::17;"
            "::ffff:198.51.100.23;",
        },
    )
    assert doc["dns"] == {
        "question": {"name": "update.example.com"},
        "resolved_ip": ["198.51.100.23", "2001:db8::17"],
    }


def test_sysmon_registry_value_set_splits_hive_key_and_value() -> None:
    doc = winlogbeat(
        SYSMON,
        "13",
        {
            "EventType": "SetValue",
            "Image": "C:\\Users\\kim\\AppData\\Roaming\\helper.exe",
            "TargetObject": "HKU\\S-1-5-21-1004\\Software\\Microsoft\\Windows\\CurrentVersion"
            "\\Run\\helper",
            "Details": "C:\\Users\\kim\\AppData\\Roaming\\helper.exe",
        },
    )
    assert doc["registry"] == {
        "path": "HKU\\S-1-5-21-1004\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\helper",
        "hive": "HKU",
        "key": "S-1-5-21-1004\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
        "value": "helper",
        "data": {"strings": ["C:\\Users\\kim\\AppData\\Roaming\\helper.exe"]},
    }


def test_sysmon_pipe_event_names_the_pipe() -> None:
    doc = winlogbeat(SYSMON, "17", {"PipeName": "\\msagent_4f", "Image": "C:\\x\\beacon.exe"})
    assert doc["file"] == {"name": "\\msagent_4f"}


SUBJECT = {
    "SubjectUserSid": "S-1-5-21-1111-2222-3333-500",
    "SubjectUserName": "adm.kim",
    "SubjectDomainName": "CORP",
    "SubjectLogonId": "0x3e2a1",
}


def test_security_special_logon_names_its_subject() -> None:
    doc = winlogbeat("Security", "4672", {**SUBJECT, "PrivilegeList": "SeDebugPrivilege"})
    assert doc["user"] == {"name": "adm.kim", "domain": "CORP", "id": "S-1-5-21-1111-2222-3333-500"}


def test_security_account_created_names_who_and_which_account() -> None:
    target = {
        "TargetUserName": "svc.backup2",
        "TargetDomainName": "CORP",
        "TargetSid": "S-1-5-21-1111-2222-3333-1207",
    }
    doc = winlogbeat("Security", "4720", {**SUBJECT, **target, "SamAccountName": "svc.backup2"})
    assert doc["user"] == {
        "name": "adm.kim",
        "domain": "CORP",
        "id": "S-1-5-21-1111-2222-3333-500",
        "target": {"name": "svc.backup2", "domain": "CORP", "id": "S-1-5-21-1111-2222-3333-1207"},
    }


def test_security_group_member_added_names_the_group() -> None:
    doc = winlogbeat(
        "Security",
        "4732",
        {
            **SUBJECT,
            "MemberName": "-",
            "MemberSid": "S-1-5-21-1111-2222-3333-1207",
            "TargetUserName": "Administrators",
            "TargetDomainName": "Builtin",
            "TargetSid": "S-1-5-32-544",
        },
    )
    assert doc["group"] == {"name": "Administrators", "domain": "Builtin", "id": "S-1-5-32-544"}
    assert doc["user"]["name"] == "adm.kim"


def test_security_share_access_names_the_client_and_its_account() -> None:
    doc = winlogbeat(
        "Security",
        "5140",
        {
            **SUBJECT,
            "ObjectType": "File",
            "IpAddress": "192.0.2.61",
            "IpPort": "49811",
            "ShareName": "\\\\*\\ADMIN$",
        },
    )
    assert doc["source"] == {"ip": "192.0.2.61", "port": 49811}
    assert doc["user"]["name"] == "adm.kim"


def test_security_log_cleared_names_who_cleared_it() -> None:
    doc = windows_json.from_object(
        {
            "winlog": {
                "channel": "Security",
                "event_id": 1102,
                "user_data": {
                    "xml_name": "LogFileCleared",
                    "SubjectUserSid": "S-1-5-21-1111-2222-3333-500",
                    "SubjectUserName": "adm.kim",
                    "SubjectDomainName": "CORP",
                    "SubjectLogonId": "0x3e2a1",
                },
            }
        }
    )
    assert doc is not None
    assert doc["user"]["name"] == "adm.kim"


def test_security_kerberos_service_ticket_names_the_account_without_its_realm() -> None:
    doc = winlogbeat(
        "Security",
        "4769",
        {
            "TargetUserName": "kim@CORP.EXAMPLE",
            "TargetDomainName": "CORP.EXAMPLE",
            "ServiceName": "FS01$",
            "IpAddress": "::ffff:192.0.2.61",
            "IpPort": "50233",
            "Status": "0x0",
        },
    )
    assert doc["user"] == {"name": "kim", "domain": "CORP.EXAMPLE"}
    assert doc["source"] == {"ip": "192.0.2.61", "port": 50233}
    failed = winlogbeat("Security", "4625", {"TargetUserName": "kim@corp.example"})
    assert failed["user"] == {"name": "kim", "domain": "corp.example"}


def test_security_credential_validation_names_the_workstation() -> None:
    doc = winlogbeat(
        "Security",
        "4776",
        {
            "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
            "TargetUserName": "kim",
            "Workstation": "WS-17",
            "Status": "0x0",
        },
    )
    assert doc["user"] == {"name": "kim"}
    assert doc["source"] == {"domain": "WS-17"}


# NXLog's keyword masks (signed 64-bit) of an audit success and of an audit failure.
AUDIT_SUCCESS_MASK, AUDIT_FAILURE_MASK = -9214364837600034816, -9218868437227405312


def nxlog_security(event_id: int, data: dict, event_type: str, **envelope: object) -> dict:
    """A domain controller's event as NXLog CE's `to_json()` writes it (`envelope`: other
    system fields, or None to leave one out)."""
    mask = AUDIT_SUCCESS_MASK if event_type == "AUDIT_SUCCESS" else AUDIT_FAILURE_MASK
    record = {
        "EventTime": "2026-11-20 08:00:00",
        "Hostname": "DC01.soyte.local",
        "Keywords": mask,
        "EventType": event_type,
        "EventID": event_id,
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Channel": "Security",
        **data,
        **envelope,
    }
    doc = windows_json.parse(json.dumps({k: v for k, v in record.items() if v is not None}))
    assert doc is not None
    return doc


@pytest.mark.parametrize(
    ("event_id", "data", "outcome"),
    [
        (4776, {"TargetUserName": "kim", "Workstation": "KALI", "Status": "0xc000006a"}, "failure"),
        (4776, {"TargetUserName": "kim", "Workstation": "WS-17", "Status": "0x0"}, "success"),
        (4768, {"TargetUserName": "nobody", "Status": "0x6", "PreAuthType": "-"}, "failure"),
        (4768, {"TargetUserName": "kim", "Status": "0x0", "PreAuthType": "2"}, "success"),
        (4769, {"TargetUserName": "kim@SOYTE.LOCAL", "Status": "0x1B"}, "failure"),
    ],
)
def test_nxlog_ntlm_and_kerberos_outcome_is_their_status(
    event_id: int, data: dict, outcome: str
) -> None:
    """Both outcomes share one event id; NXLog's record keeps only `Status` to tell them."""
    kind = "AUDIT_SUCCESS" if outcome == "success" else "AUDIT_FAILURE"
    doc = nxlog_security(event_id, data, kind)
    assert doc["event"]["outcome"] == outcome
    assert doc["event"]["category"] == ["authentication"]


@pytest.mark.parametrize(
    ("envelope", "outcome"),
    [
        ({}, "failure"),  # the mask as a number, as NXLog writes it
        ({"Keywords": str(AUDIT_FAILURE_MASK)}, "failure"),  # or its text, through some relays
        ({"Keywords": None}, "failure"),  # no mask: the EventType says it
        ({"Keywords": AUDIT_SUCCESS_MASK, "EventType": "AUDIT_SUCCESS"}, "success"),
    ],
)
def test_nxlog_keyword_mask_says_an_audit_failure_as_winlogbeat_names_it(
    envelope: dict, outcome: str
) -> None:
    """4656 (a handle to an object requested) is logged both ways: denied access is an audit
    failure, which only the record's keywords tell."""
    data = {"ObjectServer": "Security", "ObjectType": "File", "ObjectName": r"C:\Luong\bang.xlsx"}
    doc = nxlog_security(4656, data, "AUDIT_FAILURE", **envelope)
    assert doc["event"]["outcome"] == outcome
    assert doc["winlog"]["keywords"] == ["Audit " + outcome.capitalize()]
    assert "Keywords" not in doc["winlog"]["event_data"]


def test_nxlog_kerberos_pre_authentication_failure_names_the_client_by_its_ipv4() -> None:
    """`::ffff:203.0.113.5` is the plain IPv4 address that a 4625 or a firewall names."""
    data = {
        "TargetUserName": "nguyen.van.a",
        "TargetSid": "S-1-5-21-1111-2222-3333-1104",
        "ServiceName": "krbtgt/SOYTE.LOCAL",
        "TicketOptions": "0x40810010",
        "Status": "0x18",
        "PreAuthType": "2",
        "IpAddress": "::ffff:203.0.113.5",
        "IpPort": "51234",
    }
    doc = nxlog_security(4771, data, "AUDIT_FAILURE")
    assert doc["source"] == {"ip": "203.0.113.5", "port": 51234}
    assert doc["user"] == {"name": "nguyen.van.a", "id": "S-1-5-21-1111-2222-3333-1104"}
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["category"] == ["authentication"]
    assert doc["winlog"]["event_data"]["IpAddress"] == "::ffff:203.0.113.5"  # what Sigma reads


def test_security_account_locked_out_names_the_account_and_the_caller_computer() -> None:
    """4740's TargetDomainName is the Caller Computer Name, where the failed log-ons came
    from; the account's domain is not in the event."""
    data = {
        **SUBJECT,
        "SubjectUserName": "DC01$",
        "SubjectUserSid": "S-1-5-18",
        "TargetUserName": "nguyen.van.a",
        "TargetDomainName": "RDS01",
        "TargetSid": "S-1-5-21-1111-2222-3333-1104",
    }
    doc = winlogbeat("Security", "4740", data)
    assert doc["user"]["name"] == "DC01$"  # the subject that locked it, as Winlogbeat has it
    assert doc["user"]["target"] == {"name": "nguyen.van.a", "id": "S-1-5-21-1111-2222-3333-1104"}
    assert doc["source"] == {"domain": "RDS01"}
    assert (doc["event"]["category"], doc["event"]["type"]) == (["iam"], ["user", "change"])
    assert "source" not in winlogbeat("Security", "4740", {**data, "TargetDomainName": ""})


def test_powershell_classic_pipeline_event_names_host_program_user_and_script() -> None:
    context = (
        "\tDetailSequence=1\n\tDetailTotal=1\n\n\tSequenceNumber=52\n\n\tUserId=CORP\\kim\n"
        "\tHostName=ConsoleHost\n\tHostVersion=5.1.19041.1\n"
        "\tHostApplication=powershell.exe -nop -w hidden -c IEX(New-Object Net.WebClient)\n"
        "\tEngineVersion=5.1.19041.1\n\tPipelineId=3\n"
        "\tScriptName=C:\\Users\\kim\\Downloads\\setup.ps1\n\tCommandLine=Get-Date"
    )
    doc = winlogbeat(
        "Windows PowerShell",
        "800",
        {
            "param1": "Get-Date",
            "param2": context,
            "param3": 'CommandInvocation(Get-Date): "Get-Date"',
        },
    )
    assert doc["process"] == {
        "command_line": "powershell.exe -nop -w hidden -c IEX(New-Object Net.WebClient)"
    }
    assert doc["user"] == {"name": "kim", "domain": "CORP"}
    assert doc["file"] == {"path": "C:\\Users\\kim\\Downloads\\setup.ps1", "name": "setup.ps1"}
    assert doc["winlog"]["event_data"]["param2"] == context  # what Sigma's `Data` rules read


@pytest.mark.parametrize(
    "channel", ["Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"]
)
def test_powershell_module_logging_context_info(channel: str) -> None:
    context = (
        "        Severity = Informational\r\n        Host Name = ConsoleHost\r\n"
        "        Host Application = C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
        " -enc SQBFAFgA\r\n        Engine Version = 5.1.19041.1\r\n"
        "        Script Name = \r\n        User = CORP\\kim\r\n        Connected User = \r\n"
    )
    doc = winlogbeat(
        channel,
        "4103",
        {"ContextInfo": context, "UserData": "", "Payload": "CommandInvocation(Get-Date)"},
    )
    assert doc["process"]["command_line"] == (
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -enc SQBFAFgA"
    )
    assert doc["user"] == {"name": "kim", "domain": "CORP"}
    assert "file" not in doc


def test_security_logon_names_the_process_that_asked_for_it() -> None:
    doc = winlogbeat(
        "Security",
        "4625",
        {
            "SubjectUserSid": "S-1-5-18",
            "SubjectUserName": "WS-17$",
            "SubjectDomainName": "CORP",
            "TargetUserSid": "S-1-0-0",
            "TargetUserName": "administrator",
            "TargetDomainName": "CORP",
            "LogonType": "2",
            "ProcessId": "0x2f4",
            "ProcessName": "C:\\Windows\\System32\\svchost.exe",
            "IpAddress": "127.0.0.1",
            "IpPort": "0",
        },
        keywords=["Audit Failure"],
    )
    assert doc["user"] == {"name": "administrator", "domain": "CORP"}  # S-1-0-0: no SID
    assert doc["process"] == {
        "executable": "C:\\Windows\\System32\\svchost.exe",
        "name": "svchost.exe",
        "pid": 0x2F4,
    }
    assert doc["event"]["outcome"] == "failure"

    network_logon = {"TargetUserName": "kim", "ProcessId": "0x0", "ProcessName": "-"}
    assert "process" not in winlogbeat("Security", "4624", network_logon)


@pytest.mark.parametrize(
    ("channel", "event_id", "category", "types"),
    [
        (SYSMON, "1", ["process"], ["start"]),
        (SYSMON, "3", ["network"], ["connection", "start"]),
        (SYSMON, "13", ["configuration", "registry"], ["change"]),
        (SYSMON, "23", ["file"], ["deletion"]),
        ("Security", "4688", ["process"], ["start"]),
        ("Security", "4720", ["iam"], ["user", "creation"]),
        ("Security", "4738", ["iam"], ["user", "change"]),
        ("Security", "4733", ["iam"], ["group", "change"]),
        ("Security", "4730", ["iam"], ["group", "deletion"]),
    ],
)
def test_event_category_and_type(
    channel: str, event_id: str, category: list[str], types: list[str]
) -> None:
    event = winlogbeat(channel, event_id, {**SUBJECT, "TargetUserName": "x"})["event"]
    assert (event["category"], event["type"]) == (category, types)
