"""Juniper SRX security logs in both of the SRX's modes, through the listener's header parser and
normalization, as an SRX or a relay sends them.

Structured lines and the screens' stream-mode lines are written for these tests in the formats
of Juniper's system log reference (each tag's structured-data parameters, in the order an SRX
writes them), with documentation addresses and made-up devices, zones, policies and users. Two
stream-mode lines are Logstash's Junos pattern tests (logstash-patterns-core
spec/patterns/junos_spec.rb, Apache-2.0); the others are the positional forms of Juniper's system
log reference (RT_FLOW_SESSION_CREATE with connection tags and NAT rule types, as Junos 12.3X48
and later write it).
"""

from __future__ import annotations

import pytest
from syslog_event import RECEIVED
from syslog_event import syslog_event as ecs

from collectors.parsers import junos_srx, parse_message
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.errors import ParseError

# Juniper's system log reference, RT_FLOW_SESSION_CLOSE (structured)
CLOSE_SD = (
    "<14>1 2024-03-04T09:41:27.204Z srx-sotc RT_FLOW - RT_FLOW_SESSION_CLOSE "
    '[junos@2636.1.1.1.2.129 reason="TCP FIN" source-address="192.0.2.57" source-port="51834" '
    'destination-address="203.0.113.80" destination-port="443" connection-tag="0" '
    'service-name="junos-https" nat-source-address="198.51.100.9" nat-source-port="28417" '
    'nat-destination-address="203.0.113.80" nat-destination-port="443" nat-connection-tag="0" '
    'src-nat-rule-type="source rule" src-nat-rule-name="snat-egress" dst-nat-rule-type="N/A" '
    'dst-nat-rule-name="N/A" protocol-id="6" policy-name="lan-to-internet" source-zone-name="lan" '
    'destination-zone-name="internet" session-id-32="48213" packets-from-client="14" '
    'bytes-from-client="2318" packets-from-server="11" bytes-from-server="9042" '
    'elapsed-time="7" application="SSL" nested-application="UNKNOWN" username="N/A" roles="N/A" '
    'packet-incoming-interface="ge-0/0/2.0" encrypted="Yes" application-category="Web" '
    'application-sub-category="N/A" application-risk="3" application-characteristics='
    '"Supports File Transfer;Capable of Tunneling;"]'
)
# Juniper's system log reference, RT_FLOW_SESSION_DENY (structured)
DENY_SD = (
    "<14>1 2025-02-11T16:05:38.912+07:00 srx-ubnd RT_FLOW - RT_FLOW_SESSION_DENY "
    '[junos@2636.1.1.1.2.134 source-address="192.0.2.114" source-port="40119" '
    'destination-address="192.0.2.1" destination-port="161" connection-tag="0" service-name="None" '
    'protocol-id="17" icmp-type="0" policy-name="mgmt-deny-rest" source-zone-name="lan" '
    'destination-zone-name="junos-host" application="UNKNOWN" nested-application="UNKNOWN" '
    'username="N/A" roles="N/A" packet-incoming-interface="irb.20" encrypted="No" '
    'reason="Denied by policy" session-id-32="30577" application-category="N/A" '
    'application-sub-category="N/A" application-risk="1" application-characteristics="N/A"]'
)
# logstash-patterns-core junos_spec.rb, behind an SRX's stream-mode header
CLOSE_STREAM = (
    "<14>Dec 17 08:05:30 srx-hue RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: "
    "10.10.10.2/53836->10.10.10.1/22 junos-ssh 10.10.10.2/53836->10.10.10.1/22 None None 6 "
    "log-host-traffic untrust junos-host 5 78(6657) 122(13305) 45 UNKNOWN UNKNOWN N/A(N/A) "
    "ge-0/0/1.0 No "
)
DENY_STREAM = (
    "<14>Sep 29 23:49:20 SRX-1 RT_FLOW: RT_FLOW_SESSION_DENY: session denied "
    "10.0.0.1/54924->192.168.1.1/53 junos-dns-udp 17(0) default-deny(global) trust trust UNKNOWN "
    "UNKNOWN N/A(N/A) ge-0/0/0.0 UNKNOWN policy deny"
)
# Juniper's system log reference, RT_FLOW_SESSION_CREATE (connection tags, NAT rule types)
CREATE_STREAM = (
    "<14>Mar  5 10:00:00 srx-hue RT_FLOW: RT_FLOW_SESSION_CREATE: session created "
    "10.1.1.2/52000->8.8.8.8/53 0x0 junos-dns-udp 203.0.113.4/1234->8.8.8.8/53 0x0 source rule "
    "r1 N/A N/A 17 p1 trust untrust 12345 alice(staff) ge-0/0/1.0 UNKNOWN UNKNOWN UNKNOWN "
    "N/A N/A -1 N/A"
)


