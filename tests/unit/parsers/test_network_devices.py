"""Cisco IOS-family, Huawei VRP and Juniper Junos lines, in the shapes the devices and relays
send them, through the listener's header parser and normalization."""

from __future__ import annotations

import pytest
from syslog_event import RECEIVED
from syslog_event import syslog_event as ecs

from collectors.parsers import cisco_ios, huawei_vrp, junos
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs


@pytest.mark.parametrize(
    "line",
    [
        # sequence number, hostname (logging origin-id), unsynchronised clock
        "<189>61: R1: *Mar  5 10:00:01.795: %SYS-5-CONFIG_I: Configured from console by netops"
        " on vty0 (10.20.4.9)",
        # a relay's file line: its own header, then the device's sequence number and clock
        "<189>Mar  5 10:00:02 10.20.0.1 61: Mar  5 10:00:01.795 ICT: %SYS-5-CONFIG_I: "
        "Configured from console by netops on vty0 (10.20.4.9)",
        # NX-OS
        "<189>: 2024 Mar  5 10:00:01 UTC: %SYS-5-CONFIG_I: Configured from console by netops"
        " on vty0 (10.20.4.9)",
    ],
)
def test_a_configuration_change_in_each_shape(line: str) -> None:
    doc = ecs(line)
    assert doc["event"]["dataset"] == "cisco.ios"
    assert doc["event"]["code"] == "CONFIG_I" and doc["event"]["severity"] == 5
    assert doc["cisco"]["ios"]["facility"] == "SYS"
    assert doc["event"]["category"] == ["configuration"] and doc["event"]["type"] == ["change"]
    assert doc["user"] == {"name": "netops"} and doc["source"] == {"ip": "10.20.4.9"}
    assert doc["message"] == "Configured from console by netops on vty0 (10.20.4.9)"
    assert doc["event"]["original"] == f"%SYS-5-CONFIG_I: {doc['message']}"
    assert doc["observer"] == {"vendor": "Cisco", "product": "IOS", "ip": "10.20.0.1"}
    assert doc["log"]["level"] == "notification"
    assert "process" not in doc


def test_the_sequence_number_behind_a_relays_header() -> None:
    doc = ecs(
        "<189>Mar  5 10:00:02 10.20.0.1 585917: Mar  5 10:00:01.272: %SEC-6-IPACCESSLOGRP: "
        "list 177 denied igmp 10.20.1.97 -> 224.0.0.22, 1 packet"
    )
    assert doc["event"]["sequence"] == 585917


def test_ios_xr_names_its_node_and_process_before_the_tag() -> None:
    doc = ecs(
        "<189>123: RP/0/RSP0/CPU0:Mar  5 10:00:00.123 UTC: bgp[1052]: %ROUTING-BGP-5-ADJCHANGE"
        " : neighbor 10.20.0.2 Up (VRF: default)"
    )
    assert doc["cisco"]["ios"]["facility"] == "ROUTING-BGP"
    assert doc["event"]["code"] == "ADJCHANGE"
    assert doc["message"] == "neighbor 10.20.0.2 Up (VRF: default)"
    assert doc["@timestamp"] == "2024-03-05T10:00:00.123Z"  # the router's clock, not receipt
    assert doc["process"] == {"name": "bgp", "pid": 1052}


