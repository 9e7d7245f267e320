"""rules/soc/network/mr_firewall_port_scan.yml: 20 denied destination ports per source in 5m,
on every firewall the platform parses. The events are the parsers' own, from one line in each
vendor's format, so the test also holds the parsers to marking a denied connection the ECS way.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest
from netflow_craft import data_set, ipv4, v9_packet, v9_template_set
from syslog_event import syslog_event

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import decode
from collectors.netflow.normalize import normalize_flows
from collectors.netflow.session import Sessions
from soc.model.event import Event
from soc.rules import Catalog

PORT_SCAN = "f210b801-69d5-4185-9b59-6bb7730c311f"
DENIED = "9dc187dc-3c45-4030-bc94-ea6d5f4a0012"
RECEIVED = datetime(2026, 11, 20, 8, 20, tzinfo=UTC)

# One denied connection per vendor, 20 November 2026 08:15:{s} UTC, from {src} to port {port}.
DENIES = {
    "fortigate": (
        '<189>Nov 20 08:15:{s:02d} fw date=2026-11-20 time=08:15:{s:02d} devname="FG-SOYTE" '
        'devid="FG100F" logid="0000000013" type="traffic" subtype="forward" level="notice" '
        'vd="root" srcip={src} srcport=40000 srcintf="wan1" dstip=10.20.1.10 dstport={port} '
        'dstintf="lan" proto=6 action="{action}" policyid=0 service="tcp/{port}"'
    ),
    "cisco_asa": (
        "<164>Nov 20 2026 08:15:{s:02d} asa-fw : %ASA-4-106023: Deny tcp src outside:{src}/51515 "
        'dst inside:10.20.1.5/{port} by access-group "outside_access_in" [0x0, 0x0]'
    ),
    "panos": (
        "<14>Nov 20 08:15:{s:02d} PA-SOYTE-01 1,2026/11/20 08:15:{s:02d},012801000001,TRAFFIC,"
        "deny,2561,2026/11/20 08:15:{s:02d},{src},10.20.1.5,0.0.0.0,0.0.0.0,deny-all,,,"
        "not-applicable,vsys1,untrust,trust,ethernet1/1,ethernet1/2,fwd-to-soc,"
        "2026/11/20 08:15:{s:02d},123456,1,51515,{port},0,0,0x0,tcp,deny,74,74,0,1,"
        "2026/11/20 08:15:{s:02d},0,any,,7001,0x0,United States,10.0.0.0-10.255.255.255,,1,0,"
        "policy-deny,0,0,0,0,,PA-SOYTE-01,from-policy,,,0,,0,,N/A,0,0,0,0,"
        "5fbd2e7c-7a5d-4c4e-9f0a-0f2e7f3b5a11,0,0,,,,,,,,"
    ),
    "juniper_srx": (
        "<14>1 2026-11-20T15:15:{s:02d}.000+07:00 srx-hue RT_FLOW - RT_FLOW_SESSION_DENY "
        '[junos@2636.1.1.1.2.129 source-address="{src}" source-port="40001" '
        'destination-address="10.30.1.10" destination-port="{port}" '
        'service-name="None" protocol-id="6" icmp-type="0" policy-name="deny-all" '
        'source-zone-name="untrust" destination-zone-name="trust" application="UNKNOWN" '
        'nested-application="UNKNOWN" username="N/A" roles="N/A" '
        'packet-incoming-interface="ge-0/0/0.0" encrypted="No" reason="policy deny"]'
    ),
    "checkpoint": (
        '<134>1 2026-11-20T08:15:{s:02d}Z cp-gw-hue CheckPoint 15190 - [action:"Drop"; '
        'flags:"411908"; ifdir:"inbound"; ifname:"eth1"; loguid:"{{0x6a1f2b3c,0x0,0x1,0x2}}"; '
        'origin:"10.30.0.1"; dst:"10.30.1.10"; rule_action:"Drop"; '
        'rule_name:"Cleanup"; product:"VPN-1 & FireWall-1"; proto:"6"; s_port:"40002"; '
        'service:"{port}"; src:"{src}"]'
    ),
    "sophos_xg": (
        '<30>Nov 20 08:15:{s:02d} sfw-hue device_name="sfw-hue" '
        'timestamp="2026-11-20T15:15:{s:02d}+0700" device_serial_id="X21001ABCDEF123" '
        'log_id="010102600002" log_type="Firewall" log_component="Firewall Rule" '
        'log_subtype="Denied" log_version=1 severity="Information" fw_rule_id="7" '
        'fw_rule_name="Chan tu Internet" src_ip="{src}" dst_ip="10.30.1.10" protocol="TCP" '
        'src_port=40003 dst_port={port} src_zone_type="WAN" dst_zone_type="LAN"'
    ),
    "pfsense": (
        "<134>Nov 20 08:15:{s:02d} filterlog[4242]: 5,,,1000000103,em0,match,block,in,4,0x0,,"
        "64,54321,0,DF,6,tcp,60,{src},10.20.1.5,51515,{port},0,S,1234567890,,64240,,mss"
    ),
    "iptables": (
        "<4>Nov 20 08:15:{s:02d} gw kernel: [1234567.891011] [UFW BLOCK] IN=eth0 OUT= "
        "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC={src} DST=10.20.1.5 LEN=60 "
        "TOS=0x00 PREC=0x00 TTL=51 ID=4242 DF PROTO=TCP SPT=51515 DPT={port} WINDOW=64240 "
        "RES=0x00 SYN URGP=0"
    ),
}


def event(vendor: str, src: str, port: int, second: int, action: str = "deny") -> Event:
    line = DENIES[vendor].format(src=src, port=port, s=second, action=action)
    return syslog_event(line, received=RECEIVED)


def scan(src: str, ports: range | list[int], vendor: str = "fortigate") -> list[Event]:
    return [event(vendor, src, port, second) for second, port in enumerate(ports)]


# Cisco ASA NSEL (NetFlow v9): addresses, ports, protocol, NF_F_FW_EVENT (40005) and
# NF_F_EVENT_TIME_MSEC (323), as the ASA's flow-denied records carry them.
NSEL_TEMPLATE = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (40005, 1), (323, 8)]


def nsel(src: str, ports: range | list[int], firewall_event: int = 3) -> list[Event]:
    """The flows of one ASA export datagram, one record per port, through our collector."""
    at_ms = int(RECEIVED.timestamp() * 1000) - 300_000
    records = [
        ipv4(src) + ipv4("10.20.1.5") + struct.pack("!HHBBQ", 51515, port, 6, firewall_event, at_ms)
        for i, port in enumerate(ports)
    ]
    datagram = v9_packet(
        v9_template_set((256, NSEL_TEMPLATE)),
        data_set(256, *records),
        unix_secs=at_ms // 1000,
    )
    sessions = Sessions(pending_max_records=100, pending_max_age_seconds=300)
    outcome = sessions.process(decode(datagram, exporter="x"), ip="10.20.0.1", port=2055, now=0)
    assert outcome.problems == []
    return normalize_flows(outcome.flows, community_id=CommunityId())


@pytest.mark.parametrize("vendor", DENIES)
def test_twenty_denied_ports_from_one_source_alert_on_every_firewall(run_rule, vendor) -> None:
    rows = run_rule(PORT_SCAN, scan("198.51.100.23", range(1000, 1020), vendor))
    assert len(rows) == 1
    assert rows[0]["group_key"] == "198.51.100.23"
    assert rows[0]["value_count"] == 20
    assert len(rows[0]["event_ids"]) == 20


def test_a_scan_spread_over_two_agencies_firewalls_counts_whole(run_rule) -> None:
    events = [
        *scan("198.51.100.23", range(1000, 1010), "fortigate"),
        *scan("198.51.100.23", range(1010, 1020), "juniper_srx"),
    ]
    assert [r["value_count"] for r in run_rule(PORT_SCAN, events)] == [20]


def test_denials_in_an_asa_flow_export_count_with_the_logs(run_rule) -> None:
    """NSEL's flow-denied records are denied connections too: ten in the export and ten in
    a FortiGate's log make the scan; flows the ASA created or deleted do not count."""
    events = [
        *nsel("198.51.100.23", range(1000, 1010)),
        *scan("198.51.100.23", range(1010, 1020)),
        *nsel("198.51.100.23", range(2000, 2010), firewall_event=1),
        *nsel("198.51.100.23", range(3000, 3010), firewall_event=2),
    ]
    assert [r["value_count"] for r in run_rule(PORT_SCAN, events)] == [20]
    rows = run_rule(PORT_SCAN, nsel("192.0.2.77", range(1000, 1020)))  # the export alone
    assert sorted(r["group_key"] for r in rows) == ["192.0.2.77", "198.51.100.23"]


