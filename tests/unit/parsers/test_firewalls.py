"""Firewall logs to ECS from the samples: netfilter (iptables.log), pfSense filterlog, Cisco ASA,
PAN-OS (TRAFFIC/THREAT, GlobalProtect, System, Config, Authentication, User-ID, HIP Match) and
FortiGate UTM/event logs, each through the syslog header parser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.parsers import cisco_asa, iptables, panos, pfsense
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.model.event import get_field

SAMPLES = Path(__file__).parent / "samples"
RECEIVED = datetime(2024, 3, 5, 12, tzinfo=UTC)


def events(name: str) -> list[dict]:
    lines = (SAMPLES / name).read_bytes().splitlines()
    return [to_ecs(parse_syslog(line, received=RECEIVED), peer_ip="10.20.0.254") for line in lines]


def test_iptables_ufw_block() -> None:
    ufw, drop, edge, ipv6 = events("iptables.log")
    assert {d["event"]["dataset"] for d in (ufw, drop, edge, ipv6)} == {"iptables.log"}
    assert ufw["event"]["action"] == "block"
    assert ufw["event"]["type"] == ["connection", "denied"]
    assert ufw["event"]["outcome"] == "failure"  # the port-scan rule reads it first (cheap)
    assert ufw["source"] == {"ip": "203.0.113.9", "port": 51515, "mac": "52-54-00-65-43-21"}
    assert ufw["destination"] == {"ip": "10.20.1.5", "port": 22, "mac": "52-54-00-12-34-56"}
    assert ufw["network"] == {"transport": "tcp", "type": "ipv4"}
    assert ufw["iptables"]["input_device"] == "eth0"
    assert ufw["iptables"]["tcp"] == {"flags": ["SYN"], "window": 64240, "reserved_bits": 0}
    assert ufw["iptables"]["fragment_flags"] == ["DF"]
    assert ufw["iptables"]["ttl"] == 51
    assert ufw["process"]["name"] == "kernel"
    assert drop["event"]["action"] == "drop"
    assert drop["iptables"]["output_device"] == "eth1" or drop["iptables"]["output_device"]
    assert drop["destination"]["port"] == 53 and drop["network"]["transport"] == "udp"


def test_iptables_edgeos_and_ipv6() -> None:
    _, _, edge, ipv6 = events("iptables.log")
    assert edge["event"]["action"] == "drop"
    assert edge["rule"] == {"name": "WAN_LOCAL", "id": "default"}
    assert edge["iptables"]["icmp"] == {"type": 8, "code": 0, "id": 1, "seq": 1}
    assert edge["network"]["transport"] == "icmp"
    assert ipv6["source"]["ip"] == "2001:db8::9"  # canonical form
    assert ipv6["network"]["type"] == "ipv6"
    assert ipv6["event"]["action"] == "accept"
    assert ipv6["event"]["type"] == ["connection", "allowed"]
    assert ipv6["event"]["outcome"] == "success"
    assert ipv6["iptables"]["flow_label"] == 12345


def test_iptables_ether_type_that_is_not_hex_is_left_out() -> None:
    doc = iptables.parse(
        "IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:0g:00 SRC=10.0.0.9 DST=10.0.0.1 "
        "PROTO=TCP SPT=1 DPT=2"
    )
    assert doc is not None and "ether_type" not in doc["iptables"]
    assert doc["source"]["mac"] == "66-77-88-99-AA-BB"


def test_iptables_icmp_error_keeps_the_quoted_packet_out() -> None:
    """An ICMP error quotes the packet it answers in brackets; that packet's ports and DF flag
    are not the ICMP packet's (the ICMP packet has no ports)."""
    doc = iptables.parse(
        "[FW-DENY] IN=eth0 OUT= MAC=00:16:3e:11:22:33:00:16:3e:44:55:66:08:00 SRC=192.0.2.1 "
        "DST=198.51.100.20 LEN=88 TOS=0x00 PREC=0x00 TTL=62 ID=3001 PROTO=ICMP TYPE=3 CODE=3 "
        "[SRC=198.51.100.20 DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=60 ID=0 DF PROTO=UDP "
        "SPT=40000 DPT=33434 LEN=40 ] MARK=0x1"
    )
    assert doc is not None
    assert doc["source"] == {"ip": "192.0.2.1", "mac": "00-16-3E-44-55-66"}
    assert doc["destination"] == {"ip": "198.51.100.20", "mac": "00-16-3E-11-22-33"}
    assert doc["network"]["transport"] == "icmp"
    assert doc["iptables"]["icmp"] == {"type": 3, "code": 3}
    assert doc["iptables"]["length"] == 88 and doc["iptables"]["id"] == 3001
    assert "fragment_flags" not in doc["iptables"]


def test_iptables_transport_keys_are_not_the_ip_headers() -> None:
    """`LEN=` and `ID=` come twice: the IP header's, then UDP's length or ICMP's echo id. An
    IPv6 header has no ID, so an ICMPv6 echo's id is not the packet's."""
    echo6 = iptables.parse(
        "IN= OUT=lo SRC=2001:db8::1 DST=2001:db8::2 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=1 "
        "PROTO=ICMPv6 TYPE=128 CODE=0 ID=3427 SEQ=5"
    )
    udp = iptables.parse(
        "[LAN_IN-10-A]IN=eth1 OUT=eth0 SRC=192.0.2.10 DST=203.0.113.53 LEN=540 TOS=0x00 "
        "PREC=0x00 TTL=64 ID=27223 PROTO=UDP SPT=48689 DPT=53 LEN=520"
    )
    assert echo6 is not None and udp is not None
    assert "id" not in echo6["iptables"]
    assert echo6["iptables"]["icmp"] == {"type": 128, "code": 0, "id": 3427, "seq": 5}
    assert udp["iptables"]["length"] == 540 and udp["iptables"]["id"] == 27223
    assert udp["iptables"]["udp"] == {"length": 520}


def test_iptables_needs_its_keys() -> None:
    assert iptables.parse("eth0: link up") is None
    assert iptables.parse("IN=eth0 OUT= SRC=bogus DST=10.0.0.1 PROTO=TCP") is None


def test_pfsense_filterlog_variants() -> None:
    tcp4, udp4, icmp4, tcp6, icmp6 = events("pfsense_filterlog.log")
    assert {d["event"]["dataset"] for d in events("pfsense_filterlog.log")} == {"pfsense.log"}
    assert tcp4["process"]["name"] == "filterlog" and "name" not in tcp4.get("host", {})
    assert tcp4["event"]["action"] == "block" and tcp4["event"]["outcome"] == "failure"
    assert tcp4["network"] == {"type": "ipv4", "direction": "inbound", "transport": "tcp",
                               "iana_number": "6"}  # fmt: skip
    assert tcp4["source"] == {"ip": "203.0.113.9", "port": 51515}
    assert tcp4["destination"] == {"ip": "10.20.1.5", "port": 22}
    assert tcp4["rule"] == {"id": "1000000103", "name": "5"}
    assert tcp4["observer"]["ingress"]["interface"]["name"] == "em0"
    assert tcp4["pfsense"]["tcp"]["flags"] == "S"
    assert tcp4["pfsense"]["ip"]["ttl"] == 64
    assert udp4["event"]["type"] == ["connection", "allowed"]
    assert udp4["network"]["direction"] == "outbound"
    assert udp4["pfsense"]["udp"] == {"length": 53}
    assert icmp4["pfsense"]["icmp"] == {"type": "request", "id": 4321, "seq": 1}
    assert "port" not in icmp4["source"]
    assert tcp6["network"]["type"] == "ipv6" and tcp6["destination"]["port"] == 3389
    assert tcp6["source"]["ip"] == "2001:db8::9"
    assert icmp6["network"]["transport"] == "ipv6-icmp"


def test_pfsense_undecoded_icmp_is_no_icmp_type() -> None:
    """OPNsense writes `datalength=N` where it does not decode an ICMPv6 message; that is no
    ICMP type."""
    doc = pfsense.parse(
        "32,,,a1b2c3d4,igb0,match,pass,in,6,0x0,0x00000,255,ipv6-icmp,58,16,"
        "fe80::1,ff02::1:2,datalength=16"
    )
    assert doc is not None and doc["network"]["transport"] == "ipv6-icmp"
    assert "icmp" not in doc["pfsense"]
    assert doc["destination"] == {"ip": "ff02::1:2"}


def test_pfsense_rejects_other_csv() -> None:
    assert pfsense.parse("a,b,c") is None
    assert pfsense.parse("5,,,1,em0,match,block,in,4,0x0,,64,1,0,DF,6,tcp,60,x,y,1,2") is None


