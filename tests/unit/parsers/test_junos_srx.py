"""Juniper SRX security logs in both of the SRX's modes, through the listener's header parser and
normalization, as an SRX or a relay sends them.

Structured lines are Elastic Filebeat's test logs for its `juniper` module
(x-pack/filebeat/module/juniper/srx/test/{flow,ids,idp,utm,atp,secintel}.log); stream-mode lines
are Logstash's Junos pattern tests (logstash-patterns-core spec/patterns/junos_spec.rb) and the
positional forms of Juniper's system log reference (RT_FLOW_SESSION_CREATE with connection tags
and NAT rule types, as Junos 12.3X48 and later write it).
"""

from __future__ import annotations

import pytest
from syslog_event import RECEIVED
from syslog_event import syslog_event as ecs

from collectors.parsers import junos_srx, parse_message
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.errors import ParseError

# Filebeat flow.log
CLOSE_SD = (
    "<14>1 2019-04-12T14:29:06.576Z cixi RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.129 "
    'reason="TCP FIN" source-address="10.3.255.203" source-port="47776" destination-address='
    '"8.23.224.110" destination-port="80" connection-tag="0" service-name="junos-http" '
    'nat-source-address="10.3.136.49" nat-source-port="19162" nat-destination-address='
    '"8.23.224.110" nat-destination-port="80" nat-connection-tag="0" src-nat-rule-type='
    '"source rule" src-nat-rule-name="nat1" dst-nat-rule-type="N/A" dst-nat-rule-name="N/A" '
    'protocol-id="6" policy-name="permit_all" source-zone-name="trust" destination-zone-name='
    '"untrust" session-id-32="5" packets-from-client="6" bytes-from-client="337" '
    'packets-from-server="4" bytes-from-server="535" elapsed-time="1" application="HTTP" '
    'nested-application="UNKNOWN" username="N/A" roles="N/A" packet-incoming-interface='
    '"ge-0/0/0.0" encrypted="No" application-category="Web" application-sub-category="N/A" '
    'application-risk="4" application-characteristics="Can Leak Information;Supports File '
    'Transfer;"]'
)
# Filebeat flow.log
DENY_SD = (
    "<14>1 2019-11-14T11:12:46.573+01:00 SRX-GW1 RT_FLOW - RT_FLOW_SESSION_DENY "
    '[junos@2636.1.1.1.2.134 source-address="10.0.0.26" source-port="37233" destination-address='
    '"10.128.0.1" destination-port="161" connection-tag="0" service-name="None" protocol-id="17" '
    'icmp-type="0" policy-name="MgmtAccess-trust-cleanup" source-zone-name="trust" '
    'destination-zone-name="junos-host" application="UNKNOWN" nested-application="UNKNOWN" '
    'username="N/A" roles="N/A" packet-incoming-interface=".local..0" encrypted="No" '
    'reason="Denied by policy" session-id-32="7087" application-category="N/A" '
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
    assert event["duration"] == 1_000_000_000 and event["risk_score"] == 4.0
    assert doc["@timestamp"] == "2019-04-12T14:29:06.576Z"
    assert doc["source"] == {"ip": "10.3.255.203", "port": 47776, "bytes": 337, "packets": 6,
                             "nat": {"ip": "10.3.136.49", "port": 19162}}  # fmt: skip
    assert doc["destination"] == {"ip": "8.23.224.110", "port": 80, "bytes": 535, "packets": 4,
                                  "nat": {"ip": "8.23.224.110", "port": 80}}  # fmt: skip
    assert doc["network"] == {"iana_number": "6", "transport": "tcp", "application": "http",
                              "bytes": 872, "packets": 10}  # fmt: skip
    assert doc["rule"] == {"name": "permit_all"}
    assert doc["observer"] == {
        "vendor": "Juniper", "product": "SRX", "type": "firewall", "ip": "10.20.0.1",
        "ingress": {"zone": "trust", "interface": {"name": "ge-0/0/0.0"}},
        "egress": {"zone": "untrust"},
    }  # fmt: skip
    assert "user" not in doc  # username="N/A"
    srx = doc["juniper"]["srx"]
    assert srx["session_id_32"] == "5" and srx["src_nat_rule_type"] == "source rule"
    assert srx["process"] == "RT_FLOW" and srx["tag"] == "RT_FLOW_SESSION_CLOSE"
    assert "dst_nat_rule_name" not in srx and "nested_application" not in srx  # N/A, UNKNOWN
    assert doc["related"]["ip"] == ["10.3.255.203", "10.3.136.49", "8.23.224.110"]
    assert doc["host"]["name"] == "cixi"


def test_a_structured_deny_is_a_denied_connection() -> None:
    doc = ecs(DENY_SD)
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["event"]["action"] == "flow_deny" and doc["event"]["outcome"] == "failure"
    assert doc["network"] == {"iana_number": "17", "transport": "udp"}
    assert doc["observer"]["ingress"] == {"zone": "trust", "interface": {"name": ".local..0"}}
    assert doc["juniper"]["srx"]["reason"] == "Denied by policy"
    assert "service_name" not in doc["juniper"]["srx"]  # "None"
    assert doc["@timestamp"] == "2019-11-14T10:12:46.573Z"


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
        "UNKNOWN N/A(N/A) ge-0/0/1.0 No Denied by policy 7087 N/A N/A -1 N/A"
    )
    srx = doc["juniper"]["srx"]
    assert srx["reason"] == "Denied by policy" and srx["session_id_32"] == "7087"
    assert srx["policy_name"] == "deny-all" and srx["connection_tag"] == "0x0"
    assert doc["network"]["transport"] == "tcp"


