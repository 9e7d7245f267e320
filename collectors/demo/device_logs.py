"""Log lines in the formats the devices really emit, byte for byte where it matters.

The syslog parsers are written against these real formats (OpenSSH's auth messages, FortiOS 7's
key=value traffic log, Apache's combined format, Winlogbeat's Sysmon documents), not against
the demo; so the demo must match the devices, and each builder cites what it imitates.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from collectors.demo.syslog_wire import LOCAL7_NOTICE, MONTHS, VIETNAM

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# -- OpenSSH (sshd, auth facility) ------------------------------------------------------------


def sshd_failed_password(user: str, ip: str, port: int, *, invalid_user: bool = False) -> str:
    who = f"invalid user {user}" if invalid_user else user
    return f"Failed password for {who} from {ip} port {port} ssh2"


def sshd_invalid_user(user: str, ip: str, port: int) -> str:
    return f"Invalid user {user} from {ip} port {port}"


def sshd_accepted(user: str, ip: str, port: int, *, key_fingerprint: str | None = None) -> str:
    if key_fingerprint:
        return (
            f"Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 {key_fingerprint}"
        )
    return f"Accepted password for {user} from {ip} port {port} ssh2"


# -- FortiGate (FortiOS 7 default syslog format: PRI then key=value, no syslog header) --------


@dataclass(frozen=True)
class TrafficLog:
    """One forward-traffic session log; `action` is what the policy did (deny, accept, close)."""

    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    action: str
    service: str
    proto: int = 6
    policy_id: int = 1
    sent_bytes: int = 0
    received_bytes: int = 0
    sent_packets: int = 0
    received_packets: int = 0
    duration: int = 0
    inbound: bool = False  # from the internet (wan1) towards the agency (internal)


def _fortigate_head(
    moment: datetime, devname: str, devid: str, logid: str, kind: str, subtype: str, level: str
) -> list[tuple[str, object]]:
    """The keys every FortiOS 7 log line opens with, in its order."""
    local = moment.astimezone(VIETNAM)
    return [
        ("date", f"{local:%Y-%m-%d}"),
        ("time", f"{local:%H:%M:%S}"),
        ("devname", f'"{devname}"'),
        ("devid", f'"{devid}"'),
        ("eventtime", (moment - _EPOCH) // timedelta(microseconds=1) * 1000),  # ns, exact
        ("tz", '"+0700"'),
        ("logid", f'"{logid}"'),
        ("type", f'"{kind}"'),
        ("subtype", f'"{subtype}"'),
        ("level", f'"{level}"'),
        ("vd", '"root"'),
    ]


def _fortigate_datagram(pairs: list[tuple[str, object]]) -> bytes:
    """The whole datagram: FortiGate puts its key=value line directly after the PRI."""
    line = " ".join(f"{key}={value}" for key, value in pairs)
    return f"<{LOCAL7_NOTICE}>{line}".encode()


def fortigate_traffic(
    log: TrafficLog, *, moment: datetime, devname: str, devid: str, session_id: int
) -> bytes:
    wan, lan = ("wan1", "wan"), ("internal", "lan")
    src_if, dst_if = (wan, lan) if log.inbound else (lan, wan)
    pairs = _fortigate_head(moment, devname, devid, "0000000013", "traffic", "forward", "notice")
    pairs += [
        ("srcip", log.src_ip),
        ("srcport", log.src_port),
        ("srcintf", f'"{src_if[0]}"'),
        ("srcintfrole", f'"{src_if[1]}"'),
        ("dstip", log.dst_ip),
        ("dstport", log.dst_port),
        ("dstintf", f'"{dst_if[0]}"'),
        ("dstintfrole", f'"{dst_if[1]}"'),
        ("srccountry", '"Reserved"' if not log.inbound else '"United States"'),
        ("dstcountry", '"Reserved"' if log.inbound else '"Vietnam"'),
        ("sessionid", session_id),
        ("proto", log.proto),
        ("action", f'"{log.action}"'),
        ("policyid", log.policy_id),
        ("policytype", '"policy"'),
        ("service", f'"{log.service}"'),
        ("trandisp", '"noop"' if log.inbound else '"snat"'),
        ("duration", log.duration),
        ("sentbyte", log.sent_bytes),
        ("rcvdbyte", log.received_bytes),
        ("sentpkt", log.sent_packets),
        ("rcvdpkt", log.received_packets),
        ("appcat", '"unscanned"'),
    ]
    if log.action == "deny":
        pairs += [("crscore", 30), ("craction", 131072), ("crlevel", '"high"')]
    return _fortigate_datagram(pairs)


def fortigate_sslvpn_login_fail(
    user: str, remote_ip: str, *, moment: datetime, devname: str, devid: str
) -> bytes:
    """FortiOS 7's event log for a refused SSL VPN web portal log-in (log id 0101039426,
    "SSL VPN login fail"), as its log reference shows it."""
    pairs = _fortigate_head(moment, devname, devid, "0101039426", "event", "vpn", "alert")
    pairs += [
        ("logdesc", '"SSL VPN login fail"'),
        ("action", '"ssl-login-fail"'),
        ("tunneltype", '"ssl-web"'),
        ("tunnelid", 0),
        ("remip", remote_ip),
        ("user", f'"{user}"'),
        ("group", '"N/A"'),
        ("dst_host", '"N/A"'),
        ("reason", '"sslvpn_login_permission_denied"'),
        ("msg", '"SSL user failed to logged in"'),
    ]
    return _fortigate_datagram(pairs)


# -- Apache httpd, combined format (forwarded by `logger -t apache2`) ------------------------


def apache_combined(
    *,
    client: str,
    moment: datetime,
    method: str,
    target: str,
    status: int,
    size: int,
    referrer: str = "-",
    user_agent: str,
) -> str:
    local = moment.astimezone(VIETNAM)
    when = f"{local.day:02d}/{MONTHS[local.month - 1]}/{local:%Y:%H:%M:%S} {local:%z}"
    body = str(size) if size else "-"
    return (
        f'{client} - - [{when}] "{method} {target} HTTP/1.1" {status} {body} '
        f'"{referrer}" "{user_agent}"'
    )


# -- Windows Sysmon event 1, as Winlogbeat 8 ships it ------------------------------------------


@dataclass(frozen=True)
class ProcessCreation:
    host: str  # computer name without the domain
    host_ip: str
    domain: str  # NetBIOS
    user: str
    image: str
    command_line: str
    parent_image: str
    parent_command_line: str
    pid: int
    parent_pid: int
    record_id: int


# Version resources of the executables the demo starts: (description, product, company,
# original file name), as Sysmon reads them from the binary.
_MICROSOFT = "Microsoft Corporation"
_WINDOWS = "Microsoft® Windows® Operating System"
_OFFICE = "Microsoft Office"
_VERSION_INFO = {
    "powershell.exe": ("Windows PowerShell", _WINDOWS, _MICROSOFT, "PowerShell.EXE"),
    "notepad.exe": ("Notepad", _WINDOWS, _MICROSOFT, "NOTEPAD.EXE"),
    "svchost.exe": ("Host Process for Windows Services", _WINDOWS, _MICROSOFT, "svchost.exe"),
    "explorer.exe": ("Windows Explorer", _WINDOWS, _MICROSOFT, "EXPLORER.EXE"),
    "winword.exe": ("Microsoft Word", _OFFICE, _MICROSOFT, "WinWord.exe"),
    "excel.exe": ("Microsoft Excel", _OFFICE, _MICROSOFT, "Excel.exe"),
    "chrome.exe": ("Google Chrome", "Google Chrome", "Google LLC", "chrome.exe"),
}


def powershell_encoded(script: str) -> str:
    """What `-EncodedCommand` takes: the script as UTF-16LE, base64."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def sysmon_process_creation(event: ProcessCreation, *, moment: datetime) -> str:
    """Winlogbeat's JSON for a Sysmon process creation, compact (one line)."""
    utc = moment.astimezone(UTC)
    fqdn = f"{event.host}.{event.domain.lower()}.danang.gov.vn"
    image_name = event.image.rsplit("\\", 1)[-1]
    description, product, company, original = _VERSION_INFO.get(
        image_name.lower(), (image_name, "", "", image_name)
    )
    guid = f"{{{uuid.UUID(int=event.record_id << 64 | event.pid)}}}"
    parent_guid = f"{{{uuid.UUID(int=event.record_id << 64 | event.parent_pid)}}}"
    document = {
        "@timestamp": utc.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "agent": {"type": "winlogbeat", "version": "8.15.3", "name": event.host},
        "ecs": {"version": "8.0.0"},
        "host": {
            "name": fqdn,
            "hostname": event.host,
            "ip": [event.host_ip],
            "os": {"family": "windows", "platform": "windows", "name": "Windows 10 Pro"},
        },
        "event": {
            "code": "1",
            "kind": "event",
            "provider": "Microsoft-Windows-Sysmon",
            "action": "Process Create (rule: ProcessCreate)",
            "created": utc.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        },
        "log": {"level": "information"},
        "message": f"Process Create:\nImage: {event.image}\nCommandLine: {event.command_line}",
        "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "event_id": "1",
            "provider_name": "Microsoft-Windows-Sysmon",
            "provider_guid": "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
            "computer_name": fqdn,
            "record_id": event.record_id,
            "version": 5,
            "opcode": "Info",
            "task": "Process Create (rule: ProcessCreate)",
            "process": {"pid": 3112, "thread": {"id": 4580}},
            "user": {
                "identifier": "S-1-5-18",
                "domain": "NT AUTHORITY",
                "name": "SYSTEM",
                "type": "User",
            },
            "event_data": {
                "RuleName": "-",
                "UtcTime": f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond // 1000:03d}",
                "ProcessGuid": guid,
                "ProcessId": str(event.pid),
                "Image": event.image,
                "FileVersion": "10.0.19041.3996 (WinBuild.160101.0800)",
                "Description": description,
                "Product": product,
                "Company": company,
                "OriginalFileName": original,
                "CommandLine": event.command_line,
                "CurrentDirectory": f"C:\\Users\\{event.user}\\",
                "User": f"{event.domain}\\{event.user}",
                "LogonGuid": parent_guid,
                "LogonId": f"0x{event.record_id & 0xFFFFF:x}",
                "TerminalSessionId": "1",
                "IntegrityLevel": "Medium",
                "Hashes": f"SHA256={hashlib.sha256(event.image.encode()).hexdigest().upper()}",
                "ParentProcessGuid": parent_guid,
                "ParentProcessId": str(event.parent_pid),
                "ParentImage": event.parent_image,
                "ParentCommandLine": event.parent_command_line,
                "ParentUser": f"{event.domain}\\{event.user}",
            },
        },
    }
    return orjson.dumps(document).decode()


def ios_login(user: str, ip: str, moment: datetime) -> str:
    local = moment.astimezone(VIETNAM)
    return (
        f"%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: {user}] [Source: {ip}] "
        f"[localport: 22] at {local:%H:%M:%S} ICT {local:%a %b %d %Y}"
    )


def ios_logged_command(user: str, command: str) -> str:
    """What `archive log config` with `notify syslog` writes for each configuration command."""
    return f"%PARSER-5-CFGLOG_LOGGEDCMD: User:{user}  logged command:{command}"


def ios_link(interface: str, up: bool) -> str:
    state = "up" if up else "down"
    return f"%LINEPROTO-5-UPDOWN: Line protocol on Interface {interface}, changed state to {state}"