ASA_EXPECTED = {
    "106001": ("firewall-rule", "failure", "203.0.113.9", 51515, "10.20.1.5", 22),
    "106006": ("firewall-rule", "failure", "203.0.113.9", 5060, "10.20.1.5", 5060),
    "106007": ("firewall-rule", "failure", "203.0.113.9", 53, "10.20.1.5", 5353),
    "106014": ("firewall-rule", "failure", "203.0.113.9", None, "10.20.1.5", None),
    "106015": ("firewall-rule", "failure", "10.20.1.5", 443, "203.0.113.9", 51515),
    "106023": ("firewall-rule", "failure", "203.0.113.9", 51515, "10.20.1.5", 3389),
    "106100": ("firewall-rule", "failure", "203.0.113.9", 51516, "10.20.1.5", 445),
    "302014": ("flow-expiration", "success", "203.0.113.9", 51517, "10.20.1.5", 443),
    "302015": ("flow-creation", "success", "10.20.4.17", 53111, "8.8.8.8", 53),
    "302016": ("flow-expiration", "success", "8.8.8.8", 53, "10.20.4.17", 53111),
    "302020": ("flow-creation", "success", "203.0.113.9", None, "10.20.1.5", None),
    "302021": ("flow-expiration", "success", "10.20.1.5", None, "203.0.113.9", None),
    "305011": ("nat-slot", "success", "10.20.4.17", 52244, None, None),
    "305012": ("nat-slot", "success", "10.20.4.17", 52244, None, None),
    "313001": ("firewall-rule", "failure", "203.0.113.9", None, None, None),
    "710003": ("firewall-rule", "failure", "203.0.113.9", 51518, "198.51.100.5", 22),
    "113004": ("logged-in", "success", None, None, None, None),
    "113005": ("logon-failed", "failure", "203.0.113.9", None, None, None),
    "611101": ("logged-in", "success", "10.20.4.17", None, None, None),
    "605005": ("logged-in", "success", "10.20.4.17", 52300, "10.20.0.1", None),
    "605004": ("logon-failed", "failure", "203.0.113.9", 52301, "198.51.100.5", None),
}


def asa_by_id() -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for doc in events("cisco_asa.log"):
        found.setdefault(doc["event"]["code"], []).append(doc)
    return found


@pytest.mark.parametrize("message_id", ASA_EXPECTED)
def test_asa_message(message_id: str) -> None:
    doc = asa_by_id()[message_id][0]
    action, outcome, src, sport, dst, dport = ASA_EXPECTED[message_id]
    assert doc["event"]["dataset"] == "cisco.asa"
    assert (doc["event"]["action"], doc["event"]["outcome"]) == (action, outcome)
    assert doc.get("source", {}).get("ip") == src
    assert doc.get("source", {}).get("port") == sport
    assert doc.get("destination", {}).get("ip") == dst
    assert doc.get("destination", {}).get("port") == dport
    assert doc["observer"]["vendor"] == "Cisco"
    assert doc["host"]["name"] == "asa-fw"


def test_asa_details() -> None:
    found = asa_by_id()
    acl = found["106023"][0]
    assert acl["rule"] == {"name": "outside_access_in"}
    assert acl["cisco"]["asa"]["source_interface"] == "outside"
    assert acl["observer"]["egress"]["interface"]["name"] == "inside"
    assert acl["event"]["severity"] == 4 and acl["log"]["level"] == "warning"
    inbound, outbound = found["302013"]
    assert inbound["source"]["ip"] == "203.0.113.9"
    assert inbound["destination"] == {"ip": "10.20.1.5", "port": 443,
                                      "nat": {"ip": "198.51.100.5", "port": 443}}  # fmt: skip
    assert inbound["network"] == {"direction": "inbound", "transport": "tcp"}
    assert outbound["source"] == {"ip": "10.20.4.17", "port": 52244,
                                  "nat": {"ip": "198.51.100.5", "port": 52244}}  # fmt: skip
    assert outbound["destination"] == {"ip": "198.51.100.80", "port": 80}
    teardown = found["302014"][0]
    assert teardown["event"]["duration"] == 65 * 10**9
    assert teardown["network"]["bytes"] == 123456
    assert teardown["cisco"]["asa"]["termination_reason"] == "TCP FINs"
    assert found["305011"][0]["source"]["nat"] == {"ip": "198.51.100.5", "port": 52244}
    assert found["113005"][0]["user"]["name"] == "admin"
    assert found["113004"][0]["user"]["name"] == "nguyen.van.a"
    assert found["605004"][0]["user"]["name"] == "admin"
    other = found["199005"][0]
    assert other["message"] == "Startup begin" and "action" not in other["event"]
    no_header = found["106023"][1]  # `<166>%ASA-4-106023: ...` with no timestamp or host
    assert no_header["destination"]["port"] == 161 and no_header["network"]["transport"] == "udp"


def test_asa_tag_in_message_and_ftd() -> None:
    doc = cisco_asa.parse("%FTD-6-302016: Teardown UDP connection 9 for outside:8.8.8.8/53 to "
                          "inside:10.0.0.1/5000 duration 0:00:01 bytes 90")  # fmt: skip
    assert doc is not None and doc["observer"]["product"] == "ftd"
    assert doc["event"]["action"] == "flow-expiration"
    assert cisco_asa.parse("no tag here") is None


def test_panos_traffic() -> None:
    end, deny, *_ = events("panos.log")
    assert end["event"]["dataset"] == "panw.panos"
    assert end["event"]["action"] == "flow_terminated" and end["event"]["outcome"] == "success"
    assert end["event"]["type"] == ["end", "connection", "allowed"]
    assert end["source"]["ip"] == "10.20.4.17" and end["source"]["port"] == 52244
    assert end["source"]["nat"] == {"ip": "198.51.100.5", "port": 40001}
    assert end["source"]["bytes"] == 1200 and end["destination"]["bytes"] == 4200
    assert end["network"]["bytes"] == 5400 and end["network"]["transport"] == "tcp"
    assert end["network"]["application"] == "ssl"
    assert end["user"] == {"name": "nguyen.van.a", "domain": "soyte"}
    assert end["rule"]["name"] == "allow-web"
    assert end["observer"]["hostname"] == "PA-SOYTE-01"
    assert end["observer"]["ingress"] == {"zone": "trust", "interface": {"name": "ethernet1/2"}}
    assert end["event"]["duration"] == 65 * 10**9
    assert end["panw"]["panos"]["session_end_reason"] == "tcp-fin"
    assert end["host"]["name"] == "PA-SOYTE-01"
    assert deny["event"]["action"] == "flow_denied" and deny["event"]["outcome"] == "failure"
    assert deny["destination"]["port"] == 3389
    assert "nat" not in deny["source"]  # 0.0.0.0: no translation


def test_panos_threat() -> None:
    _, _, exploit, url, virus = events("panos.log")
    assert exploit["event"]["kind"] == "alert"
    assert exploit["event"]["action"] == "exploit_detected"
    assert exploit["event"]["severity"] == 1 and exploit["log"]["level"] == "critical"
    assert (
        exploit["panw"]["panos"]["threat_name"]
        == "Apache Log4j Remote Code Execution Vulnerability"
    )
    assert exploit["panw"]["panos"]["threat_id"] == "91991"
    assert exploit["network"]["direction"] == "inbound"
    assert exploit["http"]["request"]["method"] == "GET"
    assert exploit["url"]["original"].startswith("portal.soyte.gov.vn/index.php?x=${jndi")
    assert url["event"]["action"] == "url_filtering"
    assert url["panw"]["panos"]["threat_name"] == "URL-filtering"
    assert virus["file"]["name"] == "eicar.com"
    assert virus["file"]["hash"]["sha256"].startswith("275a021b")
    assert virus["network"]["direction"] == "outbound"


def test_panos_other_lines() -> None:
    assert panos.parse("1,2024/03/05 10:00:06,0128,SYSTEM,general,,") is None
    assert panos.parse("x,TRAFFIC,short") is None