def test_a_relays_copy_of_a_structured_line() -> None:
    # A relay that rewrote the header as RFC 3164: the SRX's APP-NAME, PROCID, MSGID and SD
    # are now text.
    line = CLOSE_SD.replace("<14>1 2019-04-12T14:29:06.576Z cixi ", "<14>Apr 12 14:29:06 cixi ")
    doc = ecs(line)
    assert doc["event"]["dataset"] == "juniper.srx"
    assert doc["event"]["code"] == "RT_FLOW_SESSION_CLOSE"
    assert doc["source"]["nat"] == {"ip": "10.3.136.49", "port": 19162}
    assert doc["juniper"]["srx"]["process"] == "RT_FLOW"
    assert doc["event"]["original"].startswith("RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636")


def test_screens_are_intrusion_alerts() -> None:
    # Filebeat ids.log
    doc = ecs(
        "<11>1 2018-07-19T18:17:02.309-05:00 rtr199 RT_IDS - RT_SCREEN_TCP "
        '[junos@2636.81.2.69.144.137 attack-name="TCP sweep!" source-address="89.160.20.112" '
        'source-port="6000" destination-address="40.177.177.1" destination-port="1433" '
        'source-zone-name="untrust" interface-name="fe-0/0/2.0" action="drop"]'
    )
    assert doc["event"]["kind"] == "alert" and doc["event"]["action"] == "sweep_detected"
    assert doc["event"]["category"] == ["network", "intrusion_detection"]
    assert doc["event"]["type"] == ["info", "denied", "connection"]
    assert doc["source"] == {"ip": "89.160.20.112", "port": 6000}
    assert doc["observer"]["ingress"] == {"zone": "untrust", "interface": {"name": "fe-0/0/2.0"}}
    assert doc["juniper"]["srx"]["attack_name"] == "TCP sweep!"
    # Filebeat ids.log: an alarm without a drop let the packet through
    syn = ecs(
        "<11>1 2018-07-19T19:19:02.309-05:00 rtr199 RT_IDS - RT_SCREEN_TCP_SRC_IP "
        '[junos@2636.81.2.69.144.40 attack-name="SYN flood!" source-address="81.2.69.143" '
        'source-zone-name="trustZone" interface-name="ge-0/0/1.0" action="alarm-without-drop"]'
    )
    assert syn["event"]["action"] == "flood_detected" and syn["event"]["outcome"] == "success"
    assert syn["event"]["type"] == ["info", "connection"]


@pytest.mark.parametrize(
    ("text", "source", "destination"),
    [
        ("RT_SCREEN_TCP: SYN flood! source: 81.2.69.144:40001, destination: 2.2.2.2:50010, "
         "zone name: trustZone, interface name: ge-0/0/1.0, action: drop",
         {"ip": "81.2.69.144", "port": 40001}, {"ip": "2.2.2.2", "port": 50010}),
        ("RT_SCREEN_ICMP: ICMP fragment! source: 81.2.69.143, destination: 3.4.2.2, "
         "zone name: trustZone, interface name: ge-0/0/1.0, action: drop",
         {"ip": "81.2.69.143"}, {"ip": "3.4.2.2"}),
        ("RT_SCREEN_TCP: WinNuke attack! source: 2000::2:3240, destination: 2001::2:139, "
         "zone name: untrust, interface name: fe-0/0/2.0, action: drop",
         {"ip": "2000::2", "port": 3240}, {"ip": "2001::2", "port": 139}),
    ],
)  # fmt: skip
def test_stream_mode_screens(text: str, source: dict, destination: dict) -> None:
    doc = ecs(f"<11>Mar  5 10:00:00 srx-hue RT_IDS: {text}")
    assert doc["event"]["kind"] == "alert" and doc["event"]["dataset"] == "juniper.srx"
    assert doc["source"] == source and doc["destination"] == destination
    assert doc["juniper"]["srx"]["action"] == "drop"