def test_a_structured_session_close() -> None:
    doc = ecs(CLOSE_SD)
    event = doc["event"]
    assert event["dataset"] == "juniper.srx" and event["module"] == "juniper"
    assert event["code"] == "RT_FLOW_SESSION_CLOSE" and event["action"] == "flow_close"
    assert event["category"] == ["network"] and event["kind"] == "event"
    assert event["type"] == ["connection", "end", "allowed"] and event["outcome"] == "success"
    assert event["duration"] == 7_000_000_000 and event["risk_score"] == 3.0
    assert doc["@timestamp"] == "2024-03-04T09:41:27.204Z"
    assert doc["source"] == {"ip": "192.0.2.57", "port": 51834, "bytes": 2318, "packets": 14,
                             "nat": {"ip": "198.51.100.9", "port": 28417}}  # fmt: skip
    assert doc["destination"] == {"ip": "203.0.113.80", "port": 443, "bytes": 9042, "packets": 11,
                                  "nat": {"ip": "203.0.113.80", "port": 443}}  # fmt: skip
    assert doc["network"] == {"iana_number": "6", "transport": "tcp", "application": "ssl",
                              "bytes": 11360, "packets": 25}  # fmt: skip
    assert doc["rule"] == {"name": "lan-to-internet"}
    assert doc["observer"] == {
        "vendor": "Juniper", "product": "SRX", "type": "firewall", "ip": "10.20.0.1",
        "ingress": {"zone": "lan", "interface": {"name": "ge-0/0/2.0"}},
        "egress": {"zone": "internet"},
    }  # fmt: skip
    assert "user" not in doc  # username="N/A"
    srx = doc["juniper"]["srx"]
    assert srx["session_id_32"] == "48213" and srx["src_nat_rule_type"] == "source rule"
    assert srx["process"] == "RT_FLOW" and srx["tag"] == "RT_FLOW_SESSION_CLOSE"
    assert "dst_nat_rule_name" not in srx and "nested_application" not in srx  # N/A, UNKNOWN
    assert doc["related"]["ip"] == ["192.0.2.57", "198.51.100.9", "203.0.113.80"]
    assert doc["host"]["name"] == "srx-sotc"


def test_a_structured_deny_is_a_denied_connection() -> None:
    doc = ecs(DENY_SD)
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["event"]["action"] == "flow_deny" and doc["event"]["outcome"] == "failure"
    assert doc["network"] == {"iana_number": "17", "transport": "udp"}
    assert doc["observer"]["ingress"] == {"zone": "lan", "interface": {"name": "irb.20"}}
    assert doc["juniper"]["srx"]["reason"] == "Denied by policy"
    assert "service_name" not in doc["juniper"]["srx"]  # "None"
    assert doc["@timestamp"] == "2025-02-11T09:05:38.912Z"


def test_the_brief_text_after_the_structured_data_is_the_message() -> None:
    doc = ecs(
        "<14>1 2024-03-05T10:00:00.123+07:00 srx-hue RT_FLOW - RT_FLOW_SESSION_CREATE "
        '[junos@2636.1.1.1.2.129 source-address="10.1.1.2" source-port="52000" '
        'destination-address="8.8.8.8" destination-port="53" protocol-id="17" username="bob"] '
        "session created 10.1.1.2/52000->8.8.8.8/53"
    )
    assert doc["message"] == "session created 10.1.1.2/52000->8.8.8.8/53"
    assert doc["user"] == {"name": "bob"}
    assert doc["event"]["type"] == ["connection", "start", "allowed"]