def test_fortigate_utm_and_event_logs() -> None:
    virus, ips, web, dns, admin, vpn_fail, tunnel = events("fortigate_utm_event.log")
    assert virus["event"]["category"] == ["malware", "network"]
    assert virus["event"]["type"] == ["denied"] and virus["event"]["outcome"] == "failure"
    assert virus["file"]["name"] == "eicar.com"
    assert virus["message"] == "File is infected."
    assert ips["event"]["category"] == ["intrusion_detection", "network"]
    assert ips["rule"]["description"] == "Apache.Log4j.Error.Log.Remote.Code.Execution"
    assert ips["url"]["domain"] == "portal.soyte.gov.vn"
    assert web["event"]["category"] == ["web", "network"]
    assert web["rule"]["category"] == "Gambling"
    assert dns["dns"] == {
        "question": {"name": "update.example.com", "type": "A", "class": "IN"},
        "id": "4321",
        "resolved_ip": ["198.51.100.7"],
    }
    assert dns["event"]["type"] == ["allowed"]
    assert admin["event"]["category"] == ["authentication"]
    assert admin["event"]["outcome"] == "failure" and admin["user"]["name"] == "admin"
    assert admin["source"]["ip"] == "203.0.113.9"
    assert vpn_fail["event"]["action"] == "ssl-login-fail"
    assert vpn_fail["event"]["category"] == ["authentication"]
    assert tunnel["event"]["outcome"] == "success"
    assert all(d["@timestamp"].startswith("2024-03-05T07:") for d in (virus, ips, web, dns))


def _panos(line: str) -> dict:
    return to_ecs(parse_syslog(line.encode(), received=RECEIVED), peer_ip=None)


def test_panos_traffic_drop_or_deny_is_denied_whatever_the_action_column() -> None:
    # PAN-OS writes the rule's action even for a session no rule allowed (sub-type drop/deny)
    line = (
        "<14>Mar  5 10:00:09 PA-EDGE-02 1,2024/03/05 10:00:09,013201009999,TRAFFIC,deny,2561,"
        "2024/03/05 10:00:09,192.0.2.44,203.0.113.9,198.51.100.5,203.0.113.9,outbound-web,,,ping,"
        "vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd-all,2024/03/05 10:00:09,81234,6,0,0,0,0,"
        "0x500019,icmp,allow,1176,588,588,12,2024/03/05 10:00:01,0,any,0,7000001,0x0,"
        "192.0.2.0-192.0.2.255,United States,0,6,6,aged-out,0,0,0,0,,PA-EDGE-02,from-policy"
    )
    doc = _panos(line)
    assert doc["event"]["action"] == "flow_denied"
    assert doc["event"]["type"] == ["denied", "connection"]
    assert doc["event"]["outcome"] == "failure"


@pytest.mark.parametrize(
    ("action", "kind", "outcome"),
    [
        ("drop-all-packets", "denied", "failure"),
        ("block-continue", "denied", "failure"),
        ("block-override", "denied", "failure"),
        ("override-lockout", "denied", "failure"),
        ("override", "allowed", "success"),
    ],
)
def test_panos_threat_and_url_filtering_actions(action: str, kind: str, outcome: str) -> None:
    # Actions of Palo Alto's Threat and URL Filtering log field descriptions
    line = (
        "<14>Mar  5 10:00:11 PA-EDGE-02 1,2024/03/05 10:00:11,013201009999,THREAT,spyware,2561,"
        "2024/03/05 10:00:11,192.0.2.44,203.0.113.77,0.0.0.0,0.0.0.0,outbound-web,,,dns,vsys1,"
        "trust,untrust,ethernet1/2,ethernet1/1,fwd-all,2024/03/05 10:00:11,81240,1,53011,53,0,0,"
        f'0x0,udp,{action},"",Suspicious DNS Query (bad.example)(109001001),any,medium,'
        "client-to-server,7000002,0x0,192.0.2.0-192.0.2.255,United States,0,"
    )
    doc = _panos(line)
    assert doc["event"]["type"] == [kind]
    assert doc["event"]["outcome"] == outcome
    assert doc["panw"]["panos"]["threat_id"] == "109001001"


# PAN-OS log types beyond TRAFFIC/THREAT, in the column orders of Palo Alto's "Syslog Field
# Descriptions" (GlobalProtect, System, Config, Authentication, User-ID, HIP Match log fields).
PAN_HEADER = "<14>Mar  5 10:01:00 PA-SOYTE-01 "
GP_FAILED = (
    "1,2024/03/05 10:01:00,012801000001,GLOBALPROTECT,0,2561,2024/03/05 10:01:00,vsys1,"
    "gateway-auth,login,LDAP,SSLVPN,soyte\\tran.thi.b,VN,LAPTOP-TTB,203.0.113.45,,0.0.0.0,,,,"
    '6.2.1,Windows,"Microsoft Windows 10 Pro , 64-bit",1,,Authentication failed: Invalid '
    "username or password,,failure,,0,on-demand,13,GP-PORTAL,7101,0x8000000000000000,"
    "2024-03-05T10:01:00.123+07:00,,,,,,0,0,0,0,,PA-SOYTE-01,1,"
)


def test_panos_globalprotect_failed_login() -> None:
    doc = _panos(PAN_HEADER + GP_FAILED)
    assert doc["event"]["dataset"] == "panw.panos"
    assert doc["event"]["category"] == ["authentication"] and doc["event"]["type"] == ["start"]
    assert doc["event"]["action"] == "gateway-auth" and doc["event"]["outcome"] == "failure"
    assert doc["user"] == {"name": "tran.thi.b", "domain": "soyte"}
    assert doc["source"] == {"ip": "203.0.113.45"}  # private IP 0.0.0.0: no tunnel yet
    assert doc["error"] == {
        "message": "Authentication failed: Invalid username or password",
        "code": "13",
    }
    assert doc["host"] == {
        "name": "LAPTOP-TTB",
        "os": {"name": "Windows", "full": "Microsoft Windows 10 Pro , 64-bit"},
    }
    assert doc["observer"]["serial_number"] == "012801000001"
    assert doc["observer"]["hostname"] == "PA-SOYTE-01"
    assert doc["related"] == {"ip": ["203.0.113.45"], "user": ["tran.thi.b"]}
    assert doc["panw"]["panos"]["stage"] == "login"


def test_panos_globalprotect_tunnel_up_with_more_columns_than_11_0() -> None:
    line = (
        "1,2024/03/05 10:02:00,012801000001,GLOBALPROTECT,0,2561,2024/03/05 10:02:00,vsys1,"
        "gateway-connected,connected,SAML,IPSec,le.van.c@sogiaoduc.example,VN,PC-LVC-01,"
        "198.51.100.23,,192.0.2.17,,a1b2c3,SN1234,6.2.1,Mac,10.15.7,1,,,Tunnel is up,success,"
        "Ha Noi,0,user-logon,0,GP-PORTAL,7102,0x8000000000000000,2024-03-05T10:02:00.456+07:00,"
        'manual,55,highest,"gw-hn,55,highest",gw-hn,0,0,0,0,,PA-SOYTE-01,1,fw-cluster,'
        "extra-column-a,extra-column-b"
    )
    doc = _panos(PAN_HEADER + line)
    assert doc["event"]["category"] == ["session"] and doc["event"]["type"] == ["start"]
    assert doc["event"]["outcome"] == "success"
    assert doc["user"] == {"name": "le.van.c", "domain": "sogiaoduc.example"}
    # the tunnel address where the OpenVPN parser puts a client's pool address
    assert doc["source"] == {"ip": "198.51.100.23", "nat": {"ip": "192.0.2.17"}}
    assert doc["related"]["ip"] == ["198.51.100.23", "192.0.2.17"]
    assert doc["host"]["os"] == {"name": "Mac", "version": "10.15.7"}
    assert doc["message"] == "Tunnel is up"
    assert doc["panw"]["panos"]["attempted_gateways"] == "gw-hn,55,highest"
    assert doc["panw"]["panos"]["cluster_name"] == "fw-cluster"