def test_idp_attacks() -> None:
    # Filebeat idp.log
    doc = ecs(
        "<165>1 2020-03-02T23:13:03.193Z idp1 RT_IDP - IDP_ATTACK_LOG_EVENT "
        '[junos@2636.1.1.1.2.28 epoch-time="1583190783" message-type="SIG" '
        'source-address="10.11.11.1" source-port="12345" '
        'destination-address="187.188.188.10" destination-port="123" protocol-name="TCP" '
        'service-name="SERVICE_IDP" application-name="HTTP" rule-name="3" rulebase-name="IPS" '
        'policy-name="Recommended" export-id="20175" repeat-count="0" action="DROP" '
        'threat-severity="HIGH" attack-name="HTTP:MISC:GENERIC-DIR-TRAVERSAL" nat-source-address='
        '"0.0.0.0" nat-source-port="13312" nat-destination-address="3.3.10.11" '
        'nat-destination-port="9757" elapsed-time="0" inbound-bytes="0" outbound-bytes="0" '
        'inbound-packets="0" outbound-packets="0" source-zone-name="UNTRUST" '
        'source-interface-name="reth1.24" destination-zone-name="DMZ" destination-interface-name='
        '"reth2.21" packet-log-id="0" alert="no" username="unknown-user" roles="N/A" index="cnm" '
        'type="idp" message="-"]'
    )
    event = doc["event"]
    assert event["kind"] == "alert" and event["action"] == "security_threat"
    assert event["category"] == ["network", "intrusion_detection"]
    assert event["type"] == ["info", "denied", "connection"]
    assert doc["rule"] == {"name": "IPS", "id": "3"}
    assert doc["network"]["protocol"] == "tcp" and doc["network"]["application"] == "http"
    assert doc["destination"]["nat"] == {"ip": "3.3.10.11", "port": 9757}
    assert doc["source"]["bytes"] == 0 and doc["destination"]["packets"] == 0
    assert doc["observer"]["egress"] == {"zone": "DMZ", "interface": {"name": "reth2.21"}}
    assert doc["juniper"]["srx"]["attack_name"] == "HTTP:MISC:GENERIC-DIR-TRAVERSAL"
    assert doc["juniper"]["srx"]["threat_severity"] == "HIGH"
    assert doc["message"] == "IDP_ATTACK_LOG_EVENT"  # message="-"


def test_utm_web_filter_and_antivirus() -> None:
    # Filebeat utm.log
    blocked = ecs(
        "<12>1 2016-02-18T01:32:50.391Z utm-srx550-b RT_UTM - WEBFILTER_URL_BLOCKED "
        '[junos@2636.1.1.1.2.86 source-address="192.168.1.100" source-port="58071" '
        'destination-address="103.235.46.39" destination-port="80" category="cat1" '
        'reason="BY_BLACK_LIST" profile="uf1" url="www.baidu.com" obj="/" username="user01" '
        'roles="N/A"]'
    )
    assert blocked["event"]["action"] == "web_filter" and blocked["event"]["kind"] == "alert"
    assert blocked["event"]["type"] == ["info", "denied", "connection"]
    assert blocked["url"] == {"domain": "www.baidu.com", "path": "/"}
    assert blocked["user"] == {"name": "user01"}
    virus = ecs(
        "<12>1 2010-02-08T08:29:28.565Z SRX650-1 RT_UTM - AV_VIRUS_DETECTED_MT "
        '[junos@2636.1.1.1.2.40 source-address="188.40.238.250" source-port="80" '
        'destination-address="10.1.1.103" destination-port="47095" source-zone-name="untrust" '
        'filename="www.eicar.org/download/eicar.com" temporary-filename='
        '"www.eicar.org/download/eicar.com" name="EICAR-Test-File" url="EICAR-Test-File"]'
    )
    assert virus["event"]["action"] == "virus_detected"
    assert virus["event"]["category"] == ["network", "malware"]
    assert virus["file"] == {"name": "www.eicar.org/download/eicar.com"}
    assert "url" not in virus and virus["juniper"]["srx"]["name"] == "EICAR-Test-File"
    permitted = ecs(
        "<14>1 2020-07-14T14:16:18.345Z SRX650-1 RT_UTM - WEBFILTER_URL_PERMITTED "
        '[junos@2636.1.1.1.2.129 source-zone="trust" destination-zone="untrust" source-address='
        '"10.1.1.100" source-port="58974" destination-address="104.26.15.142" destination-port='
        '"443" session-id="16297" category="Enhanced_Information_Technology" reason='
        '"BY_SITE_REPUTATION_MODERATELY_SAFE" profile="WCF1" url="datawrapper.dwcdn.net" obj="/" '
        'username="N/A" roles="N/A" urlcategory-risk="0"]'
    )
    assert permitted["event"]["kind"] == "event" and "action" not in permitted["event"]
    assert permitted["event"]["type"] == ["allowed", "connection"]
    assert permitted["observer"]["ingress"] == {"zone": "trust"}
    assert permitted["event"]["outcome"] == "success"
    assert permitted["event"]["risk_score"] == 0.0  # urlcategory-risk="0"


