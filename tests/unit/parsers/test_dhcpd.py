"""DHCP server lines (ISC dhcpd, Kea) tie an IP address to a MAC address and host name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.parsers import dhcpd
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.model.event import Event

MAC = "00:1a:2b:3c:4d:5e"
ECS_MAC = "00-1A-2B-3C-4D-5E"


def _ecs(tag: str, message: str) -> Event:
    line = f"<190>Mar  5 09:00:00 fw-sotttt {tag}: {message}"
    return to_ecs(parse_syslog(line.encode(), received=datetime(2026, 3, 5, tzinfo=UTC)),
                  peer_ip=None)  # fmt: skip


def test_ack_ties_address_to_mac_and_host_name() -> None:
    doc = _ecs("dhcpd[4242]", f"DHCPACK on 192.0.2.100 to {MAC} (ws-ketoan-07) via em1")
    assert doc["event"]["dataset"] == "dhcpd.log"
    assert doc["event"]["module"] == "dhcpd"
    assert doc["event"]["action"] == "dhcpack"
    assert doc["event"]["category"] == ["network"]
    assert doc["client"] == {"ip": "192.0.2.100", "mac": ECS_MAC, "domain": "ws-ketoan-07"}
    assert doc["source"] == doc["client"]
    assert doc["observer"]["ingress"]["interface"]["name"] == "em1"
    assert doc["related"] == {"ip": ["192.0.2.100"], "hosts": ["ws-ketoan-07"]}
    assert doc["dhcpd"]["mac"] == MAC
    assert doc["process"] == {"name": "dhcpd", "pid": 4242}
    assert doc["message"] == f"DHCPACK on 192.0.2.100 to {MAC} (ws-ketoan-07) via em1"
    assert "outcome" not in doc["event"]


@pytest.mark.parametrize(
    ("message", "action", "ip", "mac", "host"),
    [
        (f"DHCPDISCOVER from {MAC} via em1", "dhcpdiscover", None, ECS_MAC, None),
        (f"DHCPDISCOVER from {MAC} (pc-vanthu-02) via em1", "dhcpdiscover", None, ECS_MAC,
         "pc-vanthu-02"),
        (f"DHCPOFFER on 192.0.2.100 to {MAC} (ws-ketoan-07) via em1", "dhcpoffer", "192.0.2.100",
         ECS_MAC, "ws-ketoan-07"),
        (f"DHCPREQUEST for 192.0.2.100 from {MAC} (ws-ketoan-07) via em1", "dhcprequest",
         "192.0.2.100", ECS_MAC, "ws-ketoan-07"),
        (f"DHCPRELEASE of 192.0.2.100 from {MAC} (ws-ketoan-07) via em1 (found)", "dhcprelease",
         "192.0.2.100", ECS_MAC, "ws-ketoan-07"),
        ("DHCPINFORM from 192.0.2.100 via em1", "dhcpinform", "192.0.2.100", None, None),
        # the answer to a DHCPINFORM names the hardware address in brackets
        (f"DHCPACK to 192.0.2.100 ({MAC}) via em1", "dhcpack", "192.0.2.100", ECS_MAC, None),
    ],
)  # fmt: skip
def test_each_message_type(
    message: str, action: str, ip: str | None, mac: str | None, host: str | None
) -> None:
    doc = _ecs("dhcpd[4242]", message)
    assert doc["event"]["action"] == action
    assert doc.get("client", {}).get("ip") == ip
    assert doc.get("client", {}).get("mac") == mac
    assert doc.get("client", {}).get("domain") == host
    assert doc["observer"]["ingress"]["interface"]["name"] == "em1"


def test_request_naming_the_server_through_a_relay() -> None:
    doc = _ecs(
        "dhcpd[4242]",
        f"DHCPREQUEST for 192.0.2.100 (192.0.2.1) from {MAC} (ws-ketoan-07) via 198.51.100.1",
    )
    assert doc["client"]["ip"] == "192.0.2.100"
    assert doc["server"] == {"ip": "192.0.2.1"}
    # `via` is the relay agent's address, not an interface
    assert "observer" not in doc
    assert doc["dhcpd"]["relay_ip"] == "198.51.100.1"
    assert doc["related"]["ip"] == ["192.0.2.1", "192.0.2.100", "198.51.100.1"]


@pytest.mark.parametrize(
    ("message", "action"),
    [
        (f"DHCPNAK on 192.0.2.100 to {MAC} via em1", "dhcpnak"),
        (f"DHCPDECLINE of 192.0.2.100 from {MAC} (ws-ketoan-07) via em1: abandoned",
         "dhcpdecline"),
        (f"DHCPDISCOVER from {MAC} via em1: network 192.0.2.0/24: no free leases",
         "dhcpdiscover"),
        ("no free leases on network 192.0.2.0/24", "no_free_leases"),
    ],
)  # fmt: skip
def test_refusals_are_failures(message: str, action: str) -> None:
    doc = _ecs("dhcpd[4242]", message)
    assert doc["event"]["action"] == action
    assert doc["event"]["outcome"] == "failure"


def test_no_free_leases_names_the_network() -> None:
    doc = _ecs(
        "dhcpd[4242]", f"DHCPDISCOVER from {MAC} via em1: network 192.0.2.0/24: no free leases"
    )
    assert doc["dhcpd"]["network"] == "192.0.2.0/24"
    assert doc["dhcpd"]["info"] == "network 192.0.2.0/24: no free leases"


def test_duplicate_uid_lease() -> None:
    doc = _ecs("dhcpd[4242]", f"uid lease 192.0.2.5 for client {MAC} is duplicate on 192.0.2.0/24")
    assert doc["event"]["action"] == "duplicate_uid_lease"
    assert doc["client"] == {"ip": "192.0.2.5", "mac": ECS_MAC}
    assert doc["dhcpd"]["network"] == "192.0.2.0/24"


def test_dhcpv6_lease_ties_address_to_duid() -> None:
    doc = _ecs(
        "dhcpd[6001]",
        "Reply NA: address 2001:db8:10::25 to client with duid 00:01:00:01:2c:aa:bb:cc:00:1a:2b:3c:"
        "4d:5e iaid = -12345 valid for 7200 seconds",
    )
    assert doc["event"]["action"] == "reply-na"
    assert doc["client"] == {"ip": "2001:db8:10::25"}
    assert doc["network"]["protocol"] == "dhcpv6"
    assert doc["dhcpd"]["duid"] == "00:01:00:01:2c:aa:bb:cc:00:1a:2b:3c:4d:5e"
    assert doc["dhcpd"]["lease_seconds"] == 7200


@pytest.mark.parametrize(
    "prefix",
    ["", "2026-03-05 09:00:00.123 INFO  [kea-dhcp4.leases/811.140001] ",
     "INFO  [kea-dhcp4.leases] "],
)  # fmt: skip
def test_kea_lease_allocation(prefix: str) -> None:
    doc = _ecs(
        "kea-dhcp4[811]",
        f"{prefix}DHCP4_LEASE_ALLOC [hwtype=1 {MAC}], cid=[01:{MAC}], tid=0x5e3c1a2b: "
        "lease 192.0.2.100 has been allocated for 3600 seconds",
    )
    assert doc["event"]["dataset"] == "dhcpd.log"
    assert doc["event"]["action"] == "dhcp4_lease_alloc"
    assert doc["client"] == {"ip": "192.0.2.100", "mac": ECS_MAC}
    assert doc["dhcpd"]["lease_seconds"] == 3600
    assert doc["dhcpd"]["tid"] == "0x5e3c1a2b"
    assert doc["process"]["name"] == "kea-dhcp4"


def test_kea_without_client_id() -> None:
    doc = _ecs(
        "kea-dhcp4[811]",
        f"DHCP4_LEASE_ALLOC [hwtype=1 {MAC}], cid=[no info], tid=0x1: lease 192.0.2.7 has been"
        " allocated",
    )
    assert doc["client"]["ip"] == "192.0.2.7"
    assert "cid" not in doc["dhcpd"]


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("dhcpd[4242]", "Server starting service."),
        ("dhcpd[4242]", "Listening on BPF/em1/00:1a:2b:3c:4d:5e/192.0.2.0/24"),
        ("kea-dhcp4[811]", "INFO  [kea-dhcp4.dhcp4/811.1] DHCP4_STARTED Kea DHCPv4 server started"),
    ],
)
def test_other_lines_stay_plain_syslog(tag: str, message: str) -> None:
    doc = _ecs(tag, message)
    assert "dhcpd" not in doc
    assert "event" not in doc or doc["event"].get("dataset") != "dhcpd.log"
    assert doc["process"]["name"] == tag.split("[")[0]


def test_bootp_reply_names_host_before_mac() -> None:
    doc = _ecs("dhcpd[4242]", f"BOOTREPLY for 192.0.2.40 to may-in-tang3 ({MAC}) via em1")
    assert doc["event"]["action"] == "bootreply"
    assert doc["client"] == {"ip": "192.0.2.40", "mac": ECS_MAC, "domain": "may-in-tang3"}


PIECES = [
    "DHCPACK ", "DHCPREQUEST ", "DHCPINFORM ", "BOOTREPLY ", "on ", "of ", "for ", "to ", "from ",
    "192.0.2.1 ", "999.1.1.1 ", f"{MAC} ", "zz:zz ", "(", ")", "(ws-01) ", "(192.0.2.1) ", "via ",
    "em1", ": ", "network ", "no free leases", "uid lease ", " is duplicate on ",
    "Reply NA: address ", " to client with duid ", "iaid = ", "valid for 1 seconds",
    "DHCP4_LEASE_ALLOC ", "[hwtype=1 ", "], cid=[", "no info", "], tid=0x1: ", "lease ",
    " for 99999999999999999999 seconds",
]  # fmt: skip


@settings(max_examples=400)
@given(pieces=st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=14))
def test_parser_never_raises_on_dhcp_shaped_garbage(pieces: list[str]) -> None:
    for program in dhcpd.PROGRAMS:
        doc = dhcpd.parse("".join(pieces), program=program)
        assert doc is None or doc["event"]["dataset"] == "dhcpd.log"


KEA_CLIENT = f"[hwtype=1 {MAC}], cid=[01:{MAC}], tid=0x7a1b2c3d"


@pytest.mark.parametrize(
    ("message", "action", "ip", "outcome"),
    [
        # Kea's catalogue (dhcp4_messages.mes): the client inside the text, after the address
        (f"DHCP4_DECLINE_LEASE Received DHCPDECLINE for addr 192.0.2.100 from client {KEA_CLIENT}."
         " The lease will be unavailable for 86400 seconds.", "dhcp4_decline_lease",
         "192.0.2.100", "failure"),
        # `ciaddr 0.0.0.0` is no address; the requested one is
        (f"DHCP4_PACKET_NAK_0004 {KEA_CLIENT}: failed to grant a lease, client sent ciaddr 0.0.0.0,"
         " requested-ip-address 192.0.2.100", "dhcp4_packet_nak_0004", "192.0.2.100", "failure"),
        # `, from interface` rather than `:` after the client
        (f"DHCP4_PACKET_DROP_0002 {KEA_CLIENT}, from interface eth1: no suitable subnet configured"
         " for a direct client", "dhcp4_packet_drop_0002", None, "failure"),
        # the allocation engine's pool exhaustion
        (f"ALLOC_ENGINE_V4_ALLOC_FAIL {KEA_CLIENT}: failed to allocate an IPv4 address after 5"
         " attempt(s)", "alloc_engine_v4_alloc_fail", None, "failure"),
        (f"DHCP4_RELEASE {KEA_CLIENT}: address 192.0.2.100 was released properly.",
         "dhcp4_release", "192.0.2.100", None),
    ],
)  # fmt: skip
def test_kea_messages_by_catalogue(
    message: str, action: str, ip: str | None, outcome: str | None
) -> None:
    doc = _ecs("kea-dhcp4[811]", f"INFO  [kea-dhcp4.leases/811.1] {message}")
    assert doc["event"]["action"] == action
    assert doc.get("client", {}).get("ip") == ip
    assert doc["client"]["mac"] == ECS_MAC
    assert doc["event"].get("outcome") == outcome
    assert doc["dhcpd"]["tid"] == "0x7a1b2c3d"
    # a decline's quarantine is not a lease time
    assert "lease_seconds" not in doc["dhcpd"]