@pytest.mark.parametrize(
    ("line", "timestamp", "host", "code"),
    [
        # NX-OS to a remote server: a colon after the PRI, the year first (Cisco NX-OS System
        # Messages Reference, "syslog Format on a Remote-Logging Server")
        ("<189>: 2024 Mar  5 10:00:01 UTC: %AUTHPRIV-3-SYSTEM_MSG: ttyS1: togetattr: "
         "Input/output error - getty[28224]", "2024-03-05T10:00:01.000Z", None, "SYSTEM_MSG"),
        # NX-OS with its hostname (napalm-logs' NX-OS profile)
        ("<190>sw01.pdx01: 2017 Jul 28 14:42:46 UTC: %AUTHPRIV-6-SYSTEM_MSG: pam_unix(dcos_"
         "sshd:session): session opened for user luke by (uid=0) - dcos_sshd[12977]",
         "2017-07-28T14:42:46.000Z", "sw01.pdx01", "SYSTEM_MSG"),
        # NX-OS in local time, milliseconds
        ("<189>: 2024 Mar  5 17:00:01.250 ICT: %ETHPORT-5-IF_DOWN_LINK_FAILURE: Interface "
         "Ethernet1/1 is down (Link failure)", "2024-03-05T10:00:01.250Z", None,
         "IF_DOWN_LINK_FAILURE"),
        # IOS XR with `logging hostnameprefix` (napalm-logs' IOS-XR profile): no year, a zone
        ("<149>2647599: vmx01 RP/0/RSP1/CPU0:Mar  4 15:08:30.941 ICT: bgp[1051]: "
         "%ROUTING-BGP-5-MAXPFX : No. of IPv4 Unicast prefixes received from 10.20.0.2 has "
         "reached 94106, max 125000", "2024-03-04T08:08:30.941Z", "vmx01", "MAXPFX"),
    ],
)  # fmt: skip
def test_nx_os_and_ios_xr_clocks_date_the_event(
    line: str, timestamp: str, host: str | None, code: str
) -> None:
    doc = ecs(line)
    assert doc["event"]["dataset"] == "cisco.ios" and doc["event"]["code"] == code
    assert doc["@timestamp"] == timestamp
    assert doc.get("host", {}).get("name") == host
    assert doc["event"]["original"].startswith("%") and line.endswith(doc["message"])


def test_an_ios_xr_process_named_like_a_linux_one_stays_cisco() -> None:
    doc = ecs(
        "<190>6127: RP/0/RP0/CPU0:Mar  5 10:26:48.813 UTC: sshd[65704]: "
        "%SECURITY-SSHD-6-INFO_SUCCESS : Successfully authenticated user 'netops' from "
        "'10.20.4.9' on 'vty0'(cipher 'aes128-ctr', mac 'hmac-sha1')"
    )
    assert doc["event"]["dataset"] == "cisco.ios" and doc["event"]["code"] == "INFO_SUCCESS"
    assert doc["process"] == {"name": "sshd", "pid": 65704}