def test_panos_globalprotect_with_fewer_columns() -> None:
    line = (
        "1,2024/03/05 10:02:00,012801000001,GLOBALPROTECT,0,2561,2024/03/05 10:02:00,vsys1,"
        "portal-auth,login,RADIUS,SSLVPN,nguyen.van.d,VN,,2001:db8::45"
    )
    doc = _panos(PAN_HEADER + line)
    assert doc["event"]["action"] == "portal-auth"
    assert doc["event"]["category"] == ["authentication"] and "outcome" not in doc["event"]
    assert doc["user"] == {"name": "nguyen.van.d"} and doc["source"] == {"ip": "2001:db8::45"}
    assert doc["host"] == {"name": "PA-SOYTE-01"}  # no machine name: the header's


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        # PAN-OS before 9.1: GlobalProtect log-ins are SYSTEM logs with the facts in the text
        (
            "1,2024/03/05 10:03:00,012801000001,SYSTEM,globalprotect,2561,2024/03/05 10:03:00,,"
            'globalprotectgateway-auth-fail,GP-GW,0,0,general,medium,"GlobalProtect gateway user '
            "authentication failed. Login from: 203.0.113.77, Source region: VN, User name: "
            "soyte\\pham.e, Client OS version: Microsoft Windows 10 Pro , 64-bit, Reason: "
            'Authentication failed: Invalid username or password, Auth type: profile.",7201,0x0,'
            "0,0,0,0,,PA-SOYTE-01",
            {
                "event.category": ["authentication"],
                "event.outcome": "failure",
                "event.action": "globalprotectgateway-auth-fail",
                "source.ip": "203.0.113.77",
                "user.name": "pham.e",
                "user.domain": "soyte",
                "log.level": "medium",
                "event.severity": 3,
                "event.reason": "Authentication failed: Invalid username or password",
            },
        ),
        (
            "1,2024/03/05 10:03:00,012801000001,SYSTEM,globalprotect,2561,2024/03/05 10:03:00,,"
            'globalprotectgateway-config-succ,GP-GW,0,0,general,informational,"GlobalProtect '
            "gateway client configuration generated. User name: pham.e, Private IP: 192.0.2.21, "
            "Client version: 5.2.8, Device name: PC-PHAM-E, Client OS version: Microsoft Windows "
            '10 Pro , 64-bit, VPN type: Device Level VPN.",7202,0x0,0,0,0,0,,PA-SOYTE-01',
            {
                "event.category": ["session"],
                "event.outcome": "success",
                "user.name": "pham.e",
                "source.nat.ip": "192.0.2.21",
                "host.name": "PC-PHAM-E",
                "host.os.full": "Microsoft Windows 10 Pro , 64-bit",
            },
        ),
        # an administrator's log-in to the management interface, 10.x description
        (
            "1,2024/03/05 10:05:00,012801000001,SYSTEM,auth,2561,2024/03/05 10:05:00,,auth-fail,,"
            "0,0,general,medium,\"failed authentication for user 'admin'.   Reason: Invalid "
            "username/password. auth profile '', vsys 'shared', server profile '', server address "
            "'', From: 198.51.100.200.\",7203,0x0,0,0,0,0,,PA-SOYTE-01,0,0,"
            "2024-03-05T10:05:00.000+07:00",
            {
                "event.category": ["authentication"],
                "event.type": ["start"],
                "event.outcome": "failure",
                "user.name": "admin",
                "source.ip": "198.51.100.200",
                "event.reason": "Invalid username/password",
            },
        ),
        (
            "1,2024/03/05 10:05:00,012801000001,SYSTEM,auth,2561,2024/03/05 10:05:00,,"
            "auth-success,,0,0,general,informational,\"authenticated for user 'quantri'.   auth "
            "profile 'AP-LDAP', vsys 'shared', server profile 'LDAP-SOYTE', server address "
            "'192.0.2.10', From: 192.0.2.50.\",7204,0x0,0,0,0,0,,PA-SOYTE-01",
            {
                "event.outcome": "success",
                "user.name": "quantri",
                "source.ip": "192.0.2.50",
                "related.user": ["quantri"],
            },
        ),
        (
            "1,2024/03/05 10:05:00,012801000001,SYSTEM,general,2561,2024/03/05 10:05:00,,general,"
            ",0,0,general,informational,User quantri logged out via Web from 192.0.2.50 using "
            "https,7205,0x0,0,0,0,0,,PA-SOYTE-01",
            {
                "event.category": ["authentication"],
                "event.type": ["end"],
                "user.name": "quantri",
                "source.ip": "192.0.2.50",
            },
        ),
        (
            "1,2024/03/05 10:06:00,012801000001,SYSTEM,ha,2561,2024/03/05 10:06:00,,ha-link-down,"
            ",0,0,ha,critical,HA1 link down,7206,0x0,0,0,0,0,,PA-SOYTE-01",
            {
                "event.category": ["host"],
                "event.type": ["info"],
                "event.action": "ha-link-down",
                "message": "HA1 link down",
                "log.level": "critical",
                "event.severity": 1,
            },
        ),
        # Config: 9.0+ with before/after columns; 8.x default without them; a host name
        (
            "1,2024/03/05 10:07:00,012801000001,CONFIG,0,2561,2024/03/05 10:07:00,192.0.2.50,"
            "vsys1,edit,quantri,Web,Succeeded, vsys  vsys1 rulebase security rules  allow-web,"
            '"action: allow","action: deny",7301,0x0,0,0,0,0,,PA-SOYTE-01,,,0,'
            "2024-03-05T10:07:00.000+07:00",
            {
                "event.category": ["configuration"],
                "event.type": ["change"],
                "event.action": "edit",
                "event.outcome": "success",
                "user.name": "quantri",
                "source.ip": "192.0.2.50",
                "panw.panos.after_change_detail": "action: deny",
                "panw.panos.sequence_number": "7301",
            },
        ),
        (
            "1,2024/03/05 10:07:00,012801000001,CONFIG,0,2561,2024/03/05 10:07:00,192.0.2.51,,"
            "commit,admin,CLI,Failed,,7302,0x0,0,0,0,0,,PA-SOYTE-01",
            {
                "event.action": "commit",
                "event.outcome": "failure",
                "panw.panos.sequence_number": "7302",
                "observer.hostname": "PA-SOYTE-01",
            },
        ),
        (
            "1,2024/03/05 10:07:00,012801000001,CONFIG,0,2561,2024/03/05 10:07:00,"
            "pc-admin.soyte.example,vsys1,set,SOYTE\\admin2,Web,Unauthorized, deviceconfig "
            "system,,,7303,0x0,0,0,0,0,,PA-SOYTE-01",
            {
                "event.outcome": "failure",
                "user.name": "admin2",
                "user.domain": "SOYTE",
                "source.domain": "pc-admin.soyte.example",
            },
        ),
        # Authentication (8.0+): authentication policy log-ins; Strata forwards the type as AUTH
        (
            "1,2024/03/05 10:08:00,012801000001,AUTHENTICATION,0,2561,2024/03/05 10:08:00,vsys1,"
            "203.0.113.90,hoang.f,soyte\\hoang.f,Captive Portal,auth-portal,1,0,,,LDAP-SOYTE,"
            "web portal,Browser,auth-fail,1,7401,0x0,0,0,0,0,,PA-SOYTE-01,1,PAP,,,,,,,,,,"
            "00:50:56:ab:cd:ef,,,Mozilla/5.0,8001,",
            {
                "event.category": ["authentication"],
                "event.type": ["start"],
                "event.action": "auth-fail",
                "event.outcome": "failure",
                "user.name": "hoang.f",
                "user.domain": "soyte",
                "source.ip": "203.0.113.90",
                "source.mac": "00-50-56-AB-CD-EF",
                "rule.name": "auth-portal",
                "user_agent.original": "Mozilla/5.0",
                "message": "web portal",
            },
        ),
        (
            "1,2024/03/05 10:08:00,012801000001,AUTH,0,2561,2024/03/05 10:08:00,vsys1,"
            "198.51.100.91,vu.g@sotc.example,,Captive Portal,auth-portal,1,0,,,RADIUS-SOTC,,"
            "Browser,authentication success,1,7402,0x0,0,0,0,0,,PA-SOYTE-01",
            {
                "event.outcome": "success",
                "event.action": "authentication-success",
                "user.name": "vu.g",
                "user.domain": "sotc.example",
                "source.ip": "198.51.100.91",
            },
        ),
        (
            "1,2024/03/05 10:09:00,012801000001,USERID,login,2561,2024/03/05 10:09:00,vsys1,"
            "192.0.2.77,soyte\\do.h,DC01,0,1,2700,0,0,ad-event-log,active-directory,7501,0x0,0,0,"
            "0,0,,PA-SOYTE-01",
            {
                "event.category": ["session"],
                "event.type": ["start"],
                "event.action": "login",
                "user.name": "do.h",
                "source.ip": "192.0.2.77",
                "panw.panos.data_source_type": "active-directory",
            },
        ),
        (
            "1,2024/03/05 10:09:00,012801000001,HIPMATCH,0,2561,2024/03/05 10:09:00,"
            "soyte\\tran.thi.b,vsys1,LAPTOP-TTB,Windows,192.0.2.17,Corp-Managed,1,profile,,,7601,"
            "0x0,0,0,0,0,,PA-SOYTE-01,1,,hostid1,SN1,00-50-56-AA-BB-CC",
            {
                "event.category": ["host"],
                "user.name": "tran.thi.b",
                "source.ip": "192.0.2.17",
                "host.name": "LAPTOP-TTB",
                "host.os.name": "Windows",
                "rule.name": "Corp-Managed",
            },
        ),
    ],
)
def test_panos_system_config_authentication_userid_hipmatch(line: str, fields: dict) -> None:
    doc = _panos(PAN_HEADER + line)
    assert doc["event"]["dataset"] == "panw.panos" and doc["event"]["kind"] == "event"
    assert {key: get_field(doc, key) for key in fields} == fields