def test_stream_mode_close() -> None:
    doc = ecs(CLOSE_STREAM)
    assert doc["event"]["code"] == "RT_FLOW_SESSION_CLOSE"
    assert doc["event"]["type"] == ["connection", "end", "allowed"]
    assert doc["event"]["duration"] == 45_000_000_000
    assert doc["source"] == {"ip": "10.10.10.2", "port": 53836, "bytes": 6657, "packets": 78,
                             "nat": {"ip": "10.10.10.2", "port": 53836}}  # fmt: skip
    assert doc["destination"]["bytes"] == 13305 and doc["destination"]["packets"] == 122
    assert doc["rule"] == {"name": "log-host-traffic"}
    assert doc["observer"]["ingress"] == {"zone": "untrust", "interface": {"name": "ge-0/0/1.0"}}
    assert doc["observer"]["egress"] == {"zone": "junos-host"}
    srx = doc["juniper"]["srx"]
    assert srx["reason"] == "TCP FIN" and srx["session_id_32"] == "5"
    assert srx["service_name"] == "junos-ssh" and srx["encrypted"] == "No"
    assert "src_nat_rule_name" not in srx  # "None"
    assert doc["event"]["original"] == "RT_FLOW: " + CLOSE_STREAM.split("RT_FLOW: ", 1)[1].strip()
    assert doc["message"].startswith("session closed TCP FIN: 10.10.10.2/53836")


def test_stream_mode_create_with_connection_tags_and_nat_rule_types() -> None:
    doc = ecs(CREATE_STREAM)
    assert doc["event"]["action"] == "flow_started"
    assert doc["source"] == {"ip": "10.1.1.2", "port": 52000,
                             "nat": {"ip": "203.0.113.4", "port": 1234}}  # fmt: skip
    assert doc["destination"] == {"ip": "8.8.8.8", "port": 53, "nat": {"ip": "8.8.8.8", "port": 53}}
    assert doc["network"] == {"iana_number": "17", "transport": "udp"}
    assert doc["user"] == {"name": "alice"}
    srx = doc["juniper"]["srx"]
    assert srx["src_nat_rule_type"] == "source rule" and srx["src_nat_rule_name"] == "r1"
    assert srx["roles"] == "staff" and srx["session_id_32"] == "12345"
    assert "dst_nat_rule_type" not in srx and "application" not in srx


def test_stream_mode_deny() -> None:
    doc = ecs(DENY_STREAM)
    assert doc["event"]["type"] == ["connection", "denied"] and doc["event"]["outcome"] == "failure"
    assert doc["source"] == {"ip": "10.0.0.1", "port": 54924}
    assert doc["destination"] == {"ip": "192.168.1.1", "port": 53}
    assert doc["rule"] == {"name": "default-deny(global)"}
    assert doc["juniper"]["srx"]["icmp_type"] == "0"
    assert doc["juniper"]["srx"]["reason"] == "policy deny"


def test_a_newer_stream_deny_keeps_its_reason_apart_from_the_session_id() -> None:
    doc = ecs(
        "<14>Mar  5 10:00:00 srx-hue RT_FLOW: RT_FLOW_SESSION_DENY: session denied "
        "10.1.1.2/1234->198.51.100.4/80 0x0 junos-http 6(0) deny-all trust untrust UNKNOWN "
        "UNKNOWN N/A(N/A) ge-0/0/1.0 No Denied by policy 30581 N/A N/A -1 N/A"
    )
    srx = doc["juniper"]["srx"]
    assert srx["reason"] == "Denied by policy" and srx["session_id_32"] == "30581"
    assert srx["policy_name"] == "deny-all" and srx["connection_tag"] == "0x0"
    assert doc["network"]["transport"] == "tcp"


def test_a_relays_copy_of_a_structured_line() -> None:
    # A relay that rewrote the header as RFC 3164: the SRX's APP-NAME, PROCID, MSGID and SD
    # are now text.
    line = CLOSE_SD.replace(
        "<14>1 2024-03-04T09:41:27.204Z srx-sotc ", "<14>Mar  4 09:41:27 srx-sotc "
    )
    doc = ecs(line)
    assert doc["event"]["dataset"] == "juniper.srx"
    assert doc["event"]["code"] == "RT_FLOW_SESSION_CLOSE"
    assert doc["source"]["nat"] == {"ip": "198.51.100.9", "port": 28417}
    assert doc["juniper"]["srx"]["process"] == "RT_FLOW"
    assert doc["event"]["original"].startswith("RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636")