@pytest.mark.parametrize(
    "line",
    [
        # a zone we cannot resolve (PST is not one offset all year)
        "<189>: 2024 Mar  5 10:00:01 PST: %ETHPORT-5-IF_DOWN_LINK_FAILURE: Interface "
        "Ethernet1/1 is down",
        # IOS XR set to no zone: neither a year nor a zone (napalm-logs' IOS-XR profile)
        "<187>94307: gw2.acy1 LC/0/2/CPU0:Mar  5 10:16:14.834 : ifmgr[214]: "
        "%PKT_INFRA-LINK-3-UPDOWN : Interface TenGigE0/2/0/4, changed state to Down",
    ],
)
def test_a_clock_we_cannot_place_leaves_the_receipt_time(line: str) -> None:
    message = parse_syslog(line.encode(), received=RECEIVED)
    assert message.timestamp is None  # the listener stamps the receipt time
    doc = to_ecs(message, peer_ip="10.20.0.1")
    assert "@timestamp" not in doc and doc["event"]["dataset"] == "cisco.ios"
    assert doc["message"].startswith("Interface ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "%SEC-6-IPACCESSLOGP: list 177 denied udp 10.20.1.95(55250) -> 10.20.1.255(15600),"
            " 1 packet",
            {"source": {"ip": "10.20.1.95", "port": 55250, "packets": 1},
             "destination": {"ip": "10.20.1.255", "port": 15600},
             "network": {"packets": 1, "transport": "udp"}, "outcome": "failure"},
        ),
        (
            "%SEC-6-IPACCESSLOGDP: list 151 permitted icmp 10.20.1.1 -> 10.20.1.2 (3/4), "
            "32 packets",
            {"source": {"ip": "10.20.1.1", "packets": 32}, "destination": {"ip": "10.20.1.2"},
             "network": {"packets": 32, "transport": "icmp"}, "icmp": {"type": 3, "code": 4},
             "outcome": "success"},
        ),
        (
            "%SEC-6-IPACCESSLOGNP: list 1 denied 47 10.20.1.1 -> 10.20.9.9, 1 packet",
            {"source": {"ip": "10.20.1.1", "packets": 1}, "destination": {"ip": "10.20.9.9"},
             "network": {"packets": 1, "iana_number": "47", "transport": "gre"},
             "outcome": "failure"},
        ),
        (
            "%IPV6-6-ACCESSLOGP: list ACL-IPv6-E0/0-IN/10 permitted tcp 2001:DB8::3(1027) -> "
            "2001:DB8:1000::1(22), 9 packets",
            {"source": {"ip": "2001:db8::3", "port": 1027, "packets": 9},
             "destination": {"ip": "2001:db8:1000::1", "port": 22},
             "network": {"packets": 9, "transport": "tcp"}, "outcome": "success"},
        ),
        (
            "%SEC-6-IPACCESSLOGP: list 101 denied tcp 10.20.1.7(41000) (GigabitEthernet0/1 "
            "0011.2233.4455) -> 10.20.2.2(445), 3 packets",
            {"source": {"ip": "10.20.1.7", "port": 41000, "packets": 3,
                        "mac": "00-11-22-33-44-55"},
             "destination": {"ip": "10.20.2.2", "port": 445},
             "network": {"packets": 3, "transport": "tcp"}, "outcome": "failure",
             "interface": "GigabitEthernet0/1"},
        ),
        # IOS XE: the forwarding processor's slot and image before the list
        (
            "%FMANFP-6-IPACCESSLOGP: F0: fman_fp_image:  list EDGE-IN permitted tcp "
            "192.0.2.26(59144) -> 198.51.100.34(443), 1 packet",
            {"source": {"ip": "192.0.2.26", "port": 59144, "packets": 1},
             "destination": {"ip": "198.51.100.34", "port": 443},
             "network": {"packets": 1, "transport": "tcp"}, "outcome": "success"},
        ),
        (
            "%FMANFP-6-IPV6ACCESSLOGP: R0/0: fman_fp_image: list EDGE6-IN denied udp "
            "2001:db8:7::(38370) -> 2001:db8:9::(3370), 1 packet",
            {"source": {"ip": "2001:db8:7::", "port": 38370, "packets": 1},
             "destination": {"ip": "2001:db8:9::", "port": 3370},
             "network": {"packets": 1, "transport": "udp"}, "outcome": "failure"},
        ),
        # IOS XE with the source MAC before the address and the input interface after it
        (
            "%FMANFP-6-IPACCESSLOGP: F0/0: fman_fp_image: list acl_Te0-1-1_in denied tcp "
            "00-00-5E-00-53-23 198.51.100.10(56279) TenGigabitEthernet0/1/1-> "
            "203.0.113.20(45240), 1 packet",
            {"source": {"ip": "198.51.100.10", "port": 56279, "packets": 1,
                        "mac": "00-00-5E-00-53-23"},
             "destination": {"ip": "203.0.113.20", "port": 45240},
             "network": {"packets": 1, "transport": "tcp"}, "outcome": "failure",
             "interface": "TenGigabitEthernet0/1/1"},
        ),
        # an IPv6 access list's `ipv6` is any protocol, no transport (the type says IPv6)
        (
            "%IPV6_ACL-6-ACCESSLOGSP: list EDGE6/40 denied ipv6 :: -> 2001:db8::9, 6 packets",
            {"source": {"ip": "::", "packets": 6}, "destination": {"ip": "2001:db8::9"},
             "network": {"packets": 6}, "outcome": "failure"},
        ),
    ],
)  # fmt: skip
def test_access_list_hits(text: str, expected: dict) -> None:
    doc = ecs(f"<190>88: R1: *Mar  5 10:00:03.000: {text}")
    for key in ("source", "destination", "icmp"):
        assert doc.get(key) == expected.get(key), key
    network = dict(doc["network"])
    assert network.pop("type") == ("ipv6" if ":" in doc["source"]["ip"] else "ipv4")
    assert network == expected["network"]
    assert doc["event"]["outcome"] == expected["outcome"]
    assert doc["event"]["category"] == ["network"]
    assert doc["related"]["ip"] == [doc["source"]["ip"], doc["destination"]["ip"]]
    if "interface" in expected:
        assert doc["observer"]["ingress"] == {"interface": {"name": expected["interface"]}}
    else:
        assert "ingress" not in doc["observer"]


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("Configured from console by vty0 (192.0.2.44)", {"ip": "192.0.2.44"}),
        ("Configured from memory by console", None),
    ],
)
def test_a_change_by_a_line_names_no_user(text: str, source: dict | None) -> None:
    """Logged in with a line password, no user name: the device names the line instead."""
    doc = ecs(f"<189>24: sw-lab-02: *Mar  5 10:00:01.795: %SYS-5-CONFIG_I: {text}")
    assert doc["event"]["category"] == ["configuration"]
    assert "user" not in doc and doc.get("source") == source