def test_advanced_threat_prevention_and_security_intelligence() -> None:
    # Filebeat atp.log: this SRX release writes typographic quotes, which the header's SD
    # parser refuses; the element is read from the message.
    atp = ecs(
        "<14>1 2013-12-14T16:06:59.134Z pinarello RT_AAMW - SRX_AAMW_ACTION_LOG "
        '[junos@xxx.x.x.x.x.28 http-host="www.mytest.com" file-category="executable" '
        'action="BLOCK" verdict-number="8" verdict-source=”cloud/blacklist/whitelist” '
        'source-address="10.10.10.1" source-port="57116" destination-address="187.19.188.200" '
        'destination-port="80" protocol-id="6" application="UNKNOWN" nested-application="UNKNOWN" '
        'policy-name="argon_policy" username="user1" session-id-32="50000002" '
        'source-zone-name="untrust" destination-zone-name="trust"]'
    )
    assert atp["event"]["action"] == "malware_detected" and atp["event"]["kind"] == "alert"
    assert atp["event"]["category"] == ["network", "malware"]
    assert atp["url"] == {"domain": "www.mytest.com"}
    assert atp["juniper"]["srx"]["verdict_source"] == "cloud/blacklist/whitelist"
    assert atp["user"] == {"name": "user1"} and atp["rule"] == {"name": "argon_policy"}
    # Filebeat atp.log
    permitted = ecs(
        "<165>1 2007-02-15T09:17:15.719Z aamw1 RT_AAMW - AAMW_ACTION_LOG [junos@2636.1.1.1.2.129 "
        'hostname="dummy_host" file-category="executable" verdict-number="10" malware-info='
        '"Testfile" action="PERMIT" list-hit="N/A" file-hash-lookup="FALSE" source-address='
        '"1.1.1.1" source-port="60148" destination-address="10.0.0.1" destination-port="80" '
        'protocol-id="6" application="HTTP" nested-application="N/A" policy-name="test-policy" '
        'username="N/A" roles="N/A" session-id-32="502156" source-zone-name="Inside" '
        'destination-zone-name="Outside" sample-sha256="e038b5168d9209267058112d845341cae83d92b1d1'
        'af0a10b66830acb7529494" file-name="dummy_file" url="dummy_url"]'
    )
    assert permitted["event"]["kind"] == "event" and permitted["event"]["outcome"] == "success"
    assert permitted["source"]["address"] == "dummy_host"
    assert permitted["file"]["name"] == "dummy_file"
    assert permitted["file"]["hash"]["sha256"].startswith("e038b5168d92")
    # Filebeat secintel.log
    feed = ecs(
        "<14>1 2016-10-17T15:18:11.618Z SRX-1500 RT_SECINTEL - SECINTEL_ACTION_LOG "
        '[junos@2636.81.2.69.144.129 category="secintel" sub-category="Blacklist" action="BLOCK" '
        'action-detail="DROP" http-host="N/A" threat-severity="0" source-address="67.43.156.12" '
        'source-port="1" destination-address="10.10.0.10" destination-port="24039" '
        'protocol-id="1" application="N/A" nested-application="N/A" feed-name="Tor_Exit_Nodes" '
        'policy-name="cc_policy" profile-name="Blacklist" username="N/A" roles="N/A" '
        'session-id-32="572564" source-zone-name="Outside" destination-zone-name="DMZ"]'
    )
    assert feed["event"]["action"] == "malware_detected"
    assert feed["event"]["type"] == ["info", "denied", "connection"]
    assert feed["network"] == {"iana_number": "1", "transport": "icmp"}
    assert feed["juniper"]["srx"]["feed_name"] == "Tor_Exit_Nodes" and "url" not in feed


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