def test_screens_are_intrusion_alerts() -> None:
    # Juniper's system log reference, RT_SCREEN_TCP (structured)
    doc = ecs(
        "<11>1 2025-05-20T22:47:15.530+07:00 srx-sonv RT_IDS - RT_SCREEN_TCP "
        '[junos@2636.1.1.1.2.137 attack-name="TCP sweep!" source-address="203.0.113.45" '
        'source-port="6103" destination-address="192.0.2.20" destination-port="3389" '
        'source-zone-name="internet" interface-name="ge-0/0/0.0" action="drop"]'
    )
    assert doc["event"]["kind"] == "alert" and doc["event"]["action"] == "sweep_detected"
    assert doc["event"]["category"] == ["network", "intrusion_detection"]
    assert doc["event"]["type"] == ["info", "denied", "connection"]
    assert doc["source"] == {"ip": "203.0.113.45", "port": 6103}
    assert doc["observer"]["ingress"] == {"zone": "internet", "interface": {"name": "ge-0/0/0.0"}}
    assert doc["juniper"]["srx"]["attack_name"] == "TCP sweep!"
    # RT_SCREEN_TCP_SRC_IP: an alarm without a drop let the packet through
    syn = ecs(
        "<11>1 2025-05-20T23:02:48.117+07:00 srx-sonv RT_IDS - RT_SCREEN_TCP_SRC_IP "
        '[junos@2636.1.1.1.2.137 attack-name="SYN flood!" source-address="198.51.100.77" '
        'source-zone-name="wan" interface-name="ge-0/0/1.0" action="alarm-without-drop"]'
    )
    assert syn["event"]["action"] == "flood_detected" and syn["event"]["outcome"] == "success"
    assert syn["event"]["type"] == ["info", "connection"]


@pytest.mark.parametrize(
    ("text", "source", "destination"),
    [
        ("RT_SCREEN_TCP: SYN flood! source: 198.51.100.23:40522, destination: 192.0.2.80:443, "
         "zone name: wan, interface name: ge-0/0/1.0, action: drop",
         {"ip": "198.51.100.23", "port": 40522}, {"ip": "192.0.2.80", "port": 443}),
        ("RT_SCREEN_ICMP: ICMP fragment! source: 203.0.113.9, destination: 192.0.2.33, "
         "zone name: wan, interface name: ge-0/0/1.0, action: drop",
         {"ip": "203.0.113.9"}, {"ip": "192.0.2.33"}),
        ("RT_SCREEN_TCP: WinNuke attack! source: 2001:db8:5::17:3372, destination: "
         "2001:db8:a::2:139, zone name: internet, interface name: ge-0/0/0.0, action: drop",
         {"ip": "2001:db8:5::17", "port": 3372}, {"ip": "2001:db8:a::2", "port": 139}),
    ],
)  # fmt: skip
def test_stream_mode_screens(text: str, source: dict, destination: dict) -> None:
    doc = ecs(f"<11>Mar  5 10:00:00 srx-hue RT_IDS: {text}")
    assert doc["event"]["kind"] == "alert" and doc["event"]["dataset"] == "juniper.srx"
    assert doc["source"] == source and doc["destination"] == destination
    assert doc["juniper"]["srx"]["action"] == "drop"