@pytest.mark.parametrize(
    "text",
    [
        "No MD5 digest from 198.51.100.7(179) to 198.51.100.8(31245) (RST) tableid - 0",
        "No MD5 digest from 198.51.100.7:179 to 198.51.100.8:31245",
    ],
)
def test_tcp_md5_failures_name_the_peers(text: str) -> None:
    doc = ecs(f"<190>9004: *Mar  5 10:00:01.081: %TCP-6-BADAUTH: {text}")
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["category"] == ["network", "authentication"]
    assert doc["source"] == {"ip": "198.51.100.7", "port": 179}
    assert doc["destination"] == {"ip": "198.51.100.8", "port": 31245}


@pytest.mark.parametrize(
    "line",
    [
        "<190>3132811: sw-lab-03 3132807: Jul 14 2023 08:23:43.398 UTC: %SYS-5-RESTART: "
        "System restarted --",
        "<190>: sw-lab-03: Jul 14 2023 08:23:43.398 UTC: %SYS-5-RESTART: System restarted --",
        # a relay's header a day off: the device's clock is the event's
        "<190>Jul 13 08:23:43 192.0.2.9 3132779: Jul 14 2023 08:23:43.398 UTC: %SYS-5-RESTART: "
        "System restarted --",
    ],
)
def test_the_devices_own_clock_with_year_and_utc_dates_the_event(line: str) -> None:
    doc = ecs(line)
    assert doc["event"]["code"] == "RESTART"
    assert doc["@timestamp"] == "2023-07-14T08:23:43.398Z"


def test_an_unsynchronised_device_clock_is_not_the_events() -> None:
    doc = ecs(
        "<189>Oct 16 07:41:48 sw-lab-04 157475316: *Oct 16 2024 07:39:09.425 UTC: "
        "%SYS-5-RESTART: System restarted --"
    )
    assert doc["@timestamp"].endswith("-10-16T07:41:48.000Z")


def test_a_kiwi_relays_long_prefix_still_finds_the_tag() -> None:
    doc = ecs(
        "<190>Original Address=192.0.2.21 1 2026-03-05T10:00:01.168Z relay-lab-01 "
        "Kiwi_SyslogNet_Server 3356 MSGOUT SW-LAB-05: *Mar  5 10:00:00.534: %SYS-5-CONFIG_I: "
        "Configured from console by netops on vty0 (192.0.2.44)"
    )
    assert doc["event"]["dataset"] == "cisco.ios" and doc["event"]["code"] == "CONFIG_I"
    assert doc["user"] == {"name": "netops"} and doc["source"] == {"ip": "192.0.2.44"}


