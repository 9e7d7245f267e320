"""The simulated agencies of Đà Nẵng and the devices the demo pretends they run.

Each agency owns a 10.x.0.0/16 (the addresses inside the logs) and, because every demo packet
travels over loopback, the matching 127.x.0.0/16: its devices send from 127.x.0.y, so the
syslog sender address (`observer.ip`) lands the event in the right agency exactly as a real
agency server's address would. Linux routes all of 127.0.0.0/8 to the loopback interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from soc.model.agency import Agency


@dataclass(frozen=True)
class DemoSite:
    """One agency's network as the generator uses it: addresses, host and device names."""

    agency: Agency
    octet: int  # second octet of both the agency network and its loopback senders
    code: str  # short name in host names (`web-syt`) and the FortiGate's devname
    domain: str  # NetBIOS domain of its Windows hosts
    rfc5424_over_tcp: bool  # how its Linux servers forward syslog (rsyslog template)

    def address(self, subnet: int, host: int) -> str:
        return f"10.{self.octet}.{subnet}.{host}"

    def sender(self, device: int) -> str:
        """Loopback source address of one of the site's devices."""
        return f"127.{self.octet}.0.{device}"

    @property
    def web_server(self) -> str:
        return self.address(1, 10)

    @property
    def firewall_name(self) -> str:
        return f"FGT-{self.code.upper()}"

    @property
    def firewall_serial(self) -> str:
        return f"FG100FTK2200{self.octet:04d}"


# Device numbers: the last octet of each device's loopback sender address.
ROUTER, FIREWALL, WEB, SSH, WINDOWS = 1, 2, 10, 20, 50

DEMO_SITES: tuple[DemoSite, ...] = (
    DemoSite(
        Agency("so-tttt", "Sở Thông tin và Truyền thông", ("10.10.0.0/16", "127.10.0.0/16")),
        octet=10,
        code="stttt",
        domain="STTTT",
        rfc5424_over_tcp=True,
    ),
    DemoSite(
        Agency("so-yte", "Sở Y tế", ("10.20.0.0/16", "127.20.0.0/16")),
        octet=20,
        code="syt",
        domain="SYT",
        rfc5424_over_tcp=False,
    ),
    DemoSite(
        Agency("ubnd-haichau", "UBND quận Hải Châu", ("10.30.0.0/16", "127.30.0.0/16")),
        octet=30,
        code="haichau",
        domain="HAICHAU",
        rfc5424_over_tcp=False,
    ),
    DemoSite(
        Agency("so-gddt", "Sở Giáo dục và Đào tạo", ("10.40.0.0/16", "127.40.0.0/16")),
        octet=40,
        code="sgddt",
        domain="SGDDT",
        rfc5424_over_tcp=True,
    ),
)

DEMO_AGENCIES: list[Agency] = [site.agency for site in DEMO_SITES]
