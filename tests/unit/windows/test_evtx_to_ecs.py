"""Real EVTX events mapped to ECS the way Winlogbeat maps them."""

from __future__ import annotations

from pathlib import Path

from shared_data import SHARED_DATA

from collectors.files import read_events
from soc.model.event import Event

SAMPLES = SHARED_DATA / "evtx" / "hayabusa-sample-evtx"
ATTACK = SAMPLES / "EVTX-to-MITRE-Attack"
LSASSY_SYSMON = ATTACK / "TA0006-Credential Access/T1003-Credential dumping"
DEFENDER = ATTACK / "Antivirus" / "ID1116-1117-Defender threat detected.evtx"
ENCODED_4688 = (
    ATTACK / "TA0002-Execution/T1059.001-PowerShell"
    / "ID4688-Encoded PowerShell MSF payload via process execution.evtx"
)  # fmt: skip


def event(path: Path, record_id: int) -> Event:
    return next(e for e in read_events([path]) if e["winlog"]["record_id"] == record_id)


def test_sysmon_process_creation() -> None:
    doc = event(LSASSY_SYSMON / "ID1-LSASS dump with LSASSY (SYSMON).evtx", 71668)
    assert doc["event"]["dataset"] == "windows.sysmon_operational"
    assert (doc["event"]["code"], doc["winlog"]["event_id"]) == ("1", "1")
    assert doc["winlog"]["channel"] == "Microsoft-Windows-Sysmon/Operational"
    assert doc["winlog"]["provider_name"] == "Microsoft-Windows-Sysmon"
    process = doc["process"]
    assert process["command_line"].startswith("powershell.exe -NoP -C ")
    assert "comsvcs.dll, MiniDump (Get-Process lsass)" in process["command_line"]
    assert process["executable"] == r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    assert process["name"] == "powershell.exe"
    assert process["parent"]["executable"] == r"C:\Windows\System32\wbem\WmiPrvSE.exe"
    assert (
        process["parent"]["command_line"]
        == r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding"
    )
    assert process["pe"] == {
        "original_file_name": "PowerShell.EXE",
        "imphash": "099b747a4a31983374e54912d4bb7c44",
    }
    assert process["hash"]["md5"] == "c031e215b8b08c752bf362f6d4c5d3ad"
    assert doc["user"] == {"name": "admmig", "domain": "OFFSEC"}
    assert doc["host"]["name"] == doc["winlog"]["computer_name"]
    assert doc["winlog"]["event_data"]["IntegrityLevel"] == "High"


def test_process_id_of_the_logger_never_mixes_with_the_event_data_process_id() -> None:
    """System/Execution/@ProcessID (Sysmon's own pid) and EventData/ProcessId (the new
    process) differ only in case; each keeps its own place."""
    doc = event(LSASSY_SYSMON / "ID1-LSASS dump with LSASSY (SYSMON).evtx", 71668)
    assert doc["winlog"]["process"] == {"pid": 1152, "thread": {"id": 1764}}
    assert doc["winlog"]["event_data"]["ProcessId"] == "2508"
    assert doc["process"]["pid"] == 2508
    assert "ProcessID" not in doc["winlog"]["event_data"]


def test_security_4688_fills_the_same_process_fields() -> None:
    doc = event(ENCODED_4688, 354578)
    assert doc["event"]["dataset"] == "windows.security"
    assert doc["process"]["executable"] == r"C:\Windows\System32\cmd.exe"
    assert doc["process"]["command_line"].startswith(r"C:\Windows\system32\cmd.exe /b /c start")
    assert doc["process"]["parent"] == {
        "executable": r"C:\Windows\System32\services.exe",
        "name": "services.exe",
        "pid": 568,
    }
    assert doc["process"]["pid"] == int(doc["winlog"]["event_data"]["NewProcessId"], 16)
    assert doc["event"]["outcome"] == "success"  # keywords: Audit Success