def test_ios_xr_access_list_hits() -> None:
    """IOS XR writes `access-list NAME (sequence) deny`, its tag followed by ` :`."""
    doc = ecs(
        "<190>Oct  7 07:19:44 xr-edge-01 RP/0/RP0/CPU0:Oct  7 07:19:43.630 UTC: "
        "ipv4_acl_mgr[310]: %ACL-IPV4_ACL-6-IPACCESSLOGP : access-list EDGE-OUT (20) deny tcp "
        "192.0.2.10(39527) -> 203.0.113.5(1830), 1 packet"
    )
    assert doc["event"]["code"] == "IPACCESSLOGP"
    assert doc["event"]["action"] == "deny" and doc["event"]["outcome"] == "failure"
    assert doc["cisco"]["ios"]["access_list"] == "EDGE-OUT"
    assert doc["source"] == {"ip": "192.0.2.10", "port": 39527, "packets": 1}
    assert doc["destination"] == {"ip": "203.0.113.5", "port": 1830}
    assert doc["network"] == {"packets": 1, "transport": "tcp", "type": "ipv4"}


def test_logins_and_logged_commands() -> None:
    failed = ecs(
        "<188>70: R1: *Mar  5 10:00:04.000: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: "
        "admin] [Source: 203.0.113.9] [localport: 22] [Reason: Login Authentication Failed] at "
        "10:00:04 ICT Tue Mar 5 2024"
    )
    assert failed["event"]["category"] == ["authentication"]
    assert failed["event"]["outcome"] == "failure"
    assert failed["event"]["reason"] == "Login Authentication Failed"
    assert failed["user"] == {"name": "admin"} and failed["source"] == {"ip": "203.0.113.9"}
    assert failed["destination"] == {"port": 22}
    command = ecs(
        "<189>71: R1: *Mar  5 10:00:05.000: %PARSER-5-CFGLOG_LOGGEDCMD: User:netops  logged "
        "command:no logging host 10.20.0.5"
    )
    assert command["cisco"]["ios"]["command"] == "no logging host 10.20.0.5"
    assert command["user"] == {"name": "netops"}


def test_firewalls_stay_with_their_own_parser() -> None:
    doc = ecs("<166>Mar  5 10:00:06 fw1 %ASA-6-302013: Built outbound TCP connection 1 for "
              "outside:203.0.113.5/443 (203.0.113.5/443) to inside:10.20.1.5/51000 "
              "(10.20.1.5/51000)")  # fmt: skip
    assert doc["event"]["dataset"] == "cisco.asa"
    assert cisco_ios.parse("%ASA-6-302013: Built outbound TCP connection 1") is None
    assert cisco_ios.parse("no tag here: %d%% done") is None


def test_huawei_vrp_messages() -> None:
    doc = ecs(
        "<189>Mar  5 2024 10:00:07 CE-CORE-1 %%01SHELL/5/CMDRECORD(s)[17]:Recorded command "
        "information. (Task=VT0, Ip=10.20.4.9, VpnName=, User=netops, AuthenticationMethod="
        '"Local-user", Command="undo info-center loghost 10.20.0.5, vpn-instance a")'
    )
    assert doc["event"]["dataset"] == "huawei.vrp"
    assert doc["event"]["code"] == "SHELL/5/CMDRECORD" and doc["event"]["sequence"] == 17
    assert doc["huawei"]["vrp"]["type"] == "security"
    assert doc["huawei"]["vrp"]["parameters"] == {
        "Task": "VT0",
        "Ip": "10.20.4.9",
        "VpnName": "",
        "User": "netops",
        "AuthenticationMethod": "Local-user",
        "Command": "undo info-center loghost 10.20.0.5, vpn-instance a",
    }
    assert doc["user"] == {"name": "netops"} and doc["source"] == {"ip": "10.20.4.9"}
    assert doc["message"].startswith("Recorded command information. (Task=VT0")
    assert doc["host"]["name"] == "CE-CORE-1"
    vrp8 = ecs(
        "<187>Mar  5 2024 10:00:08 CE-CORE-1 %%01BGP/3/BGP_AUTH_FAILED(l):CID=0x807a0429;BGP "
        "authentication failed. (PeerAddress=10.20.0.6, VpnInstance=_public_)"
    )
    assert vrp8["message"].startswith("BGP authentication failed.")
    assert vrp8["log"]["level"] == "error"
    assert huawei_vrp.parse("%%not a tag") is None