def test_panos_decryption() -> None:
    line = (
        "1,2024/03/05 10:11:00,012801000001,DECRYPTION,start,2561,2024/03/05 10:11:00,192.0.2.60,"
        "198.51.100.140,203.0.113.5,198.51.100.140,decrypt-outbound,soyte\\mai.k,,ssl,vsys1,trust,"
        "untrust,ethernet1/2,ethernet1/1,fwd-to-soc,2024/03/05 10:11:00,98765,1,51000,443,40100,"
        "443,0x400000,tcp,allow,,,,,,5fbd2e7c-7a5d-4c4e-9f0a-0f2e7f3b5a13,Certificate,Certificate,"
        "TLS1.2,ECDHE,AES_128_GCM,SHA256,decrypt-profile,secp256r1,Certificate,trusted,incomplete,"
        f"Forward,0a1b2c3d,{'4f' * 32},1700000000,1800000000,V3,2048,18,20,0,18,0x0,"
        "portal.example.org,Example Issuing CA,,portal.example.org,Received fatal alert "
        "CertificateUnknown from client,,,,,,,,"
    )
    doc = _panos(PAN_HEADER + line)
    assert doc["event"]["action"] == "decryption" and doc["event"]["outcome"] == "failure"
    assert doc["event"]["category"] == ["network"]
    assert doc["source"]["ip"] == "192.0.2.60" and doc["source"]["nat"]["ip"] == "203.0.113.5"
    assert doc["user"] == {"name": "mai.k", "domain": "soyte"}
    assert doc["tls"] == {
        "version_protocol": "tls",
        "version": "1.2",
        "curve": "secp256r1",
        "client": {"server_name": "portal.example.org"},
        "server": {
            "x509": {
                "subject": {"common_name": ["portal.example.org"]},
                "issuer": {"common_name": ["Example Issuing CA"]},
                "serial_number": "0a1b2c3d",
            }
        },
    }
    assert doc["error"] == {"message": "Received fatal alert CertificateUnknown from client"}
    assert doc["rule"] == {
        "name": "decrypt-outbound",
        "uuid": "5fbd2e7c-7a5d-4c4e-9f0a-0f2e7f3b5a13",
    }


@pytest.mark.parametrize(
    "line",
    [
        "1,2024/03/05 10:10:00,012801000001,GLOBALPROTECT",  # cut after the type
        "1,2024/03/05 10:10:00,012801000001,SYSTEM,general,,",  # nothing after the head
        '1,2024/03/05 10:10:00,012801000001,CONFIG,0,2561,2024/03/05 10:10:00,"192.0.2.5',
        "Forwarding SYSTEM,CONFIG,GLOBALPROTECT logs",  # the words, not in the type column
    ],
)
def test_panos_malformed_lines_stay_plain_syslog(line: str) -> None:
    assert panos.parse(line) is None
    doc = _panos(PAN_HEADER + line)
    assert "dataset" not in doc.get("event", {})  # the store's `stamp` makes it `syslog`
    assert doc["message"] == line


def asa_line(line: str) -> dict:
    return to_ecs(parse_syslog(line.encode(), received=RECEIVED), peer_ip=None)


def test_asa_tag_behind_a_clock_or_a_relay_host() -> None:
    # A relay's header, then the ASA's own clock; the tag with a class (`auth`) in it.
    relayed = asa_line(
        "<166>Mar  5 10:00:02 relay-1 : Mar  5 03:00:02 UTC: %ASA-auth-4-113005: AAA user "
        "authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = jdoe "
        ": user IP = 198.51.100.23"
    )
    assert relayed["event"]["dataset"] == "cisco.asa"
    assert relayed["event"]["action"] == "logon-failed"
    assert relayed["user"] == {"name": "jdoe"} and relayed["source"]["ip"] == "198.51.100.23"
    # A relay that writes `FACILITY.LEVEL: host` before the tag.
    kiwi = asa_line(
        "LOCAL4.WARNING: fw-a %ASA-4-106023: Deny udp src outside:203.0.113.9/5353 dst "
        'inside:192.0.2.5/53 by access-group "outside_in" [0x0, 0x0]'
    )
    assert kiwi["event"]["dataset"] == "cisco.asa" and kiwi["rule"] == {"name": "outside_in"}
    # `logging timestamp rfc5424` without a device id: the ISO clock ends with a colon.
    iso = asa_line(
        "<166>2024-03-05T10:00:03Z: %ASA-6-302016: Teardown UDP connection 9 for "
        "outside:198.51.100.7/53 to inside:192.0.2.5/5000 duration 0:00:01 bytes 90"
    )
    assert iso["event"]["dataset"] == "cisco.asa"
    assert iso["@timestamp"] == "2024-03-05T10:00:03.000Z"
    assert iso["source"] == {"ip": "198.51.100.7", "port": 53}


def test_asa_context_interfaces_and_ipv6_after_a_short_token() -> None:
    context = cisco_asa.parse(
        "%ASA-4-106023: Deny udp src c1:outside:203.0.113.9/5353 dst c1:inside:192.0.2.5 "
        'by access-group "outside_in" [0x0, 0x0]'
    )
    assert context is not None
    assert context["source"] == {"ip": "203.0.113.9", "port": 5353}
    assert context["destination"] == {"ip": "192.0.2.5"}
    assert context["observer"]["ingress"] == {"interface": {"name": "c1:outside"}}
    assert context["observer"]["egress"] == {"interface": {"name": "c1:inside"}}
    ping6 = cisco_asa.parse(
        "%ASA-4-106023: Deny icmp src outside:2001:db8::5 dst inside:2001:db8:1::9 "
        '(type 128, code 0) by access-group "outside_in" [0x0, 0x0]'
    )
    assert ping6 is not None
    assert ping6["source"] == {"ip": "2001:db8::5"}
    assert ping6["destination"] == {"ip": "2001:db8:1::9"}


def test_asa_identity_firewall_users_and_security_group_tags() -> None:
    built = cisco_asa.parse(
        "%ASA-6-302013: Built inbound TCP connection 7 for outside:203.0.113.9/51000 "
        "(203.0.113.9/51000)(LOCAL\\jdoe, 1234:Contractors) to inside:192.0.2.5/443 "
        "(192.0.2.5/443) (jdoe)"
    )
    assert built is not None and built["user"] == {"name": "jdoe"}
    tag_only = cisco_asa.parse(
        "%ASA-6-302016: Teardown UDP connection 8 for outside:203.0.113.9/5353(1234:Contractors)"
        " to inside:192.0.2.5/53 duration 0:00:00 bytes 80"
    )
    assert tag_only is not None and "user" not in tag_only
    teardown = cisco_asa.parse(
        "%ASA-6-302014: Teardown TCP connection 9 for outside:203.0.113.9/51000(CORP\\jdoe) to "
        "inside:192.0.2.5/443 duration 0:00:05 bytes 900 TCP FINs from outside (CORP\\jdoe)"
    )
    assert teardown is not None and teardown["user"] == {"name": "jdoe", "domain": "CORP"}
    assert teardown["cisco"]["asa"]["termination_reason"] == "TCP FINs"
    assert teardown["cisco"]["asa"]["termination_initiator"] == "outside"
    ping = cisco_asa.parse(
        "%ASA-6-302020: Built inbound ICMP connection for faddr 203.0.113.9/0(CORP\\jdoe) "
        "gaddr 192.0.2.5/0 laddr 192.0.2.5/0 (jdoe) type 8 code 0"
    )
    assert ping is not None and ping["user"] == {"name": "jdoe", "domain": "CORP"}
    deny = cisco_asa.parse(
        "%ASA-4-106023: Deny udp src inside:192.0.2.5/5353(LOCAL\\jdoe) dst "
        'outside:203.0.113.9/53 by access-group "inside_in" [0x0, 0x0]'
    )
    assert deny is not None and deny["user"] == {"name": "jdoe"}
    acl_user = cisco_asa.parse(
        "%ASA-4-106103: access-list inside_in denied tcp for user 'jdoe' "
        "inside/192.0.2.5(51000) -> outside/203.0.113.9(443) hit-cnt 1 first hit [0x1, 0x0]"
    )
    assert acl_user is not None and acl_user["user"] == {"name": "jdoe"}
    assert acl_user["event"]["outcome"] == "failure" and acl_user["rule"] == {"name": "inside_in"}
    assert acl_user["destination"] == {"ip": "203.0.113.9", "port": 443}