def test_defender_names_with_spaces_are_kept() -> None:
    doc = next(e for e in read_events([DEFENDER]) if e["winlog"]["event_id"] == "1116")
    data = doc["winlog"]["event_data"]
    assert data["Source Name"] == "Real-Time Protection"
    assert data["Threat Name"] == "HackTool:Win64/Mikatz!dha"
    assert data["Process Name"] == r"C:\Windows\explorer.exe"
    assert doc["event"]["dataset"] == "windows.windows_defender_operational"


def test_user_data_events_expose_their_fields_as_event_data() -> None:
    doc = next(read_events([SAMPLES / "DeepBlueCLI" / "disablestop-eventlog.evtx"]))
    assert doc["winlog"]["event_id"] == "104"
    assert doc["winlog"]["user_data"]["xml_name"] == "LogFileCleared"
    assert doc["winlog"]["event_data"] == {
        "SubjectUserName": "jwrig",
        "SubjectDomainName": "DESKTOP-JR78RLP",
        "Channel": "System",
        "BackupPath": "",
    }
    assert doc["winlog"]["channel"] == "System"


def test_unnamed_data_items_and_binary_fields() -> None:
    doc = event(SAMPLES / "DeepBlueCLI" / "disablestop-eventlog.evtx", 9254)
    assert doc["winlog"]["event_id"] == "7001"  # EventID with a Qualifiers attribute
    assert doc["winlog"]["event_data"]["Binary"] == "4E006C0061005300760063000000"
    assert doc["log"]["level"] == "error"
    assert doc["winlog"]["level"] == "2"
    classic = ATTACK / "TA0002-Execution/T1059.001-PowerShell"
    ps = next(
        e
        for e in read_events(
            [classic / "ID800-4103-Interactive PipeShell over named pipe (server and client).evtx"]
        )
        if e["winlog"]["channel"] == "Windows PowerShell"
    )
    assert {"param1", "param2", "param3"} <= set(ps["winlog"]["event_data"])
    assert "HostApplication=" in ps["winlog"]["event_data"]["param2"]


def test_failed_logon_names_account_and_source() -> None:
    path = ATTACK / "TA0001-Initial access/T1078-Valid accounts"
    path = path / "ID4625-failed login with denied access due to account restriction.evtx"
    doc = next(e for e in read_events([path]) if e["winlog"]["event_id"] == "4625")
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["category"] == ["authentication"]
    assert doc["source"] == {"ip": "10.23.23.9"}  # IpPort 0: no port
    assert "user" not in doc  # TargetUserName "-": Windows' "none"


def test_kerberos_failures_name_account_and_ipv4_source() -> None:
    """A domain controller writes the client as `::ffff:10.23.123.11`: source.ip is the IPv4
    address a member server's 4625 names, so both count as one source's failures."""
    path = ATTACK / "TA0006-Credential Access/T1110.xxx-Brut force"
    path = path / "ID4768-4771-Kerberos brutforce with non existing users.evtx"
    wrong_password = event(path, 232254715)
    assert wrong_password["winlog"]["event_data"]["Status"] == "0x18"
    assert wrong_password["winlog"]["event_data"]["IpAddress"] == "::ffff:10.23.123.11"
    assert wrong_password["source"] == {"ip": "10.23.123.11", "port": 47404}
    assert wrong_password["user"] == {
        "name": "admin-hacker",
        "id": "S-1-5-21-4230534742-2542757381-3142984815-1147",
    }
    assert wrong_password["event"]["outcome"] == "failure"
    assert wrong_password["event"]["category"] == ["authentication"]
    unknown_user = event(path, 232254709)  # 4768, Status 0x6: no such account
    assert unknown_user["user"] == {"name": "test1", "domain": "OFFSEC.LAN"}  # SID S-1-0-0
    assert unknown_user["source"]["ip"] == "10.23.123.11"
    assert unknown_user["event"]["outcome"] == "failure"