def test_a_hostile_parameter_list_is_still_a_message() -> None:
    """Pairs run together without commas: one way to split a list leaves no backtracking to
    blow up (pytest's timeout would end a catastrophic one)."""
    line = "%%01SHELL/5/CMDRECORD(s):x (" + "a=b" * 20_000 + ", c=" + "d=" * 20_000
    doc = huawei_vrp.parse(line)
    assert doc is not None and "parameters" not in doc["huawei"]["vrp"]


def test_junos_daemons_and_kernel() -> None:
    rpd = ecs(
        "<28>Mar  5 10:00:09 mx-core rpd[1442]: RPD_BGP_NEIGHBOR_STATE_CHANGED: BGP peer "
        "10.20.0.2 (External AS 65001) changed state from Established to Idle"
    )
    assert rpd["event"]["dataset"] == "juniper.junos"
    assert rpd["event"]["code"] == "RPD_BGP_NEIGHBOR_STATE_CHANGED"
    assert rpd["message"].startswith("BGP peer 10.20.0.2")
    assert rpd["process"] == {"name": "rpd", "pid": 1442}
    kernel = ecs("<28>Mar  5 10:00:10 mx-core /kernel: tcp_auth_ok: Packet from 10.20.0.7:179 "
                 "missing MD5 digest")  # fmt: skip
    assert kernel["event"]["dataset"] == "juniper.junos"
    assert kernel["event"]["original"] == (
        "/kernel: tcp_auth_ok: Packet from 10.20.0.7:179 missing MD5 digest"
    )
    linux = ecs("<4>Mar  5 10:00:11 web01 kernel: TCP: peer 10.20.0.8:179 missing MD5 digest")
    assert "dataset" not in linux.get("event", {})  # plain syslog
    assert junos.parse("RPD_X: y", program="cron") is None


@pytest.mark.parametrize(
    ("line", "outcome", "kind", "user", "source", "protocol"),
    [
        # VRP 8, as Huawei's info-center reference prints it: CID, a space, no sequence
        (
            "<189>Nov 20 2026 08:00:01 CE-CORE-1 %%01SSH/5/SSH_USER_LOGIN_FAIL(s):CID=0x80932723; "
            "The SSH user failed to login. (ServiceType=stelnet, FailedReason=Password "
            "authentication failed, UserName=netops, IPAddress=203.0.113.9, "
            "VPNInstanceName=_public_.)",
            "failure",
            "start",
            "netops",
            "203.0.113.9",
            "ssh",
        ),
        (
            "<189>Nov 20 2026 08:00:02 CE-CORE-1 %%01SSH/5/SSH_USER_LOGIN(s)[40]:The SSH user "
            "succeeded in logging in. (ServiceType=stelnet, UserName=netops, "
            "UserAddress=203.0.113.9, LocalAddress=192.0.2.1, VPNInstanceName=)",
            "success",
            "start",
            "netops",
            "203.0.113.9",
            "ssh",
        ),
        (
            "<189>Nov 20 2026 08:00:03 CE-CORE-1 %%01SSH/5/SSH_USER_LOGOUT(s)[41]:The SSH user "
            "logged out. (ServiceType=stelnet, LogoutReason=User log out, UserName=netops, "
            "UserAddress=203.0.113.9, LocalAddress=192.0.2.1, VPNInstanceName=)",
            "success",
            "end",
            "netops",
            "203.0.113.9",
            "ssh",
        ),
        # VRP 5's command line: Telnet, a password-only log-in naming no user (`**`)
        (
            "<188>Nov 20 2026 08:00:04 S5735-1 %%01SHELL/4/LOGINFAILED(s)[42]:Failed to login. "
            "(Ip=198.51.100.20, UserName=**, Times=1, AccessType=TELNET, VpnName=)",
            "failure",
            "start",
            None,
            "198.51.100.20",
            "telnet",
        ),
        (
            "<189>Nov 20 2026 08:00:05 S5735-1 %%01SHELL/5/LOGIN(s)[43]:The user succeeded in "
            "logging in to VTY0. (UserType=Telnet, UserName=netops, "
            'AuthenticationMethod="Local-user", Ip=198.51.100.20, VpnName=)',
            "success",
            "start",
            "netops",
            "198.51.100.20",
            "telnet",
        ),
        # VRP 8's command line, relayed under the relay's own host name
        (
            "<189>Nov 20 08:00:06 relay01 %%01CLI/5/LOGOUT(s):CID=0x807a0001;The user succeeded in "
            "logging out of VTY0. (UserType=SSH, UserName=netops, RemoteIp=203.0.113.9, VpnName=, "
            "Reason=User logout, LocalIp=192.0.2.1)",
            "success",
            "end",
            "netops",
            "203.0.113.9",
            "ssh",
        ),
    ],
)
def test_huawei_management_log_ins(
    line: str, outcome: str, kind: str, user: str | None, source: str, protocol: str
) -> None:
    doc = ecs(line)
    assert doc["event"]["dataset"] == "huawei.vrp"
    assert doc["event"]["category"] == ["authentication"] and doc["event"]["type"] == [kind]
    assert doc["event"]["outcome"] == outcome
    assert doc["event"]["action"] == doc["huawei"]["vrp"]["brief"]
    assert doc["source"] == {"ip": source} and doc["related"]["ip"] == [source]
    assert doc["network"] == {"protocol": protocol}
    if user is None:
        assert "user" not in doc and "user" not in doc["related"]
    else:
        assert doc["user"] == {"name": user} and doc["related"]["user"] == [user]