def test_asa_aaa_variants() -> None:
    comma = cisco_asa.parse(
        "%ASA-6-113004: AAA user authentication Successful: server = 192.0.2.10 , User = jdoe"
    )
    assert comma is not None and comma["user"] == {"name": "jdoe"}
    no_name = cisco_asa.parse(
        "%ASA-6-113005: AAA user authentication Rejected : reason = Unspecified : "
        "server = 192.0.2.10 : user = : user IP = 198.51.100.23"
    )
    assert no_name is not None and "user" not in no_name
    assert no_name["source"] == {"ip": "198.51.100.23"}
    unknown_ip = cisco_asa.parse(
        "%ASA-6-113005: AAA user authorization Rejected : reason = AAA failure : "
        "server = 192.0.2.10 : user = jdoe : user IP = None"
    )
    assert unknown_ip is not None and "source" not in unknown_ip
    local_ok = cisco_asa.parse(
        "%ASA-6-113012: AAA user authentication Successful : local database : user = jdoe"
    )
    assert local_ok is not None and local_ok["event"]["action"] == "logged-in"
    assert local_ok["user"] == {"name": "jdoe"}
    local_bad = cisco_asa.parse(
        "%ASA-6-113015: AAA user authentication Rejected : reason = Invalid password : "
        "local database : user = jdoe : user IP = 198.51.100.23"
    )
    assert local_bad is not None and local_bad["event"]["outcome"] == "failure"
    assert local_bad["event"]["reason"] == "Invalid password"
    assert local_bad["user"] == {"name": "jdoe"}
    assert local_bad["source"] == {"ip": "198.51.100.23"}


def test_ftd_security_events() -> None:
    # Firepower's connection, intrusion and malware events: `Key: value` pairs, not ASA text.
    blocked = asa_line(
        "2024-03-05T10:00:04Z fw-b  %FTD-1-430003: AccessControlRuleAction: Block, "
        "SrcIP: 192.0.2.5, DstIP: 203.0.113.9, SrcPort: 51000, DstPort: 443, Protocol: tcp, "
        "IngressInterface: inside, EgressInterface: outside, IngressZone: in-zone, "
        "EgressZone: out-zone, ACPolicy: corp-policy, AccessControlRuleName: Block-Bad, "
        "Prefilter Policy: Default Prefilter Policy, User: CORP\\jdoe, "
        "UserAgent: curl/8.5.0, ApplicationProtocol: HTTP, InitiatorPackets: 4, "
        "ResponderPackets: 3, InitiatorBytes: 400, ResponderBytes: 1200, "
        "URL: http://www.example.com/a, b.zip"
    )
    assert blocked["event"]["action"] == "connection-finished"
    assert blocked["event"]["outcome"] == "failure"
    assert blocked["event"]["type"] == ["connection", "end", "denied"]
    assert blocked["source"] == {"ip": "192.0.2.5", "port": 51000, "bytes": 400, "packets": 4}
    assert blocked["destination"]["bytes"] == 1200
    assert blocked["network"] == {"transport": "tcp", "protocol": "http"}
    assert blocked["rule"] == {"name": "Block-Bad", "ruleset": "corp-policy"}
    assert blocked["user"] == {"name": "jdoe", "domain": "CORP"}
    assert blocked["url"] == {"original": "http://www.example.com/a, b.zip"}
    assert blocked["observer"]["ingress"] == {"interface": {"name": "inside"}, "zone": "in-zone"}
    assert blocked["host"]["name"] == "fw-b"
    intrusion = asa_line(
        "2024-03-05T10:00:05Z fw-b  %FTD-0-430001: SrcIP: 203.0.113.9, DstIP: 192.0.2.5, "
        "SrcPort: 40000, DstPort: 80, Protocol: 6, Priority: 1, GID: 1, SID: 1000001, "
        "Revision: 2, Message: SERVER-WEBAPP example traversal attempt, "
        "Classification: Attempted User Privilege Gain, User: No Authentication Required, "
        "IntrusionPolicy: corp-ips, ACPolicy: corp-policy"
    )
    assert intrusion["event"]["kind"] == "alert"
    assert intrusion["event"]["action"] == "intrusion-detected"
    assert intrusion["network"]["transport"] == "tcp"
    assert intrusion["rule"] == {"name": "SERVER-WEBAPP example traversal attempt",
                                 "id": "1000001", "category": "Attempted User Privilege Gain",
                                 "ruleset": "corp-ips"}  # fmt: skip
    assert "user" not in intrusion
    malware = cisco_asa.parse(
        "%FTD-1-430005: SrcIP: 192.0.2.5, DstIP: 203.0.113.9, SrcPort: 51002, DstPort: 80, "
        "Protocol: tcp, FileDirection: Download, FileAction: Malware Block, "
        "FileSHA256: " + "ab" * 32 + ", SHA_Disposition: Malware, "
        "ThreatName: Example.Test.Threat, FileName: sample.zip, FileSize: 184, "
        "URI: http://www.example.com/sample.zip"
    )
    assert malware is not None and malware["event"]["kind"] == "alert"
    assert malware["file"] == {"name": "sample.zip", "size": 184, "hash": {"sha256": "ab" * 32}}
    assert malware["cisco"]["asa"]["threat_name"] == "Example.Test.Threat"
    assert malware["url"] == {"original": "http://www.example.com/sample.zip"}


def test_asa_spoof_land_and_reverse_path_denies() -> None:
    spoof = cisco_asa.parse(
        "%ASA-2-106016: Deny IP spoof from (192.0.2.66) to 198.51.100.9 on interface outside"
    )
    assert spoof is not None and spoof["event"]["action"] == "firewall-rule"
    assert spoof["event"]["outcome"] == "failure"
    assert spoof["source"] == {"ip": "192.0.2.66"} and "network" not in spoof
    assert spoof["observer"]["ingress"] == {"interface": {"name": "outside"}}
    land = cisco_asa.parse("%ASA-2-106017: Deny IP due to Land Attack from 192.0.2.7 to 192.0.2.7")
    assert land is not None and land["destination"] == {"ip": "192.0.2.7"}
    rpf = cisco_asa.parse(
        "%ASA-1-106021: Deny TCP reverse path check from 203.0.113.9 to 192.0.2.5 on interface "
        "outside"
    )
    assert rpf is not None and rpf["network"] == {"transport": "tcp"}
    icmp6 = cisco_asa.parse(
        "%ASA-3-313008: Denied IPv6-ICMP type=134, code=0 from 2001:db8::1 on interface outside"
    )
    assert icmp6 is not None and icmp6["network"] == {"transport": "ipv6-icmp"}
    assert icmp6["source"] == {"ip": "2001:db8::1"}


def test_asa_icmp_connection_translation() -> None:
    # The global address translates the inside host (laddr), the destination when inbound.
    inbound = cisco_asa.parse(
        "%ASA-6-302020: Built inbound ICMP connection for faddr 203.0.113.9/1 gaddr "
        "198.51.100.5/0 laddr 192.0.2.5/0 type 8 code 0"
    )
    assert inbound is not None
    assert inbound["destination"] == {"ip": "192.0.2.5", "nat": {"ip": "198.51.100.5"}}
    outbound = cisco_asa.parse(
        "%ASA-6-302021: Teardown ICMP connection for faddr 203.0.113.9/0 gaddr 198.51.100.5/7 "
        "laddr 192.0.2.5/7 type 8 code 0"
    )
    assert outbound is not None
    assert outbound["source"] == {"ip": "192.0.2.5", "nat": {"ip": "198.51.100.5"}}


def test_asa_vpn_peer_user_and_group() -> None:
    anyconnect = cisco_asa.parse(
        "%ASA-6-113039: Group <Remote Staff> User <CORP\\jdoe> IP <203.0.113.9> AnyConnect "
        "parent session started."
    )
    assert anyconnect is not None
    assert anyconnect["user"] == {"name": "jdoe", "domain": "CORP"}
    assert anyconnect["group"] == {"name": "Remote Staff"}
    assert anyconnect["source"] == {"ip": "203.0.113.9"}
    rejected = cisco_asa.parse(
        "%ASA-6-716039: Group <DfltGrpPolicy> User <jdoe> IP <203.0.113.9> Authentication: "
        "rejected, Session Type: WebVPN."
    )
    assert rejected is not None and rejected["user"] == {"name": "jdoe"}
    ike = cisco_asa.parse(
        "%ASA-4-113019: Group = remote-staff, Username = jdoe, IP = 203.0.113.9, Session "
        "disconnected. Session Type: IKEv2, Duration: 0h:10m:05s, Bytes xmt: 1200, Bytes rcv: "
        "3400, Reason: User Requested"
    )
    assert ike is not None and ike["user"] == {"name": "jdoe"}
    assert ike["group"] == {"name": "remote-staff"} and ike["source"] == {"ip": "203.0.113.9"}
    plain = cisco_asa.parse(
        "%ASA-6-716002: Group staff User jdoe IP 203.0.113.9 WebVPN session terminated: Idle "
        "timeout."
    )
    assert plain is not None and plain["user"] == {"name": "jdoe"}


