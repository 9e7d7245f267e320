"""Check Point Log Exporter lines in its syslog (R80 and R81), R81 structured and splunk formats,
through the listener's header parser and normalization.

The lines are written for these tests in the shapes of Elastic's `checkpoint` integration test
logs (packages/checkpoint/data_stream/firewall/_dev/test/pipeline/test-checkpoint.log and
test-r81x.log): the same keys and value forms, other addresses and values.
"""

from __future__ import annotations

import time

import pytest
from syslog_event import syslog_event as ecs

from collectors.parsers import checkpoint, parse_message

ACCEPT_NAT = (
    '<134>1 2026-03-05T10:00:01Z gw-hue CheckPoint 8363 - [action:"Accept"; flags:"444676"; '
    'ifdir:"outbound"; ifname:"eth0"; logid:"0"; loguid:"{0x65e6ed01,0x3,0x353707c7,0xee78a1dc}"; '
    'origin:"10.30.0.1"; originsicname:"cn=cp_mgmt,o=gw-hue..tmn8s8"; sequencenum:"4"; '
    'time:"1709632801"; version:"5"; __policy_id_tag:"product=VPN-1 & FireWall-1[db_tag='
    '{880771B0-FD92-2C4F-82FC-B96FC3DE5A07};mgmt=gw-hue;date=1709600000;policy_name=Standard\\]"; '
    'dst:"203.0.113.80"; inzone:"Internal"; layer_name:"Network"; match_id:"3"; '
    'rule_action:"Accept"; rule_name:"Web out"; rule_uid:"1fde807b-6300-4b1a-914f-f1c1f3e2e7d2"; '
    'outzone:"External"; product:"VPN-1 & FireWall-1"; proto:"6"; s_port:"61180"; '
    'service:"443"; service_id:"https"; src:"10.30.5.20"; xlatedport:"0"; xlatedst:"0.0.0.0"; '
    'xlatesport:"10860"; xlatesrc:"198.51.100.7"; client_outbound_bytes:"1200"; '
    'server_outbound_bytes:"5400"; client_outbound_packets:"10"; server_outbound_packets:"12"]'
)
DROP = (
    '<134>1 2026-03-05T10:00:02Z gw-hue CheckPoint 8363 - [action:"Drop"; flags:"425984"; '
    'ifdir:"inbound"; ifname:"eth1"; logid:"1"; loguid:"{0x65e6ed02,0x0,0x6401a8c0,0x108620ab}"; '
    'origin:"10.30.0.1"; sequencenum:"1"; version:"5"; dst:"10.30.5.20"; product:"VPN-1 & '
    'FireWall-1"; proto:"6"; s_port:"65488"; service:"22"; src:"203.0.113.9"; '
    'tcp_flags:"FIN-ACK"; tcp_packet_out_of_state:"First packet isn\'t SYN"]'
)
# R80's Log Exporter: the header clock without `T` or zone
LEGACY_CLOCK = (
    '<134>1 2018-03-21 17:25:25 MDS-72 CheckPoint 13752 - [action:"Reject"; flags:"150784"; '
    'ifdir:"inbound"; ifname:"eth2"; logid:"160571424"; loguid:"{0x5ab27965,0x0,0x5b20a8c0,'
    '0x7d5707b6}"; origin:"192.168.1.1"; src:"10.1.1.2"; dst:"8.8.8.8"; proto:"17"; '
    's_port:"52000"; service:"53"; rule_name:"No DNS out"]'
)
# Anti-Bot: a threat-prevention block, with escaped quotes in the portal message
THREAT = (
    '<134>1 2026-03-05T10:00:03Z gw-hue CheckPoint 15871 - [action:"Block"; flags:"311552"; '
    'ifdir:"outbound"; ifname:"eth1"; loguid:"{0x291ee176,0x3488469e,0xdb759c74,0xc0134e9a}"; '
    'origin:"10.30.0.1"; time:"1709632803"; version:"5"; dst:"203.0.113.44"; '
    'http_host:"bad.example.net"; malware_action:"Communication with C&C site"; '
    'malware_family:"Emotet"; malware_rule_id:"{F50127A1-D5C9-4BAC-8C3F-2D2557E6FFAD}"; '
    'method:"GET"; policy:"Standard"; portal_message:"Blocked: \\"bad.example.net\\" is a C&C '
    'site"; product:"Anti-Bot"; protection_name:"Emotet.TC.a"; protection_type:"URL reputation"; '
    'proto:"6"; resource:"http://bad.example.net/gate.php"; s_port:"34416"; service:"80"; '
    'service_id:"http"; severity:"3"; smartdefense_profile:"Optimized"; src:"10.30.5.21"; '
    'user_agent:"Mozilla/5.0"; web_client_type:"Firefox"; rule_action:"Prevent"; '
    'file_md5:"44d88612fea8a8f36de82e1278abb02f"; src_machine_name:"pc-21"; '
    'src_user_name:"Nguyen Van A (nva)"]'
)
# R81: RFC 5424 structured data, with keys RFC 5424 does not allow (`ICMP Type`)
R81_ICMP = (
    "<134>1 2026-03-05T17:00:04+07:00 10.30.0.1 CP-GW - Log [Fields@1.3.6.1.4.1.2620 "
    'inzone="External" outzone="Local" service_id="echo-request" src="203.0.113.15" '
    'dst="10.30.0.1" proto="1" ICMP="Echo Request" ICMP Type="8" ICMP Code="0" '
    'rule_action="Drop" action="Drop" ifdir="inbound" ifname="eth0" loguid='
    '"{0x65e6ed04,0x1,0x1,0x1}" origin="10.30.0.1" product="VPN-1 & FireWall-1" '
    'layer_name="Network" rule_name="Cleanup rule" user="" src_user_name="" xlatedst=""]'
)
# R81 with every key a valid SD-NAME: the header reads the element
R81_NAT = (
    "<134>1 2026-03-05T17:00:05+07:00 10.30.0.1 CP-GW - Log [Fields@1.3.6.1.4.1.2620 "
    'inzone="Internal" outzone="External" service_id="https" src="10.30.5.22" '
    'dst="203.0.113.90" proto="6" xlatesrc="198.51.100.7" xlatedst="" NAT_rulenum="12" '
    'user="" src_user_name="tran.b" src_machine_name="pc-22" layer_name="Network" '
    'rule_uid="82434e2a-a72c-4a59-8422-a0269fc32e93" rule_name="Web out" action="Accept" '
    'svc="443" sport_svc="56530" xlatesport_svc="28493" ProductName="VPN-1 &amp; FireWall-1"]'
)
SPLUNK = (
    "<134>1 2026-03-05T10:00:06Z gw-hue CheckPoint 4411 - time=1709632806|hostname=gw-hue|"
    "product=Firewall|layer_name=Network|action=Drop|ifdir=inbound|ifname=eth1|"
    "loguid={0x65e6ed06,0x0,0x1,0x2}|origin=10.30.0.1|src=203.0.113.31|dst=10.30.5.20|proto=6|"
    "s_port=63945|service=3389|rule_name=Block\\|RDP\\=in|"
)


