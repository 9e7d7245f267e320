"""An agency's devices as senders: each turns a log line into what it would put on the wire.

A Linux server forwards with rsyslog (RFC 5424 over TCP, or RFC 3164 over UDP, per site), the
FortiGate sends its bare key=value datagrams over UDP, the Cisco router its IOS messages over
UDP (and its flows as NetFlow), Apache lines go through `logger` as RFC
3164, and Windows events travel as Winlogbeat JSON inside RFC 5424 over TCP, octet-counted.
Every message leaves from the device's own loopback address (see `agencies`).
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from collectors.demo import device_logs, syslog_wire
from collectors.demo.agencies import FIREWALL, ROUTER, SSH, WEB, WINDOWS, DemoSite
from collectors.demo.device_logs import ProcessCreation, TrafficLog
from collectors.demo.flow_export import Flow


@dataclass(frozen=True)
class SyslogOut:
    """One syslog message: a whole datagram (udp) or one framed message (tcp)."""

    sender: str
    transport: Literal["udp", "tcp"]
    data: bytes
    scenario: str


@dataclass(frozen=True)
class FlowsOut:
    """Flows one router exports now."""

    sender: str
    flows: tuple[Flow, ...]
    scenario: str


Outgoing = SyslogOut | FlowsOut
_IOS_SEVERITY = re.compile(r"%[A-Z0-9_-]+?-([0-7])-")


class SiteDevices:
    def __init__(self, site: DemoSite, rng: random.Random) -> None:
        self.site = site
        self._rng = rng
        self._session_ids = itertools.count(rng.randrange(1_000_000, 9_000_000))
        self._record_ids = itertools.count(rng.randrange(100_000, 900_000))
        self._router_sequence = itertools.count(rng.randrange(1_000, 90_000))

    @property
    def ssh_hostname(self) -> str:
        return f"srv-{self.site.code}-01"

    @property
    def web_hostname(self) -> str:
        return f"web-{self.site.code}"

    @property
    def router_hostname(self) -> str:
        return f"rt-{self.site.code}"

    def router(self) -> str:
        return self.site.sender(ROUTER)

    def router_log(self, message: str, *, moment: datetime, scenario: str) -> SyslogOut:
        """A Cisco IOS `%FACILITY-SEVERITY-MNEMONIC: text` message, at its severity in local7."""
        tag = _IOS_SEVERITY.match(message)
        severity = int(tag.group(1)) if tag else 6
        data = syslog_wire.cisco_ios(
            priority=syslog_wire.LOCAL7 + severity,
            sequence=next(self._router_sequence),
            hostname=self.router_hostname,
            moment=moment,
            message=message,
        )
        return SyslogOut(self.router(), "udp", data, scenario)

    def sshd(self, line: str, *, moment: datetime, pid: int, scenario: str) -> SyslogOut:
        sender = self.site.sender(SSH)
        if self.site.rfc5424_over_tcp:
            message = syslog_wire.rfc5424(
                priority=syslog_wire.AUTH_INFO,
                moment=moment,
                hostname=self.ssh_hostname,
                app_name="sshd",
                procid=pid,
                message=line,
            )
            return SyslogOut(sender, "tcp", syslog_wire.line_framed(message), scenario)
        message = syslog_wire.rfc3164(
            priority=syslog_wire.AUTH_INFO,
            moment=moment,
            hostname=self.ssh_hostname,
            tag="sshd",
            pid=pid,
            message=line,
        )
        return SyslogOut(sender, "udp", message, scenario)

    def firewall(self, log: TrafficLog, *, moment: datetime, scenario: str) -> SyslogOut:
        data = device_logs.fortigate_traffic(
            log,
            moment=moment,
            devname=self.site.firewall_name,
            devid=self.site.firewall_serial,
            session_id=next(self._session_ids),
        )
        return SyslogOut(self.site.sender(FIREWALL), "udp", data, scenario)

    def vpn_login_failure(
        self, user: str, remote_ip: str, *, moment: datetime, scenario: str
    ) -> SyslogOut:
        data = device_logs.fortigate_sslvpn_login_fail(
            user,
            remote_ip,
            moment=moment,
            devname=self.site.firewall_name,
            devid=self.site.firewall_serial,
        )
        return SyslogOut(self.site.sender(FIREWALL), "udp", data, scenario)

    def web(self, line: str, *, moment: datetime, scenario: str) -> SyslogOut:
        message = syslog_wire.rfc3164(
            priority=syslog_wire.LOCAL6_INFO,
            moment=moment,
            hostname=self.web_hostname,
            tag="apache2",
            pid=None,
            message=line,
        )
        return SyslogOut(self.site.sender(WEB), "udp", message, scenario)

    def process_creation(
        self,
        *,
        workstation: int,
        user: str,
        image: str,
        command_line: str,
        parent_image: str,
        parent_command_line: str,
        moment: datetime,
        scenario: str,
    ) -> SyslogOut:
        host = f"PC-{self.site.code.upper()}-{workstation:02d}"
        event = ProcessCreation(
            host=host,
            host_ip=self.site.address(5, workstation),
            domain=self.site.domain,
            user=user,
            image=image,
            command_line=command_line,
            parent_image=parent_image,
            parent_command_line=parent_command_line,
            pid=self._rng.randrange(1000, 20000, 4),
            parent_pid=self._rng.randrange(1000, 20000, 4),
            record_id=next(self._record_ids),
        )
        message = syslog_wire.rfc5424(
            priority=syslog_wire.USER_INFO,
            moment=moment,
            hostname=host,
            app_name="winlogbeat",
            procid=None,
            message=device_logs.sysmon_process_creation(event, moment=moment),
        )
        # The site's event collector forwards for every workstation, over one connection.
        sender = self.site.sender(WINDOWS)
        return SyslogOut(sender, "tcp", syslog_wire.octet_counted(message), scenario)