def test_asa_protocol_denies_and_discarded_requests() -> None:
    sctp = cisco_asa.parse(
        "%ASA-3-106010: Deny inbound sctp src outside:203.0.113.9/5114 dst inside:192.0.2.5/2905"
    )
    assert sctp is not None and sctp["event"]["action"] == "firewall-rule"
    assert sctp["source"] == {"ip": "203.0.113.9", "port": 5114}
    assert sctp["destination"] == {"ip": "192.0.2.5", "port": 2905}
    assert sctp["network"] == {"direction": "inbound", "transport": "sctp"}
    ospf = cisco_asa.parse(
        "%ASA-3-106010: Deny inbound protocol 89 src outside:203.0.113.9 dst inside:192.0.2.5"
    )
    assert ospf is not None and ospf["network"]["iana_number"] == "89"
    assert ospf["destination"] == {"ip": "192.0.2.5"}
    dhcp = cisco_asa.parse(
        "%ASA-7-710005: UDP request discarded from 192.0.2.50/68 to inside:192.0.2.1/67"
    )
    assert dhcp is not None and dhcp["event"]["outcome"] == "failure"
    assert dhcp["destination"] == {"ip": "192.0.2.1", "port": 67}


def test_asa_botnet_traffic_filter() -> None:
    # A blacklisted domain or address is an alert, with the listed entry as the indicator.
    domain = cisco_asa.parse(
        "%ASA-4-338002: Dynamic Filter monitored blacklisted TCP traffic from inside:"
        "192.0.2.5/51234 (198.51.100.5/51234) to outside:203.0.113.9/80 (203.0.113.9/80), "
        "destination 203.0.113.9 resolved from dynamic list: c2.example.net, threat-level: high, "
        "category: Botnet"
    )
    assert domain is not None and domain["event"]["kind"] == "alert"
    assert domain["event"]["action"] == "dynamic-filter"
    assert domain["event"]["outcome"] == "success"
    assert domain["threat"] == {
        "indicator": {"type": "domain-name", "url": {"domain": "c2.example.net"}}
    }
    assert domain["destination"] == {"ip": "203.0.113.9", "port": 80, "domain": "c2.example.net"}
    assert domain["source"]["nat"] == {"ip": "198.51.100.5", "port": 51234}
    assert domain["cisco"]["asa"]["threat_level"] == "high"
    assert domain["cisco"]["asa"]["threat_category"] == "Botnet"
    dropped = cisco_asa.parse(
        "%ASA-4-338007: Dynamic Filter dropped blacklisted UDP traffic from outside:"
        "203.0.113.9/4444 (203.0.113.9/4444) to inside:192.0.2.5/53 (198.51.100.5/53), source "
        "malicious address resolved from local list: 203.0.113.0/255.255.255.0, threat-level: "
        "very-high, category: Malware"
    )
    assert dropped is not None and dropped["event"]["kind"] == "alert"
    assert dropped["event"]["outcome"] == "failure"
    assert dropped["event"]["type"] == ["connection", "denied"]
    assert dropped["threat"] == {"indicator": {"type": "ipv4-addr", "ip": "203.0.113.0"}}
    assert dropped["source"] == {"ip": "203.0.113.9", "port": 4444}
    allowed = cisco_asa.parse(
        "%ASA-4-338102: Dynamic Filter action whitelisted TCP traffic from inside:192.0.2.5/51234 "
        "(198.51.100.5/51234) to outside:203.0.113.9/443 (203.0.113.9/443), destination "
        "203.0.113.9 resolved from local list: cdn.example.com"
    )
    assert allowed is not None and allowed["event"]["kind"] == "event"
    assert "threat" not in allowed and allowed["destination"]["ip"] == "203.0.113.9"
    snooped = cisco_asa.parse(
        "%ASA-6-338301: Intercepted DNS reply for domain c2.example.net from outside:"
        "198.51.100.53/53 to inside:192.0.2.5/51234, matched blacklist"
    )
    assert snooped is not None and snooped["dns"] == {"question": {"name": "c2.example.net"}}
    assert snooped["destination"] == {"ip": "192.0.2.5", "port": 51234}


def test_asa_admin_commands_and_privilege_changes() -> None:
    configured = cisco_asa.parse(
        "%ASA-5-111008: User 'netadmin' executed the 'access-list outside_in permit ip any any' "
        "command."
    )
    assert configured is not None and configured["user"] == {"name": "netadmin"}
    assert configured["event"]["category"] == ["configuration"]
    assert configured["event"]["type"] == ["change"]
    assert configured["event"]["action"] == "configuration"
    assert (
        configured["cisco"]["asa"]["command_line_arguments"]
        == "access-list outside_in permit ip any any"
    )
    shown = cisco_asa.parse("%ASA-7-111009: User 'netadmin' executed cmd: show running-config")
    assert shown is not None and shown["event"]["type"] == ["info"]
    assert shown["cisco"]["asa"]["command_line_arguments"] == "show running-config"
    asdm = cisco_asa.parse(
        "%ASA-5-111010: User 'netadmin', running 'N/A' from IP 192.0.2.10, executed 'write memory'"
    )
    assert asdm is not None and asdm["source"] == {"ip": "192.0.2.10"}
    assert asdm["user"] == {"name": "netadmin"} and asdm["event"]["type"] == ["change"]
    enabled = cisco_asa.parse(
        "%ASA-5-502103: User priv level changed: Uname: netadmin From: 1 To: 15"
    )
    assert enabled is not None and enabled["user"] == {"name": "netadmin"}
    assert enabled["event"]["category"] == ["iam"]
    assert enabled["event"]["type"] == ["user", "change"]
    assert enabled["event"]["action"] == "privilege-level-changed"
    assert enabled["cisco"]["asa"]["privilege"] == {"old": "1", "new": "15"}
    added = cisco_asa.parse(
        "%ASA-5-502101: New user added to local dbase: Uname: backup-admin Priv: 15 Encpass: *****"
    )
    assert added is not None and added["user"] == {"name": "backup-admin"}
    assert added["event"]["type"] == ["user", "creation"]
    assert added["event"]["action"] == "added-user-account"
    assert added["cisco"]["asa"]["privilege"] == {"new": "15"}
    deleted = cisco_asa.parse(
        "%ASA-5-502102: User deleted from local dbase: Uname: backup-admin Priv: 15 Encpass: *****"
    )
    assert deleted is not None and deleted["event"]["type"] == ["user", "deletion"]
    assert deleted["cisco"]["asa"]["privilege"] == {"old": "15"}