def test_nineteen_ports_stay_below_the_threshold(run_rule) -> None:
    assert run_rule(PORT_SCAN, scan("198.51.100.23", range(1000, 1019))) == []


def test_repeated_ports_count_once(run_rule) -> None:
    # 38 denied connections, but only 19 different ports.
    ports = list(range(1000, 1019)) * 2
    assert run_rule(PORT_SCAN, scan("198.51.100.23", ports)) == []


def test_accepted_connections_do_not_count(run_rule) -> None:
    accepted = [
        event("fortigate", "198.51.100.23", 2000 + i, 30 + i, action="accept") for i in range(5)
    ]
    assert run_rule(PORT_SCAN, scan("198.51.100.23", range(1000, 1019)) + accepted) == []


def test_sources_are_counted_separately(run_rule) -> None:
    events = scan("198.51.100.23", range(1000, 1020)) + scan("192.0.2.50", range(1000, 1019))
    assert [r["group_key"] for r in run_rule(PORT_SCAN, events)] == ["198.51.100.23"]


def test_denials_outside_the_firewall_logs_do_not_count(run_rule) -> None:
    """An IPS's blocked alert is denied too, but not a firewall's policy decision."""
    ips = event("fortigate", "198.51.100.23", 4000, 50)
    ips["event"]["dataset"] = "suricata.eve"
    assert run_rule(PORT_SCAN, [*scan("198.51.100.23", range(1000, 1019)), ips]) == []


def test_a_single_denied_connection_is_not_an_alert_on_its_own(shipped: Catalog) -> None:
    assert shipped.get(DENIED) is None