def test_accept_with_nat_bytes_and_rule() -> None:
    doc = ecs(ACCEPT_NAT)
    assert doc["event"] == {
        "module": "checkpoint", "dataset": "checkpoint.firewall", "kind": "event",
        "category": ["network"], "type": ["allowed", "connection"], "outcome": "success",
        "action": "accept", "sequence": 4,
    }  # fmt: skip
    assert doc["checkpoint"]["loguid"] == "{0x65e6ed01,0x3,0x353707c7,0xee78a1dc}"
    assert doc["@timestamp"] == "2024-03-05T10:00:01.000Z"  # `time`, not the header's clock
    assert doc["source"] == {
        "ip": "10.30.5.20", "port": 61180, "bytes": 1200, "packets": 10,
        "nat": {"ip": "198.51.100.7", "port": 10860},
    }  # fmt: skip
    # xlatedst 0.0.0.0 and xlatedport 0: no translation
    assert doc["destination"] == {"ip": "203.0.113.80", "port": 443, "bytes": 5400, "packets": 12}
    assert doc["network"] == {
        "iana_number": "6", "transport": "tcp", "direction": "outbound", "application": "https",
        "name": "Network", "bytes": 6600, "packets": 22,
    }  # fmt: skip
    assert doc["rule"] == {"name": "Web out", "uuid": "1fde807b-6300-4b1a-914f-f1c1f3e2e7d2"}
    assert doc["observer"] == {
        "vendor": "Checkpoint", "type": "firewall", "product": "VPN-1 & FireWall-1",
        "name": "10.30.0.1", "ip": "10.20.0.1",  # the sender's address, not the origin
        "ingress": {"zone": "Internal"},
        "egress": {"zone": "External", "interface": {"name": "eth0"}},
    }  # fmt: skip
    assert doc["related"] == {"ip": ["10.30.5.20", "198.51.100.7", "203.0.113.80"]}
    assert doc["checkpoint"]["__policy_id_tag"].endswith("policy_name=Standard]")
    assert doc["checkpoint"]["xlatedst"] == "0.0.0.0"
    assert doc["host"] == {"name": "gw-hue"}