def test_asa_aaa_ssh_and_vpn_session_users() -> None:
    accepted = cisco_asa.parse("%ASA-6-113008: AAA transaction status ACCEPT : user = jdoe")
    assert accepted is not None and accepted["user"] == {"name": "jdoe"}
    assert accepted["event"]["action"] == "logged-in"
    policy = cisco_asa.parse(
        "%ASA-6-113009: AAA retrieved default group policy (staff-policy) for user = jdoe"
    )
    assert policy is not None and policy["user"] == {"name": "jdoe"}
    assert policy["group"] == {"name": "staff-policy"}
    ssh = cisco_asa.parse(
        '%ASA-6-315011: SSH session from 192.0.2.10 on interface mgmt for user "netadmin" '
        'disconnected by SSH server, reason: "Time out" (0x03)'
    )
    assert ssh is not None and ssh["user"] == {"name": "netadmin"}
    assert ssh["source"] == {"ip": "192.0.2.10"}
    assert ssh["event"]["action"] == "ssh-session-ended"
    assert ssh["event"]["reason"] == '"Time out" (0x03)'
    ssh_ended = cisco_asa.parse(
        "%ASA-6-315011: SSH session from 192.0.2.10 on interface mgmt for user netadmin "
        "terminated normally"
    )
    assert ssh_ended is not None and ssh_ended["user"] == {"name": "netadmin"}
    old_shape = cisco_asa.parse(
        "%ASA-6-716039: Authentication: rejected, group = staff user = jdoe , Session Type: WebVPN"
    )
    assert old_shape is not None and old_shape["user"] == {"name": "jdoe"}
    assert old_shape["event"]["action"] == "logon-failed"
    assert old_shape["event"]["outcome"] == "failure"
    new_shape = cisco_asa.parse(
        "%ASA-6-716039: Group <staff> User <jdoe> IP <203.0.113.9> Authentication: rejected, "
        "Session Type: WebVPN."
    )
    assert new_shape is not None and new_shape["event"]["action"] == "logon-failed"
    assert new_shape["source"] == {"ip": "203.0.113.9"}
    masked = cisco_asa.parse(
        "%ASA-6-716039: Group <DfltGrpPolicy> User <*****> IP <203.0.113.9> Authentication: "
        "rejected, Session Type: WebVPN."
    )
    assert masked is not None and "user" not in masked
    assert masked["source"] == {"ip": "203.0.113.9"}
    # IKEv2 names the device first (Local) and the peer second (Remote): the peer is the source.
    ike = cisco_asa.parse(
        "%ASA-5-750002: Local:198.51.100.1:500 Remote:203.0.113.9:500 Username:jdoe Received a "
        "IKE_INIT_SA request"
    )
    assert ike is not None and ike["source"] == {"ip": "203.0.113.9", "port": 500}
    assert ike["destination"] == {"ip": "198.51.100.1", "port": 500}
    assert ike["user"] == {"name": "jdoe"} and ike["event"]["action"] == "connection-started"
    aborted = cisco_asa.parse(
        "%ASA-4-750003: Local:2001:db8::1:500 Remote:2001:db8::9:500 Username:Unknown "
        "Negotiation aborted due to ERROR: Detected unsupported failover version"
    )
    assert aborted is not None and aborted["source"] == {"ip": "2001:db8::9", "port": 500}
    assert "user" not in aborted and aborted["event"]["outcome"] == "failure"
    assigned = cisco_asa.parse(
        "%ASA-5-751025: Local:198.51.100.1:4500 Remote:203.0.113.9:51000 Username:jdoe IKEv2 "
        "Group:staff-policy IPv4 Address=10.8.0.7 IPv6 address=invalid-addr-2-0.0.0.0 assigned "
        "to session"
    )
    assert assigned is not None and assigned["user"] == {"name": "jdoe"}
    assert assigned["cisco"]["asa"]["assigned_ip"] == "10.8.0.7"
    assert assigned["related"]["ip"] == ["10.8.0.7", "198.51.100.1", "203.0.113.9"]
    assert assigned["event"]["action"] == "address-assigned"
    pool = cisco_asa.parse(
        "%ASA-6-737026: IPAA: Session=0x00a1b2c3, Client assigned 10.8.0.8 from local pool VPN_POOL"
    )
    assert pool is not None and pool["cisco"]["asa"]["assigned_ip"] == "10.8.0.8"
    assert pool["related"] == {"ip": ["10.8.0.8"]}


def test_asa_url_filtering() -> None:
    accessed = cisco_asa.parse(
        "%ASA-5-304001: jdoe@192.0.2.5 Accessed URL 203.0.113.9:http://www.example.com/a/b?c=1"
    )
    assert accessed is not None and accessed["user"] == {"name": "jdoe"}
    assert accessed["source"] == {"ip": "192.0.2.5"}
    assert accessed["destination"] == {"ip": "203.0.113.9"}
    assert accessed["url"] == {
        "original": "http://www.example.com/a/b?c=1",
        "scheme": "http",
        "domain": "www.example.com",
        "path": "/a/b",
        "query": "c=1",
    }
    assert accessed["event"]["action"] == "url-access"
    assert accessed["event"]["outcome"] == "success"
    java = cisco_asa.parse("%ASA-5-304001: 192.0.2.5 Accessed JAVA URL 203.0.113.9:/applet.jar")
    assert java is not None and java["url"] == {"original": "/applet.jar", "path": "/applet.jar"}
    denied = cisco_asa.parse(
        "%ASA-5-304002: Access denied URL http://bad.example.net/x SRC 192.0.2.5 DEST 203.0.113.9 "
        "on interface inside"
    )
    assert denied is not None and denied["event"]["outcome"] == "failure"
    assert denied["url"]["domain"] == "bad.example.net"
    assert denied["source"] == {"ip": "192.0.2.5"}
    assert denied["destination"] == {"ip": "203.0.113.9"}


def test_asa_icmp_without_a_session() -> None:
    reply = cisco_asa.parse(
        "%ASA-4-313004: Denied ICMP type=0, from laddr 203.0.113.9 on interface outside to "
        "192.0.2.5: no matching session"
    )
    assert reply is not None and reply["source"] == {"ip": "203.0.113.9"}
    assert reply["destination"] == {"ip": "192.0.2.5"}
    assert reply["event"]["action"] == "firewall-rule"
    assert reply["event"]["outcome"] == "failure"
    error = cisco_asa.parse(
        "%ASA-4-313005: No matching connection for ICMP error message: icmp src outside:"
        "203.0.113.9(CORP\\jdoe) dst inside:192.0.2.5 (type 3, code 3) on outside interface.  "
        "Original IP payload: udp src 192.0.2.5/53 dst 203.0.113.9/51000."
    )
    assert error is not None and error["source"] == {"ip": "203.0.113.9"}
    assert error["destination"] == {"ip": "192.0.2.5"}
    assert error["user"] == {"name": "jdoe", "domain": "CORP"}
    assert error["cisco"]["asa"]["icmp_code"] == "3"
    invalid = cisco_asa.parse(
        "%ASA-4-313009: Denied invalid ICMP code 9, for inside:192.0.2.5/1 (198.51.100.5/1) to "
        "outside:203.0.113.9/0 (203.0.113.9/0), ICMP id 1, ICMP type 8"
    )
    assert invalid is not None and invalid["source"]["nat"] == {"ip": "198.51.100.5", "port": 1}
    assert invalid["destination"] == {"ip": "203.0.113.9"}
    assert invalid["cisco"]["asa"]["icmp_type"] == "8"


def test_asa_cluster_stubs_hosts_offload_sfr_and_tls() -> None:
    stub = cisco_asa.parse(
        "%ASA-6-302022: Built director stub TCP connection for inside:192.0.2.5/51234 "
        "(198.51.100.5/51234) to outside:203.0.113.9/443 (203.0.113.9/443)"
    )
    assert stub is not None and stub["event"]["action"] == "flow-creation"
    assert stub["source"] == {"ip": "192.0.2.5", "port": 51234,
                              "nat": {"ip": "198.51.100.5", "port": 51234}}  # fmt: skip
    stub_end = cisco_asa.parse(
        "%ASA-6-302027: Teardown stub ICMP connection for inside:192.0.2.5/7 to outside:"
        "203.0.113.9/0 duration 0:00:02 forwarded bytes 84 Cluster flow with CLU closed on owner"
    )
    assert stub_end is not None and stub_end["network"] == {"transport": "icmp", "bytes": 84}
    assert stub_end["event"]["action"] == "flow-expiration"
    host = cisco_asa.parse("%ASA-7-609002: Teardown local-host inside:192.0.2.5 duration 0:01:00")
    assert host is not None and host["source"] == {"ip": "192.0.2.5"}
    assert host["event"]["duration"] == 60_000_000_000
    offload = cisco_asa.parse(
        "%ASA-6-805002: UDP Flow is no longer offloaded for connection 42 from inside:"
        "192.0.2.5/51234 (198.51.100.5/51234) to outside:203.0.113.9/53 (203.0.113.9/53)"
    )
    assert offload is not None and offload["event"]["action"] == "flow-offload-ended"
    assert offload["destination"] == {"ip": "203.0.113.9", "port": 53}
    sfr = cisco_asa.parse(
        "%ASA-4-434002: SFR requested to drop TCP packet from outside:203.0.113.9/4444 to "
        "inside:192.0.2.5/445"
    )
    assert sfr is not None and sfr["event"]["outcome"] == "failure"
    assert sfr["destination"] == {"ip": "192.0.2.5", "port": 445}
    tls = cisco_asa.parse(
        "%ASA-6-725001: Starting SSL handshake with client outside:203.0.113.9/51000 to "
        "198.51.100.1/443 for TLSv1.2 session"
    )
    assert tls is not None and tls["tls"] == {"version_protocol": "tls", "version": "1.2"}
    assert tls["source"] == {"ip": "203.0.113.9", "port": 51000}
    failed = cisco_asa.parse(
        "%ASA-4-725006: Device failed SSL handshake with client outside:203.0.113.9/51000 to "
        "198.51.100.1/443"
    )
    assert failed is not None and failed["event"]["outcome"] == "failure"
    assert failed["destination"] == {"ip": "198.51.100.1", "port": 443}