def test_idp_attacks() -> None:
    # Juniper's system log reference, IDP_ATTACK_LOG_EVENT (structured)
    doc = ecs(
        "<165>1 2025-04-08T03:22:51.608Z srx-sokhdt RT_IDP - IDP_ATTACK_LOG_EVENT "
        '[junos@2636.1.1.1.2.28 epoch-time="1744082571" message-type="SIG" '
        'source-address="198.51.100.140" source-port="49321" '
        'destination-address="203.0.113.25" destination-port="443" protocol-name="TCP" '
        'service-name="SERVICE_IDP" application-name="HTTP" rule-name="7" rulebase-name="IPS" '
        'policy-name="idp-portal" export-id="31042" repeat-count="0" action="DROP" '
        'threat-severity="CRITICAL" attack-name="HTTP:SQL:INJ:UNION-SELECT" nat-source-address='
        '"0.0.0.0" nat-source-port="0" nat-destination-address="192.0.2.25" '
        'nat-destination-port="8443" elapsed-time="0" inbound-bytes="0" outbound-bytes="0" '
        'inbound-packets="0" outbound-packets="0" source-zone-name="internet" '
        'source-interface-name="reth0.100" destination-zone-name="dmz" destination-interface-name='
        '"reth1.30" packet-log-id="0" alert="no" username="unknown-user" roles="N/A" index="cnm" '
        'type="idp" message="-"]'
    )
    event = doc["event"]
    assert event["kind"] == "alert" and event["action"] == "security_threat"
    assert event["category"] == ["network", "intrusion_detection"]
    assert event["type"] == ["info", "denied", "connection"]
    assert doc["rule"] == {"name": "IPS", "id": "7"}
    assert doc["network"]["protocol"] == "tcp" and doc["network"]["application"] == "http"
    assert doc["destination"]["nat"] == {"ip": "192.0.2.25", "port": 8443}
    assert "nat" not in doc["source"]  # `0.0.0.0` port 0: not translated
    assert doc["related"]["ip"] == ["198.51.100.140", "203.0.113.25", "192.0.2.25"]
    assert doc["source"]["bytes"] == 0 and doc["destination"]["packets"] == 0
    assert doc["observer"]["egress"] == {"zone": "dmz", "interface": {"name": "reth1.30"}}
    assert doc["juniper"]["srx"]["attack_name"] == "HTTP:SQL:INJ:UNION-SELECT"
    assert doc["juniper"]["srx"]["threat_severity"] == "CRITICAL"
    assert doc["message"] == "IDP_ATTACK_LOG_EVENT"  # message="-"


def test_utm_web_filter_and_antivirus() -> None:
    # Juniper's system log reference, RT_UTM WEBFILTER_URL_BLOCKED (structured)
    blocked = ecs(
        "<12>1 2025-03-17T02:14:09.377Z srx-sogd RT_UTM - WEBFILTER_URL_BLOCKED "
        '[junos@2636.1.1.1.2.86 source-address="192.0.2.148" source-port="61207" '
        'destination-address="203.0.113.66" destination-port="80" category="blocked-sites" '
        'reason="BY_BLACK_LIST" profile="wf-staff" url="casino.example.com" '
        'obj="/play/index.html" username="tranvana" roles="N/A"]'
    )
    assert blocked["event"]["action"] == "web_filter" and blocked["event"]["kind"] == "alert"
    assert blocked["event"]["type"] == ["info", "denied", "connection"]
    assert blocked["url"] == {"domain": "casino.example.com", "path": "/play/index.html"}
    assert blocked["user"] == {"name": "tranvana"}
    # AV_VIRUS_DETECTED_MT: `filename` is host and path; `url` is not read as the URL
    virus = ecs(
        "<12>1 2025-03-17T02:20:44.051Z srx-sogd RT_UTM - AV_VIRUS_DETECTED_MT "
        '[junos@2636.1.1.1.2.40 source-address="203.0.113.71" source-port="80" '
        'destination-address="192.0.2.161" destination-port="53188" source-zone-name="internet" '
        'filename="downloads.example.net/tools/setup.exe" temporary-filename='
        '"downloads.example.net/tools/setup.exe" name="Trojan.Win32.Agent" '
        'url="Trojan.Win32.Agent"]'
    )
    assert virus["event"]["action"] == "virus_detected"
    assert virus["event"]["category"] == ["network", "malware"]
    assert virus["file"] == {"name": "downloads.example.net/tools/setup.exe"}
    assert "url" not in virus and virus["juniper"]["srx"]["name"] == "Trojan.Win32.Agent"
    # WEBFILTER_URL_PERMITTED
    permitted = ecs(
        "<14>1 2025-03-17T03:02:58.716Z srx-sogd RT_UTM - WEBFILTER_URL_PERMITTED "
        '[junos@2636.1.1.1.2.129 source-zone="lan" destination-zone="internet" source-address='
        '"192.0.2.148" source-port="61388" destination-address="203.0.113.12" destination-port='
        '"443" session-id="82906" category="Enhanced_Government" reason='
        '"BY_SITE_REPUTATION_VERY_SAFE" profile="wf-staff" url="dichvucong.example.org" obj="/" '
        'username="N/A" roles="N/A" urlcategory-risk="0"]'
    )
    assert permitted["event"]["kind"] == "event" and "action" not in permitted["event"]
    assert permitted["event"]["type"] == ["allowed", "connection"]
    assert permitted["observer"]["ingress"] == {"zone": "lan"}
    assert permitted["event"]["outcome"] == "success"
    assert permitted["event"]["risk_score"] == 0.0  # urlcategory-risk="0"