def test_drop_is_a_denied_connection() -> None:
    doc = ecs(DROP)
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["action"] == "drop"
    assert doc["event"]["category"] == ["network"]
    assert doc["source"] == {"ip": "203.0.113.9", "port": 65488}
    assert doc["destination"] == {"ip": "10.30.5.20", "port": 22}
    assert doc["observer"]["ingress"] == {"interface": {"name": "eth1"}}
    assert doc["checkpoint"]["tcp_packet_out_of_state"] == "First packet isn't SYN"
    assert doc["@timestamp"] == "2026-03-05T10:00:02.000Z"  # no `time`: the header's


def test_header_clock_without_t_or_zone() -> None:
    doc = ecs(LEGACY_CLOCK)
    assert doc["@timestamp"] == "2018-03-21T17:25:25.000Z"
    assert doc["host"] == {"name": "MDS-72"}
    assert doc["log"]["syslog"]["appname"] == "CheckPoint"
    assert doc["event"]["action"] == "reject"
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["source"] == {"ip": "10.1.1.2", "port": 52000}
    assert doc["destination"] == {"ip": "8.8.8.8", "port": 53}
    assert doc["network"]["transport"] == "udp"
    assert doc["rule"] == {"name": "No DNS out"}
    assert doc["checkpoint"]["loguid"] == "{0x5ab27965,0x0,0x5b20a8c0,0x7d5707b6}"


def test_threat_prevention_block() -> None:
    doc = ecs(THREAT)
    assert doc["event"]["kind"] == "alert"
    assert doc["event"]["category"] == ["network", "malware", "intrusion_detection"]
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["event"]["severity"] == 3
    assert doc["rule"] == {
        "name": "Emotet.TC.a", "id": "{F50127A1-D5C9-4BAC-8C3F-2D2557E6FFAD}",
        "ruleset": "Optimized", "description": "Communication with C&C site",
    }  # fmt: skip
    assert doc["url"] == {
        "original": "http://bad.example.net/gate.php",
        "domain": "bad.example.net",
    }
    assert doc["http"] == {"request": {"method": "GET"}}
    assert doc["user_agent"] == {"original": "Mozilla/5.0", "name": "Firefox"}
    assert doc["file"] == {"hash": {"md5": "44d88612fea8a8f36de82e1278abb02f"}}
    assert doc["source"]["domain"] == "pc-21"
    assert doc["source"]["user"] == {"name": "Nguyen Van A (nva)"}
    assert doc["related"]["hash"] == ["44d88612fea8a8f36de82e1278abb02f"]
    assert doc["related"]["user"] == ["Nguyen Van A (nva)"]
    assert doc["checkpoint"]["portal_message"] == 'Blocked: "bad.example.net" is a C&C site'
    assert doc["checkpoint"]["malware_family"] == "Emotet"


