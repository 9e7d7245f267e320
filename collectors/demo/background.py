"""Normal traffic of an agency: what analysts see all day and the rules must stay quiet on.

Kept below every detection threshold on purpose: a staff member's mistyped SSH password is a
single failure from an internal host, the FortiGate's occasional inbound deny hits one port,
no web request carries a shell name or a command parameter, and PowerShell runs scripts by
path, never encoded or hidden.
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime, timedelta

from collectors.demo import device_logs
from collectors.demo.device_logs import TrafficLog
from collectors.demo.devices import FlowsOut, Outgoing, SiteDevices
from collectors.demo.flow_export import Flow

SCENARIO = "background"
STAFF = ("nguyenvana", "tranthibich", "lequanghuy", "phamminhduc", "hoangthuytrang", "vothanhson")
ADMINS = ("quantri", "deploy", "ansible")
# (address, port, protocol, FortiGate service) of services agency staff use every day.
INTERNET = (
    ("142.250.204.78", 443, 6, "HTTPS"),
    ("157.240.199.35", 443, 6, "HTTPS"),
    ("203.162.4.191", 443, 6, "HTTPS"),
    ("14.225.0.20", 80, 6, "HTTP"),
    ("20.190.151.7", 443, 6, "HTTPS"),
    ("8.8.8.8", 53, 17, "DNS"),
    ("1.1.1.1", 53, 17, "DNS"),
)
VIETNAM_CLIENTS = ("14.160", "113.161", "171.224", "27.72", "42.112")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)
# (method, target, status, bytes) on an agency portal.
PORTAL = (
    ("GET", "/", 200, 18_432),
    ("GET", "/tin-tuc/thong-bao-lich-tiep-cong-dan.html", 200, 24_310),
    ("GET", "/van-ban/quyet-dinh-so-1234-qd-ubnd.pdf", 200, 482_113),
    ("GET", "/dich-vu-cong/tra-cuu-ho-so?ma=DN-2026-004512", 200, 9_871),
    ("GET", "/static/css/main.css", 304, 0),
    ("GET", "/static/js/app.js", 200, 88_204),
    ("GET", "/favicon.ico", 404, 196),
    ("POST", "/dang-nhap", 302, 0),
)
WINDOWS_APPS = (
    (
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --profile-directory=Default',
        r"C:\Windows\explorer.exe",
        r"C:\Windows\Explorer.EXE",
    ),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n '
        '"C:\\Users\\Public\\Documents\\BaoCao_Thang11.docx"',
        r"C:\Windows\explorer.exe",
        r"C:\Windows\Explorer.EXE",
    ),
    (
        r"C:\Windows\System32\notepad.exe",
        '"C:\\Windows\\System32\\notepad.exe" C:\\Users\\Public\\Documents\\ghichu.txt',
        r"C:\Windows\explorer.exe",
        r"C:\Windows\Explorer.EXE",
    ),
    (
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        r"C:\Windows\System32\services.exe",
        r"C:\Windows\system32\services.exe",
    ),
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r"powershell.exe -ExecutionPolicy RemoteSigned -File C:\Scripts\SaoLuuDuLieu.ps1",
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
    ),
)
KINDS = ("ssh", "firewall", "web", "windows", "router")
WEIGHTS = (15, 40, 30, 15, 4)


def background(
    devices: SiteDevices, rng: random.Random, *, now: datetime, messages: int
) -> list[Outgoing]:
    """About `messages` syslog messages from the site's devices, plus its router's flows."""
    out: list[Outgoing] = []
    for kind in rng.choices(KINDS, WEIGHTS, k=messages):
        moment = now - timedelta(seconds=rng.uniform(0, 1))
        if kind == "ssh":
            out += _ssh(devices, rng, moment)
        elif kind == "firewall":
            out.append(devices.firewall(_firewall(devices, rng), moment=moment, scenario=SCENARIO))
        elif kind == "web":
            out.append(devices.web(_web(devices, rng, moment), moment=moment, scenario=SCENARIO))
        elif kind == "router":
            out.append(devices.router_log(_router(devices, rng, moment), moment=moment,
                                          scenario=SCENARIO))  # fmt: skip
        else:
            image, command_line, parent, parent_command_line = rng.choice(WINDOWS_APPS)
            out.append(
                devices.process_creation(
                    workstation=rng.randrange(1, 40),
                    user=rng.choice(STAFF),
                    image=image,
                    command_line=command_line,
                    parent_image=parent,
                    parent_command_line=parent_command_line,
                    moment=moment,
                    scenario=SCENARIO,
                )
            )
    out.append(FlowsOut(devices.router(), _flows(devices, rng), SCENARIO))
    return out


def _router(devices: SiteDevices, rng: random.Random, moment: datetime) -> str:
    """A link flapping, or an admin logging in from the agency's management network."""
    if rng.random() < 0.7:
        interface = f"GigabitEthernet0/{rng.randrange(0, 4)}"
        return device_logs.ios_link(interface, up=rng.random() < 0.5)
    admin = devices.site.address(1, rng.randrange(10, 20))
    return device_logs.ios_login(rng.choice(ADMINS), admin, moment)