def test_huawei_log_in_failure_reason_and_other_briefs() -> None:
    failed = ecs(
        "<189>Nov 20 2026 08:00:07 CE-CORE-1 %%01SSH/5/SSH_USER_LOGIN_FAIL(s)[44]:The SSH user "
        "failed to login. (ServiceType=stelnet, FailedReason=Password authentication failed, "
        "UserName=netops, UserAddress=203.0.113.9, LocalAddress=192.0.2.1, VPNInstanceName=)"
    )
    assert failed["event"]["reason"] == "Password authentication failed"
    # A brief named LOGIN in another module is no management log-in.
    other = huawei_vrp.parse("%%01PORTAL/5/LOGIN(l):User logged in. (User=a, Ip=198.51.100.3)")
    assert other is not None and "category" not in other["event"]
    command = huawei_vrp.parse(
        "%%01SHELL/5/CMDRECORD(s):Recorded command information. (Task=VT0, Ip=**, VpnName=, "
        'User=**, AuthenticationMethod="Password", Command="display version")'
    )
    assert command is not None and "user" not in command and "source" not in command


@pytest.mark.parametrize(
    ("line", "code", "outcome", "kind", "source"),
    [
        (
            "<37>Nov 20 08:00:01 mx-core sshd[4139]: SSHD_LOGIN_FAILED: Login failed for user "
            "'netops' from host '203.0.113.9'",
            "SSHD_LOGIN_FAILED",
            "failure",
            "start",
            {"ip": "203.0.113.9"},
        ),
        # structured-data mode, from a vSRX
        (
            "<37>1 2026-11-20T08:00:02.589Z srx-1 sshd - SSHD_LOGIN_FAILED [junos@2636.1.1.1.2.129 "
            'username="netops" source-address="203.0.113.9"] Login failed for user \'netops\' from '
            "host '203.0.113.9'",
            "SSHD_LOGIN_FAILED",
            "failure",
            "start",
            {"ip": "203.0.113.9"},
        ),
        (
            "<37>Nov 20 08:00:03 ex-1 login[4140]: LOGIN_FAILED: Login failed for user netops from "
            "host 198.51.100.20",
            "LOGIN_FAILED",
            "failure",
            "start",
            {"ip": "198.51.100.20"},
        ),
        (
            "<38>Nov 20 08:00:04 ex-1 login[4140]: LOGIN_INFORMATION: User netops logged in from "
            "host 198.51.100.20 on device ttyp0",
            "LOGIN_INFORMATION",
            "success",
            "start",
            {"ip": "198.51.100.20"},
        ),
        (
            "<38>Nov 20 08:00:05 mx-core mgd[4141]: UI_LOGIN_EVENT: User 'netops' login, class "
            "'j-super-user' [4141], ssh-connection '203.0.113.9 51234 192.0.2.1 22', client-mode "
            "'cli'",
            "UI_LOGIN_EVENT",
            "success",
            "start",
            {"ip": "203.0.113.9", "port": 51234},
        ),
        (
            "<38>1 2026-11-20T08:00:06Z mx-core mgd 4141 UI_LOGIN_EVENT [junos@2636.1.1.1.2.18 "
            'username="netops" class-name="j-super-user" ssh-connection="203.0.113.9 51234 '
            "192.0.2.1 22\" client-mode=\"cli\"] User 'netops' login, class 'j-super-user' [4141], "
            "ssh-connection '203.0.113.9 51234 192.0.2.1 22', client-mode 'cli'",
            "UI_LOGIN_EVENT",
            "success",
            "start",
            {"ip": "203.0.113.9", "port": 51234},
        ),
        # the console: no SSH connection, no address
        (
            "<38>Nov 20 08:00:07 mx-core mgd[4142]: UI_LOGIN_EVENT: User 'netops' login, class "
            "'j-super-user' [4142], ssh-connection '', client-mode 'cli'",
            "UI_LOGIN_EVENT",
            "success",
            "start",
            None,
        ),
        (
            "<38>Nov 20 08:00:08 mx-core mgd[4141]: UI_LOGOUT_EVENT: User 'netops' logout",
            "UI_LOGOUT_EVENT",
            "success",
            "end",
            None,
        ),
        (
            "<38>Nov 20 08:00:09 mx-core mgd[4141]: UI_AUTH_EVENT: Authenticated user 'netops' at "
            "permission level 'j-super-user'",
            "UI_AUTH_EVENT",
            "success",
            "info",
            None,
        ),
    ],
)
def test_junos_management_log_ins(
    line: str, code: str, outcome: str, kind: str, source: dict[str, object] | None
) -> None:
    doc = ecs(line)
    assert doc["event"]["dataset"] == "juniper.junos"
    assert doc["event"]["code"] == doc["event"]["action"] == code
    assert doc["event"]["category"] == ["authentication"] and doc["event"]["type"] == [kind]
    assert doc["event"]["outcome"] == outcome
    assert doc["user"] == {"name": "netops"} and doc["related"]["user"] == ["netops"]
    assert doc.get("source") == source
    if source:
        assert doc["related"]["ip"] == [source["ip"]]
    ssh = code.startswith("SSHD_") or (code == "UI_LOGIN_EVENT" and source is not None)
    assert doc.get("network") == ({"protocol": "ssh"} if ssh else None)


def test_junos_command_and_what_stays_linux() -> None:
    command = ecs("<38>Nov 20 08:00:10 mx-core mgd[4141]: UI_CMDLINE_READ_LINE: User 'netops', "
                  "command 'show configuration | display set '")  # fmt: skip
    assert command["user"] == {"name": "netops"}
    assert command["juniper"]["junos"]["command"] == "show configuration | display set"
    assert "category" not in command["event"]
    # OpenSSH's and Linux login's own lines, on a Junos box or a Linux host, are system.auth's.
    openssh = ecs("<38>Nov 20 08:00:11 mx-core sshd[4139]: Failed password for netops from "
                  "203.0.113.9 port 51515 ssh2")  # fmt: skip
    assert openssh["event"]["dataset"] == "system.auth"
    linux = ecs("<38>Nov 20 08:00:12 web01 login[811]: FAILED LOGIN 1 FROM tty1 FOR root, "
                "Authentication failure")  # fmt: skip
    assert linux["event"]["dataset"] == "system.auth"