def test_r81_keys_with_spaces_read_from_the_message() -> None:
    doc = ecs(R81_ICMP)
    assert doc["log"]["syslog"]["msgid"] == "Log"
    assert "structured_data" not in doc["log"]["syslog"]  # the header could not read it
    assert doc["checkpoint"]["ICMP_Type"] == "8"
    assert doc["checkpoint"]["ICMP_Code"] == "0"
    assert doc["checkpoint"]["ICMP"] == "Echo Request"
    assert "user" not in doc["checkpoint"] and "xlatedst" not in doc["checkpoint"]
    assert "user" not in doc
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["network"] == {
        "iana_number": "1", "transport": "icmp", "application": "echo-request",
        "direction": "inbound", "name": "Network",
    }  # fmt: skip
    assert doc["observer"]["ingress"] == {"zone": "External", "interface": {"name": "eth0"}}
    assert doc["observer"]["egress"] == {"zone": "Local"}
    assert doc["source"] == {"ip": "203.0.113.15"}
    assert doc["@timestamp"] == "2026-03-05T10:00:04.000Z"


def test_r81_structured_data_read_by_the_header() -> None:
    doc = ecs(R81_NAT)
    assert "Fields@1.3.6.1.4.1.2620" in doc["log"]["syslog"]["structured_data"]
    assert doc["source"] == {
        "ip": "10.30.5.22", "port": 56530, "domain": "pc-22",
        "user": {"name": "tran.b"}, "nat": {"ip": "198.51.100.7", "port": 28493},
    }  # fmt: skip
    assert doc["destination"] == {"ip": "203.0.113.90", "port": 443}
    assert doc["event"]["type"] == ["allowed", "connection"]
    assert doc["checkpoint"]["NAT_rulenum"] == "12"
    assert "xlatedst" not in doc["checkpoint"]


def test_repeated_names_and_zero_counts() -> None:
    """R81 repeats `UP_match_table` (the header makes it a list); a count of 0 is a count, while
    a translated port of 0 means no translation."""
    doc = parse_message(
        "",
        program="CP-GW",
        structured_data={
            checkpoint.SD_ID: {
                "UP_match_table": ["TABLE_START", "TABLE_END"],
                "received_bytes": "0",
                "xlatedport": "0",
                "service": "443",
            }
        },
    )
    assert doc["checkpoint"]["UP_match_table"] == "TABLE_START"
    assert doc["destination"] == {"bytes": 0, "port": 443}


def test_splunk_format_with_escapes() -> None:
    doc = ecs(SPLUNK)
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["@timestamp"] == "2024-03-05T10:00:06.000Z"
    assert doc["rule"] == {"name": "Block|RDP=in"}
    assert doc["source"] == {"ip": "203.0.113.31", "port": 63945}
    assert doc["destination"] == {"ip": "10.30.5.20", "port": 3389}
    assert doc["observer"]["product"] == "Firewall"
    assert doc["checkpoint"]["hostname"] == "gw-hue"


def test_relayed_lines_are_recognised_by_content() -> None:
    """A relay that rewrote the header (its own tag) leaves the fields in the message."""
    body = ACCEPT_NAT.split(" - ", 1)[1]
    assert parse_message(body, program="rsyslogd")["source"]["ip"] == "10.30.5.20"
    r81 = R81_ICMP.split(" Log ", 1)[1]
    assert parse_message(r81, program=None)["checkpoint"]["ICMP_Type"] == "8"
    splunk = SPLUNK.split(" - ", 1)[1]
    assert parse_message(splunk)["destination"]["port"] == 3389