def _ssh(devices: SiteDevices, rng: random.Random, moment: datetime) -> list[Outgoing]:
    site = devices.site
    port, pid = rng.randrange(32768, 61000), rng.randrange(2000, 60000)
    if rng.random() < 0.1:  # a mistyped password, then the right one, from the user's own PC
        user, client = rng.choice(STAFF), site.address(5, rng.randrange(10, 200))
        failed = device_logs.sshd_failed_password(user, client, port)
        accepted = device_logs.sshd_accepted(user, client, port)
        earlier = moment - timedelta(seconds=3)
        return [
            devices.sshd(failed, moment=earlier, pid=pid, scenario=SCENARIO),
            devices.sshd(accepted, moment=moment, pid=pid, scenario=SCENARIO),
        ]
    admin, client = rng.choice(ADMINS), site.address(2, rng.randrange(5, 10))
    digest = hashlib.sha256(f"{site.agency.id}/{admin}".encode()).digest()
    fingerprint = "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
    line = device_logs.sshd_accepted(admin, client, port, key_fingerprint=fingerprint)
    return [devices.sshd(line, moment=moment, pid=pid, scenario=SCENARIO)]


def _firewall(devices: SiteDevices, rng: random.Random) -> TrafficLog:
    site = devices.site
    roll = rng.random()
    if roll < 0.03:  # the internet's background noise: one probe, one port
        return TrafficLog(
            src_ip=_vietnam_client(rng),
            src_port=rng.randrange(1024, 65535),
            dst_ip=site.address(1, rng.randrange(10, 30)),
            dst_port=rng.choice((23, 445, 3389)),
            action="deny",
            service=rng.choice(("TELNET", "SMB", "RDP")),
            policy_id=0,
            inbound=True,
        )
    packets = rng.randrange(4, 400)
    if roll < 0.25:  # citizens reaching the agency portal
        return TrafficLog(
            src_ip=_vietnam_client(rng),
            src_port=rng.randrange(1024, 65535),
            dst_ip=site.web_server,
            dst_port=443,
            action="close",
            service="HTTPS",
            policy_id=10,
            sent_bytes=packets * 120,
            received_bytes=packets * 1100,
            sent_packets=packets,
            received_packets=packets + 2,
            duration=rng.randrange(1, 60),
            inbound=True,
        )
    dst, dst_port, proto, service = rng.choice(INTERNET)
    return TrafficLog(
        src_ip=site.address(5, rng.randrange(10, 200)),
        src_port=rng.randrange(49152, 65535),
        dst_ip=dst,
        dst_port=dst_port,
        proto=proto,
        action=rng.choice(("close", "close", "accept")),
        service=service,
        policy_id=rng.randrange(1, 5),
        sent_bytes=packets * 150,
        received_bytes=packets * 900,
        sent_packets=packets,
        received_packets=packets,
        duration=rng.randrange(1, 120),
    )


def _web(devices: SiteDevices, rng: random.Random, moment: datetime) -> str:
    method, target, status, size = rng.choice(PORTAL)
    client = (
        _vietnam_client(rng)
        if rng.random() < 0.6
        else devices.site.address(5, rng.randrange(10, 200))
    )
    return device_logs.apache_combined(
        client=client,
        moment=moment,
        method=method,
        target=target,
        status=status,
        size=size,
        referrer="https://www.google.com/" if rng.random() < 0.3 else "-",
        user_agent=rng.choice(USER_AGENTS),
    )


def _flows(devices: SiteDevices, rng: random.Random) -> tuple[Flow, ...]:
    site = devices.site
    flows = []
    for _ in range(rng.randrange(5, 13)):
        dst, dst_port, proto, _service = rng.choice(INTERNET)
        packets = rng.randrange(1, 500) if proto == 6 else rng.randrange(1, 4)
        started = rng.randrange(1_000, 60_000)
        flows.append(
            Flow(
                src=site.address(5, rng.randrange(10, 200)),
                dst=dst,
                src_port=rng.randrange(49152, 65535),
                dst_port=dst_port,
                protocol=proto,
                packets=packets,
                octets=packets * rng.randrange(60, 1400),
                started_ms_ago=started,
                ended_ms_ago=rng.randrange(0, min(started, 1_000)),
                tcp_flags=0x1B if proto == 6 else 0,
            )
        )
    return tuple(flows)


def _vietnam_client(rng: random.Random) -> str:
    return f"{rng.choice(VIETNAM_CLIENTS)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