def test_advanced_threat_prevention_and_security_intelligence() -> None:
    # Juniper's system log reference, RT_AAMW SRX_AAMW_ACTION_LOG: some SRX releases write
    # typographic quotes, which the header's SD parser refuses; the element is read from the
    # message.
    atp = ecs(
        "<14>1 2025-05-02T08:33:14.902Z srx-soyt RT_AAMW - SRX_AAMW_ACTION_LOG "
        '[junos@xxx.x.x.x.x.28 http-host="updates.example.net" file-category="executable" '
        'action="BLOCK" verdict-number="9" verdict-source=”cloud” '
        'source-address="192.0.2.203" source-port="50611" destination-address="203.0.113.140" '
        'destination-port="80" protocol-id="6" application="UNKNOWN" nested-application="UNKNOWN" '
        'policy-name="atp-outbound" username="lethib" session-id-32="61002377" '
        'source-zone-name="lan" destination-zone-name="internet"]'
    )
    assert atp["event"]["action"] == "malware_detected" and atp["event"]["kind"] == "alert"
    assert atp["event"]["category"] == ["network", "malware"]
    assert atp["url"] == {"domain": "updates.example.net"}
    assert atp["juniper"]["srx"]["verdict_source"] == "cloud"
    assert atp["user"] == {"name": "lethib"} and atp["rule"] == {"name": "atp-outbound"}
    # AAMW_ACTION_LOG, a file let through
    permitted = ecs(
        "<165>1 2025-05-02T08:40:03.118Z srx-soyt RT_AAMW - AAMW_ACTION_LOG "
        '[junos@2636.1.1.1.2.129 hostname="pc-ketoan-07" file-category="document" '
        'verdict-number="3" malware-info="Macro document" action="PERMIT" list-hit="N/A" '
        'file-hash-lookup="FALSE" source-address="192.0.2.77" source-port="49852" '
        'destination-address="203.0.113.58" destination-port="80" protocol-id="6" '
        'application="HTTP" nested-application="N/A" policy-name="atp-outbound" username="N/A" '
        'roles="N/A" session-id-32="61004412" source-zone-name="lan" destination-zone-name='
        '"internet" sample-sha256="7d1c4a0f93b2e85c6f0a1d3e9b47c2f8a65e0d19b3c7f4a2e8d6b05c1f9'
        'a3e72" file-name="bao-cao-quy-2.docm" url="/files/bao-cao-quy-2.docm"]'
    )
    assert permitted["event"]["kind"] == "event" and permitted["event"]["outcome"] == "success"
    assert permitted["source"]["address"] == "pc-ketoan-07"
    assert permitted["file"]["name"] == "bao-cao-quy-2.docm"
    assert permitted["file"]["hash"]["sha256"].startswith("7d1c4a0f93b2")
    # RT_SECINTEL SECINTEL_ACTION_LOG: a blocklisted address
    feed = ecs(
        "<14>1 2025-05-02T11:07:45.283Z srx-sotnmt RT_SECINTEL - SECINTEL_ACTION_LOG "
        '[junos@2636.1.1.1.2.129 category="secintel" sub-category="Blacklist" action="BLOCK" '
        'action-detail="DROP" http-host="N/A" threat-severity="0" source-address="203.0.113.199" '
        'source-port="3" destination-address="192.0.2.40" destination-port="41766" '
        'protocol-id="1" application="N/A" nested-application="N/A" feed-name="blocklist_so_tt" '
        'policy-name="secintel-in" profile-name="ip-blocklist" username="N/A" roles="N/A" '
        'session-id-32="774310" source-zone-name="wan" destination-zone-name="dmz"]'
    )
    assert feed["event"]["action"] == "malware_detected"
    assert feed["event"]["type"] == ["info", "denied", "connection"]
    assert feed["network"] == {"iana_number": "1", "transport": "icmp"}
    assert feed["juniper"]["srx"]["feed_name"] == "blocklist_so_tt" and "url" not in feed