def test_login_audit() -> None:
    line = (
        '<134>1 2026-03-05T10:00:07Z gw-hue CheckPoint 16700 - [action:"Failed Log In"; '
        'flags:"163872"; ifdir:"outbound"; loguid:"{0x1,0x2,0x3,0x4}"; origin:"10.30.0.1"; '
        'administrator:"admin"; client_ip:"10.30.9.9"; product:"SmartConsole"; '
        'subject:"Administrator Login"]'
    )
    doc = ecs(line)
    assert doc["event"]["category"] == ["network", "authentication"]
    assert doc["event"]["type"] == ["denied"]
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["action"] == "logon-failed"
    assert doc["source"] == {"ip": "10.30.9.9", "user": {"name": "admin"}}
    assert doc["message"] == "Administrator Login"


def test_a_users_failed_vpn_login_names_the_user() -> None:
    """Mobile Access names the user only as the source's: the log-in's user all the same."""
    line = (
        '<134>1 2026-03-05T10:00:08Z gw-hue CheckPoint 16700 - [action:"Failed Log In"; '
        'flags:"163872"; ifdir:"inbound"; loguid:"{0x1,0x2,0x3,0x5}"; origin:"10.30.0.1"; '
        'src:"203.0.113.77"; src_user_name:"tran.thi.b"; auth_method:"Password"; '
        'product:"Mobile Access"; reason:"Authentication failed"]'
    )
    doc = ecs(line)
    assert doc["event"]["outcome"] == "failure"
    assert "authentication" in doc["event"]["category"]
    assert doc["user"] == {"name": "tran.thi.b"}
    assert doc["source"]["user"] == {"name": "tran.thi.b"}
    assert doc["source"]["ip"] == "203.0.113.77"


def test_a_connection_keeps_its_users_on_their_endpoints() -> None:
    """Identity Awareness names the users behind a connection's two ends: no `user.name`,
    which would say who acted."""
    line = (
        '<134>1 2026-03-05T10:00:09Z gw-hue CheckPoint 16700 - [action:"Accept"; '
        'ifdir:"outbound"; origin:"10.30.0.1"; src:"10.30.9.9"; dst:"198.51.100.8"; '
        'src_user_name:"tran.thi.b"; proto:"6"; s_port:"51515"; service:"443"]'
    )
    doc = ecs(line)
    assert doc["source"]["user"] == {"name": "tran.thi.b"}
    assert "user" not in doc


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            'action:"Accept"; administrator:"netops@example.org"; client_ip:"192.0.2.40"; '
            'machine:"ws-12.example.org"; operation:"Log In"; operation_number:"10"; '
            'product:"SmartConsole"; subject:"Administrator Login"',
            {"type": ["start"], "outcome": "success", "action": "logged-in"},
        ),
        (
            'action:"Accept"; additional_info:"Administrator failed to log in: Wrong Password"; '
            'administrator:"netops@example.org"; audit_status:"Failure"; client_ip:"192.0.2.40"; '
            'operation:"Log In"; operation_number:"11"; product:"SmartConsole"; '
            'subject:"Administrator Login"',
            {"type": ["start"], "outcome": "failure", "action": "logon-failed",
             "reason": "Wrong Password"},
        ),
        (
            'action:"Accept"; administrator:"netops@example.org"; client_ip:"192.0.2.40"; '
            'operation:"Log Out"; operation_number:"12"; product:"WEB_API"; '
            'subject:"Administrator Login"',
            {"type": ["end"], "outcome": "success", "action": "logged-out"},
        ),
        (  # Expert mode on a gateway: an alert, no action
            'alert:"Expert_Alert"; additional_info:"SSH connection by netops user to Expert '
            'Shell"; administrator:"netops@example.org"; client_ip:"192.0.2.40"; '
            'device_name:"gw-lab-1"; operation:"Log In"; product:"Expert Shell"; '
            'subject:"Administrator Expert Shell login"',
            {"type": ["start"], "outcome": "success", "action": "logged-in"},
        ),
    ],
)  # fmt: skip
def test_management_sessions_are_log_ins_not_connections(fields: str, expected: dict) -> None:
    """The management server's audit log: its `action:"Accept"` is no connection's verdict."""
    doc = ecs(
        '<134>1 2026-03-05T10:00:07Z mgmt-lab CheckPoint 10547 - [flags:"163872"; '
        f'ifdir:"outbound"; loguid:"{{0x1,0x0,0x2,0x3}}"; origin:"192.0.2.1"; {fields}]'
    )
    assert doc["event"]["category"] == ["authentication"]
    assert {k: doc["event"].get(k) for k in expected} == expected
    assert doc["user"] == {"name": "netops@example.org"}
    assert doc["source"] == {"ip": "192.0.2.40", "user": {"name": "netops@example.org"}}


def test_system_monitor_text_is_the_message() -> None:
    """System Monitor writes its text as `sys_message::` (two colons)."""
    doc = ecs(
        '<134>1 2026-03-05T10:00:07Z gw-lab CheckPoint 1930 - [flags:"133440"; '
        'ifdir:"inbound"; ifname:"daemon"; origin:"192.0.2.1"; product:"System Monitor"; '
        'sys_message::"The eth2 interface is not protected by the anti-spoofing feature."]'
    )
    assert doc["message"] == "The eth2 interface is not protected by the anti-spoofing feature."
    assert doc["checkpoint"]["sys_message"] == doc["message"]


@pytest.mark.parametrize(
    ("params", "absent"),
    [
        ('src:"10.0.0.999"; dst:"not-an-ip"', ("source", "destination")),
        ('s_port:"-1"; service:"http"; proto:"tcp"', ("source", "destination", "network")),
        ('time:"99999999999999999"', ("@timestamp",)),
        ('mac_source_address:"zz:zz"; xlatesrc:"0.0.0.0"', ("source",)),
    ],
)
def test_bad_values_are_left_out(params: str, absent: tuple[str, ...]) -> None:
    doc = checkpoint.parse(f'[action:"Accept"; {params}]')
    assert doc is not None
    for field in absent:
        assert field not in doc
    assert doc["event"]["action"] == "accept"


@pytest.mark.parametrize(
    "line",
    [
        ACCEPT_NAT[:200],  # cut inside a value
        ACCEPT_NAT[:-1],  # no closing bracket
        R81_ICMP[:150],
        SPLUNK[:90],
    ],
)
def test_truncated_lines_keep_the_complete_fields(line: str) -> None:
    doc = ecs(line)
    assert doc["event"]["dataset"] == "checkpoint.firewall"
    assert doc["observer"]["ip"] == "10.20.0.1"


def test_log_exporter_cef_format_goes_to_the_cef_parser() -> None:
    line = (
        "<134>1 2026-03-05T10:00:09Z gw-hue CheckPoint 4411 - CEF:0|Check Point|VPN-1 & "
        "FireWall-1|Check Point|Log|https|Unknown|act=Drop src=203.0.113.31 dst=10.30.5.20 "
        "dpt=443 proto=6"
    )
    doc = ecs(line)
    assert doc["event"]["dataset"] == "cef.log"
    assert doc["destination"]["port"] == 443


def test_not_check_point() -> None:
    assert checkpoint.parse("session opened for user root") is None
    assert checkpoint.parse("[]") is None
    assert ecs("<134>1 2026-03-05T10:00:07Z gw-hue CheckPoint 1 - plain text")["message"] == (
        "plain text"
    )


@pytest.mark.parametrize(
    "body",
    [
        'a:"' + "x" * 100_000,
        'a:"' + "\\" * 100_001,
        "[" + 'k:"\\"' * 25_000,
        "[" + "a " * 50_000 + "=",
        "[" + "ICMP Type" * 10_000 + '="',
        "[Fields@1.3.6.1.4.1.2620 " + 'k="v" ' * 15_000 + 'x="' + "y" * 10_000,
        "time=" + "|" * 100_000,
        "time=1|" + "\\" * 100_000,
        'loguid:"' + "a:" * 50_000,
    ],
)
def test_hostile_long_lines_parse_fast(body: str) -> None:
    line = f"<134>1 2026-03-05T10:00:08Z gw-hue CheckPoint 1 - {body}"
    start = time.perf_counter()
    ecs(line)
    parse_message(body)
    assert time.perf_counter() - start < 1.0