def test_a_junos_daemons_structured_line_takes_its_code_from_the_msgid() -> None:
    doc = ecs(
        "<30>1 2024-03-05T10:00:00.123+07:00 mx-core mgd 1234 UI_COMMIT [junos@2636.1.1.1.2.18 "
        "username=\"admin\" command=\"commit\"] User 'admin' requested 'commit' operation"
    )
    assert doc["event"]["dataset"] == "juniper.junos" and doc["event"]["code"] == "UI_COMMIT"
    assert doc["message"] == "User 'admin' requested 'commit' operation"
    assert doc["event"]["original"] == f"mgd: UI_COMMIT: {doc['message']}"
    assert doc["process"] == {"name": "mgd", "pid": 1234}


def test_other_senders_structured_lines_are_untouched() -> None:
    doc = ecs('<30>1 2024-03-05T10:00:00Z web1 myapp 99 LOGIN [origin@123 ip="10.0.0.1"] hello')
    assert "dataset" not in doc.get("event", {}) and doc["message"] == "hello"
    assert doc["log"]["syslog"]["msgid"] == "LOGIN"


@pytest.mark.parametrize("line", [CLOSE_SD, DENY_SD, CLOSE_STREAM, DENY_STREAM, CREATE_STREAM])
def test_truncated_lines_never_raise(line: str) -> None:
    for end in range(1, len(line)):
        try:
            message = parse_syslog(line[:end].encode(), received=RECEIVED)
        except ParseError:  # nothing but whitespace left
            continue
        doc = to_ecs(message, peer_ip=None)
        if doc.get("event", {}).get("dataset") == "juniper.srx":
            assert doc["juniper"]["srx"]["tag"]


@pytest.mark.parametrize(
    "text",
    [
        "RT_FLOW_SESSION_CREATE: session created 1.1.1.1/1->2.2.2.2/2 s " + "x rule " * 9000,
        "RT_FLOW_SESSION_CLOSE: session closed " + "TCP FIN " * 8000,
        "RT_FLOW_SESSION_DENY: session denied 1.1.1.1/1->2.2.2.2/2 s 6(0) p a b c d u(r) i e "
        + "word " * 12000,
        "RT_SCREEN_TCP: SYN flood! source: " + "1:" * 30000,
        'RT_FLOW_SESSION_CREATE [junos@2636 a="' + '\\"' * 30000,
        "RT_FLOW - X [junos@2636 " + "a=”" * 20000,
    ],
)
def test_hostile_lines_never_backtrack(text: str) -> None:
    """Every token is space-free and bounded, so no regex backtracks over characters (pytest's
    timeout would end a catastrophic one; each of these takes under a millisecond)."""
    for program in ("RT_FLOW", "RT_IDS", None):
        doc = parse_message(text, program=program)
        assert doc is None or doc["event"]["dataset"] == "juniper.srx"


def test_not_an_srx_line() -> None:
    assert junos_srx.parse("RT_FLOW_SESSION_CREATE: session created", program="cron") is None
    assert junos_srx.parse('hello [junos@2636.1 a="b"]') is None  # no SRX process named
    assert parse_message("no tag here", program="RT_FLOW") is None


@pytest.mark.parametrize(
    ("tag", "fields"),
    [
        ("AV_HUGE_FILE_DROPPED_MT", 'filename="files.example.net/pkg/big-image.iso"'),
        (
            "AV_SCANNER_DROP_FILE_MT",
            'filename="files.example.net/" error-code="14" '
            'error-message="scan engine is not ready"',
        ),
        (
            "AV_FILE_NOT_SCANNED_DROPPED_MT",
            'profile-name="av-edge" filename="files.example.net/pkg/big-image.iso" '
            'action="BLOCKED" reason="exceeding maximum content size" error-code="7"',
        ),
    ],
)
def test_utm_file_the_antivirus_dropped_is_denied(tag: str, fields: str) -> None:
    # Juniper's RT_UTM messages for a file dropped without a verdict: a block, not an alert
    doc = ecs(
        f"<12>1 2024-03-05T10:00:00.000Z srx-edge-1 RT_UTM - {tag} [junos@2636.1.1.1.2.129 "
        'source-address="203.0.113.40" source-port="80" destination-address="192.0.2.15" '
        f'destination-port="51727" {fields}]'
    )
    assert doc["event"]["type"] == ["info", "denied", "connection"]
    assert doc["event"]["outcome"] == "failure" and doc["event"]["kind"] == "event"
    assert doc["file"]["name"].startswith("files.example.net/")
