"""FortiGate key=value logs, modelled on the FortiOS Log Reference examples."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.files import ReadProblem, read_events
from collectors.parsers import fortigate
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

# FortiOS 6.2 traffic log (Log Reference, "Traffic log: forward"), with the devname/devid header
# keys a FortiGate puts in front when it sends over syslog.
TRAFFIC_CLOSE = (
    '<189>date=2019-05-10 time=11:37:47 devname="FG100E-SoYTe" devid="FG100ETK18000000" '
    'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="vdom1" '
    'eventtime=1557513467369913239 tz="-0700" srcip=10.1.100.11 srcport=58012 '
    'srcintf="port12" srcintfrole="undefined" dstip=23.59.154.35 dstport=80 dstintf="port11" '
    'dstintfrole="undefined" poluuid="ccb269e0-5735-51e9-a218-a397dd08b7eb" sessionid=105048 '
    'proto=6 action="close" policyid=1 policytype="policy" service="HTTP" '
    'dstcountry="United States" srccountry="Reserved" trandisp="snat" transip=172.16.200.2 '
    'transport=58012 appid=34050 app="HTTP.BROWSER_Firefox" appcat="Web.Client" '
    'apprisk="elevated" duration=116 sentbyte=1188 rcvdbyte=1224 sentpkt=17 rcvdpkt=16 '
    'utmaction="allow" countapp=1 osname="Ubuntu" srcmac="a2:e9:00:ec:40:01"'
)
TRAFFIC_DENY = (
    '<188>date=2024-03-05 time=14:02:11 devname="FGT-UBND" devid="FGT60FTK2209ABCD" '
    'logid="0000000013" type="traffic" subtype="forward" level="warning" vd="root" '
    'tz="+0700" srcip=203.0.113.50 srcport=51515 srcintf="wan1" dstip=10.20.5.10 dstport=3389 '
    'dstintf="internal" proto=17 action="deny" policyid=0 policyname="Implicit Deny" '
    'service="RDP" msg="Denied by \\"forward\\" policy check" sentbyte=0 rcvdbyte=0 '
    "crscore=30 craction=131072"
)


def ecs(raw: str) -> dict:
    msg = parse_syslog(raw.encode(), received=datetime(2024, 3, 5, tzinfo=UTC))
    return to_ecs(msg, peer_ip="10.20.0.254")


def test_traffic_close_to_ecs() -> None:
    doc = ecs(TRAFFIC_CLOSE)
    assert doc["event"]["dataset"] == "fortinet.firewall"
    assert doc["event"]["module"] == "fortinet"
    assert doc["event"]["action"] == "close"
    assert doc["event"]["outcome"] == "success"
    assert doc["event"]["category"] == ["network"]
    assert doc["event"]["type"] == ["connection", "end", "allowed"]
    assert doc["observer"] == {
        "vendor": "Fortinet",
        "product": "FortiGate",
        "type": "firewall",
        "name": "FG100E-SoYTe",
        "serial_number": "FG100ETK18000000",
        "ip": "10.20.0.254",
        "ingress": {"interface": {"name": "port12"}},
        "egress": {"interface": {"name": "port11"}},
    }
    assert doc["source"] == {
        "ip": "10.1.100.11",
        "port": 58012,
        "bytes": 1188,
        "packets": 17,
        "mac": "A2-E9-00-EC-40-01",
        "nat": {"ip": "172.16.200.2", "port": 58012},
    }
    assert doc["destination"] == {"ip": "23.59.154.35", "port": 80, "bytes": 1224, "packets": 16}
    assert doc["network"] == {
        "iana_number": "6",
        "transport": "tcp",
        "application": "HTTP.BROWSER_Firefox",
        "protocol": "http",
    }
    assert doc["rule"] == {"id": "1"}
    # eventtime (ns) and date+time+tz agree: 11:37:47 at -07:00 is 18:37:47Z
    assert doc["@timestamp"] == "2019-05-10T18:37:47.369Z"
    assert doc["log"]["syslog"]["priority"] == 189


def test_every_raw_key_is_kept_unquoted() -> None:
    content = TRAFFIC_CLOSE.removeprefix("<189>")
    raw = fortigate.parse(content)["fortinet"]["firewall"]  # type: ignore[index]
    assert raw["dstcountry"] == "United States"
    assert raw["logid"] == "0000000013"
    assert raw["date"] == "2019-05-10"
    assert raw["srcmac"] == "a2:e9:00:ec:40:01"
    assert len(raw) == content.count("=")


def test_traffic_deny_with_tz_and_no_eventtime() -> None:
    doc = ecs(TRAFFIC_DENY)
    assert doc["event"]["action"] == "deny"
    assert doc["event"]["outcome"] == "failure"
    assert doc["network"]["transport"] == "udp"
    assert doc["destination"]["port"] == 3389
    assert doc["rule"] == {"id": "0", "name": "Implicit Deny"}
    assert doc["@timestamp"] == "2024-03-05T07:02:11.000Z"
    assert doc["fortinet"]["firewall"]["msg"] == 'Denied by "forward" policy check'


def test_eventtime_in_seconds_from_fortios_6_0() -> None:
    doc = fortigate.parse('devname="FG" logid="1" eventtime=1557968615 action="accept"')
    assert doc is not None
    assert doc["@timestamp"] == "2019-05-16T01:03:35.000Z"


def test_date_and_time_without_tz_are_utc() -> None:
    doc = fortigate.parse('date=2024-03-05 time=08:00:00 devname="FG" logid="1"')
    assert doc is not None
    assert doc["@timestamp"] == "2024-03-05T08:00:00.000Z"


def test_fortigate_over_rfc5424() -> None:
    doc = ecs(
        "<189>1 2024-03-05T07:00:00Z FGT-UBND - - - - "
        'devname="FGT-UBND" logid="0000000013" type="traffic" srcip=10.20.5.1 dstip=8.8.8.8 '
        'proto=17 dstport=53 action="accept"'
    )
    assert doc["event"]["dataset"] == "fortinet.firewall"
    assert doc["host"]["name"] == "FGT-UBND"
    assert doc["destination"] == {"ip": "8.8.8.8", "port": 53}


def test_bad_values_are_dropped_not_fatal() -> None:
    doc = fortigate.parse(
        'devname="FG" logid="1" srcip=999.1.1.1 srcport=abc dstport=99999999999999999999999 '
        "proto=300 eventtime=12x date=2024-13-01 time=25:00:00 sentbyte=-5"
    )
    assert doc is not None
    assert "source" not in doc and "destination" not in doc
    assert doc["network"] == {"iana_number": "300"}
    assert "@timestamp" not in doc
    assert doc["fortinet"]["firewall"]["srcip"] == "999.1.1.1"


def test_other_lines_are_not_fortigate() -> None:
    assert fortigate.parse("user=alice action=login devname_x=1") is None
    assert fortigate.parse("a message mentioning devname= and logid= in prose") is None


# FortiOS Log Reference pairs: one traffic log as the FortiGate keeps it on disk and as it sends
# it in CEF (`set format cef`). 6.2 names its own fields FTNTFGT<name>; 5.6 put the policy,
# duration and packet counts in labelled custom fields. The disk logs get the devname/devid
# keys a FortiGate sends over syslog.
DISK_62 = (
    '<189>devname="FGT-A-LOG" devid="FGT5HD3915800610" date=2018-12-27 time=11:07:55 '
    'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="vdom1" '
    'eventtime=1545937675 srcip=10.1.100.11 srcport=54190 srcintf="port12" '
    'srcintfrole="undefined" dstip=52.53.140.235 dstport=443 dstintf="port11" '
    'dstintfrole="undefined" poluuid="c2d460aa-fe6f-51e8-9505-41b5117dfdd4" sessionid=402 '
    'proto=6 action="close" policyid=1 policytype="policy" service="HTTPS" '
    'dstcountry="United States" srccountry="Reserved" trandisp="snat" transip=172.16.200.1 '
    'transport=54190 appid=40568 app="HTTPS.BROWSER" appcat="Web.Client" apprisk="medium" '
    'applist="g-default" duration=2 sentbyte=3652 rcvdbyte=146668 sentpkt=58 rcvdpkt=105 '
    'utmaction="allow" countapp=2 utmref=65532-56'
)
CEF_62 = (
    "<189>Dec 27 11:07:55 FGT-A-LOG CEF: 0|Fortinet|Fortigate|v6.0.3|00013|traffic:forward "
    "close|3|deviceExternalId=FGT5HD3915800610 FTNTFGTlogid=0000000013 cat=traffic:forward "
    "FTNTFGTsubtype=forward FTNTFGTlevel=notice FTNTFGTvd=vdom1 FTNTFGTeventtime=1545937675 "
    "src=10.1.100.11 spt=54190 deviceInboundInterface=port12 FTNTFGTsrcintfrole=undefined "
    "dst=52.53.140.235 dpt=443 deviceOutboundInterface=port11 FTNTFGTdstintfrole=undefined "
    "FTNTFGTpoluuid=c2d460aa-fe6f-51e8-9505-41b5117dfdd4 externalId=402 proto=6 act=close "
    "FTNTFGTpolicyid=1 FTNTFGTpolicytype=policy app=HTTPS FTNTFGTdstcountry=United States "
    "FTNTFGTsrccountry=Reserved FTNTFGTtrandisp=snat sourceTranslatedAddress=172.16.200.1 "
    "sourceTranslatedPort=54190 FTNTFGTappid=40568 FTNTFGTapp=HTTPS.BROWSER "
    "FTNTFGTappcat=Web.Client FTNTFGTapprisk=medium FTNTFGTapplist=g-default FTNTFGTduration=2 "
    "out=3652 in=146668 FTNTFGTsentpkt=58 FTNTFGTrcvdpkt=105 FTNTFGTutmaction=allow "
    "FTNTFGTcountapp=2"
)
DISK_56 = (
    '<189>devname="syslog-800c" devid="FG800C0000000001" date=2016-02-12 time=11:11:29 '
    "logid=0000000013 type=traffic subtype=forward level=notice vd=vdom1 srcip=192.168.1.183 "
    'srcname="192.168.1.183" srcport=45719 srcintf="port15" dstip=192.168.70.184 '
    'dstname="192.168.70.184" dstport=80 dstintf="port19" '
    "poluuid=61c4243a-34ba-51e5-c32a-3859389a5162 sessionid=56633 proto=6 action=close "
    'policyid=10 dstcountry="Reserved" srccountry="Reserved" trandisp=snat '
    'transip=192.168.70.214 transport=45719 service="HTTP" appid=38783 app="Wget.Like" '
    'appcat="General.Interest" apprisk=low applist="default" appact=detected duration=7 '
    "sentbyte=398 rcvdbyte=1605 sentpkt=5 rcvdpkt=5 utmaction=block countav=1 countapp=1 "
    "crscore=50 craction=2 utmref=65502-0"
)
CEF_56 = (
    "<189>Feb 12 11:11:30 syslog-800c CEF:0|Fortinet|Fortigate|v5.6.0|00013|traffic:forward "
    "close|3|FTNTFGTlogid=0000000013 cat=traffic:forward FTNTFGTsubtype=forward "
    "FTNTFGTlevel=notice FTNTFGTvd=vdom1 src=192.168.1.183 shost=192.168.1.183 spt=45719 "
    "deviceInboundInterface=port15 dst=192.168.70.184 dhost=192.168.70.184 dpt=80 "
    "deviceOutboundInterface=port19 FTNTFGTpoluuid=61c4243a-34ba-51e5-c32a-3859389a5162 "
    "externalId=56633 proto=6 act=close cs5=10 cs5Label=Policy Id FTNTFGTdstcountry=Reserved "
    "FTNTFGTsrccountry=Reserved FTNTFGTtrandisp=snat sourceTranslatedAddress=192.168.70.214 "
    "sourceTranslatedPort=45719 app=HTTP FTNTFGTappid=38783 FTNTFGTapp=Wget.Like "
    "FTNTFGTappcat=General.Interest FTNTFGTapprisk=low FTNTFGTapplist=default "
    "FTNTFGTappact=detected cn1=7 cn1Label=Duration out=398 in=1605 cn2=5 cn2Label=Packets Sent "
    "cn3=5 cn3Label=Packets Received FTNTFGTutmaction=block FTNTFGTcountav=1 FTNTFGTcountapp=1 "
    "FTNTFGTcrscore=50 FTNTFGTcraction=2"
)
ONLY_ON_DISK = {"devname", "devid", "date", "time", "utmref"}  # the header and what CEF omits


@pytest.mark.parametrize(("disk", "sent"), [(DISK_62, CEF_62), (DISK_56, CEF_56)])
def test_cef_lines_read_as_the_same_fortigate_log(disk: str, sent: str) -> None:
    on_disk, in_cef = ecs(disk), ecs(sent)
    assert in_cef["event"]["dataset"] == "fortinet.firewall"
    kept = {k: v for k, v in on_disk["fortinet"]["firewall"].items() if k not in ONLY_ON_DISK}
    assert {k: v for k, v in in_cef["fortinet"]["firewall"].items() if k != "devid"} == kept
    for field in ("source", "destination", "network", "rule"):  # generic CEF may add more
        assert {k: in_cef[field].get(k) for k in on_disk[field]} == on_disk[field], field
    for field in ("category", "type", "action", "outcome", "code"):
        assert in_cef["event"][field] == on_disk["event"][field], field
    assert in_cef["event"]["severity"] == 3  # what only the CEF header says stays


def test_fortigate_bytes_in_cef_keep_their_direction() -> None:
    """FortiOS sends `rcvdbyte` as CEF's `in`, which generic CEF takes for the source's bytes."""
    doc = ecs(CEF_62)
    assert doc["source"]["bytes"] == 3652 and doc["destination"]["bytes"] == 146668
    assert doc["@timestamp"] == "2018-12-27T19:07:55.000Z"  # eventtime, not the header clock
    assert doc["observer"]["serial_number"] == "FGT5HD3915800610"


def test_other_vendors_cef_stays_cef() -> None:
    doc = ecs(CEF_62.replace("|Fortinet|Fortigate|", "|Acme|Firewall|"))
    assert doc["event"]["dataset"] == "cef.log"
    assert doc["source"]["bytes"] == 146668  # CEF's own meaning of `in`
    no_logid = ecs(CEF_56.replace("FTNTFGTlogid=0000000013 ", ""))
    assert no_logid["event"]["dataset"] == "cef.log"


# A log as the FortiGate shows and downloads it (GUI, `execute log display`, the Log Reference's
# examples): no devname/devid header; also what syslog sends with them excluded (FortiOS 8.0
# `config log custom-format`, `set field-exclusion-list devname devid`).
HEADLESS_TRAFFIC = (
    'date=2024-03-05 time=08:14:02 eventtime=1709655242123456789 tz="-0800" logid="0000000013" '
    'type="traffic" subtype="forward" level="notice" vd="root" srcip=192.0.2.10 srcport=50514 '
    'srcintf="port2" dstip=198.51.100.20 dstport=443 dstintf="wan1" sessionid=8812 proto=6 '
    'action="close" policyid=7 service="HTTPS" sentbyte=2210 rcvdbyte=9012'
)


@pytest.mark.parametrize("line", [HEADLESS_TRAFFIC, f"<189>{HEADLESS_TRAFFIC}"])
def test_log_without_devname_is_still_fortigate(line: str) -> None:
    doc = ecs(line)
    assert doc["event"]["dataset"] == "fortinet.firewall"
    assert doc["event"]["code"] == "0000000013"
    assert doc["source"]["ip"] == "192.0.2.10" and doc["destination"]["port"] == 443
    assert doc["@timestamp"] == "2024-03-05T16:14:02.123Z"


def test_devname_in_an_rfc5424_header_only() -> None:
    doc = ecs(
        '<189>1 2024-03-05T16:14:02Z FGT-BRANCH - - - - eventtime=1709655242 logid="0000000013" '
        'type="traffic" subtype="forward" srcip=192.0.2.10 dstip=198.51.100.20 action="deny"'
    )
    assert doc["event"]["dataset"] == "fortinet.firewall"
    assert doc["host"]["name"] == "FGT-BRANCH"
    assert doc["event"]["type"] == ["connection", "end", "denied"]


def test_headless_needs_a_fortios_logid_and_type() -> None:
    assert fortigate.parse('logid="1" type="traffic" subtype="forward" srcip=192.0.2.1') is None
    assert fortigate.parse('logid="0000000013" subtype="forward" srcip=192.0.2.1') is None


def _traffic(action: str, extra: str = "") -> dict:
    doc = fortigate.parse(
        f'devname="FGT-EDGE" logid="0000000013" type="traffic" subtype="forward" '
        f'srcip=192.0.2.10 dstip=198.51.100.20 proto=6 action="{action}" {extra}'
    )
    assert doc is not None
    return doc["event"]


@pytest.mark.parametrize("action", ["server-rst", "client-rst"])
def test_a_reset_session_was_accepted_not_denied(action: str) -> None:
    event = _traffic(action)
    assert event["type"] == ["connection", "end", "allowed"]
    assert event["outcome"] == "success"
    blocked = _traffic(action, 'utmaction="block"')  # a security profile reset it
    assert blocked["type"] == ["connection", "end", "denied"]


@pytest.mark.parametrize("action", ["dns", "ip-conn"])
def test_a_session_whose_lookup_or_host_failed(action: str) -> None:
    event = _traffic(action)
    assert event["outcome"] == "failure"
    assert event["type"] == ["connection", "end", "allowed"]  # the policy did not deny it


# FortiOS Log Reference, 0101037141 "IPsec tunnel statistics" and 0101039426 "SSL VPN login fail"
IPSEC_STATS = (
    '<189>date=2024-03-05 time=09:58:46 devname="FGT-HQ" devid="FGT60FTK2209ABCD" '
    'eventtime=1709661526 tz="-0800" logid="0101037141" type="event" subtype="vpn" '
    'level="notice" vd="root" logdesc="IPsec tunnel statistics" msg="IPsec tunnel statistics" '
    'action="tunnel-stats" remip=203.0.113.7 locip=198.51.100.1 remport=4500 locport=4500 '
    'outintf="wan1" cookies="5a1c/77b2" user="203.0.113.7" group="N/A" xauthuser="jdoe" '
    'xauthgroup="staff" assignip=192.0.2.100 vpntunnel="dialup_0" tunnelip=192.0.2.100 '
    'tunnelid=42 tunneltype="ipsec" duration=385 sentbyte=97846 rcvdbyte=34319'
)
SSLVPN_FAIL = (
    '<190>date=2024-03-05 time=10:02:11 devname="FGT-HQ" devid="FGT60FTK2209ABCD" '
    'eventtime=1709661731 tz="-0800" logid="0101039426" type="event" subtype="vpn" '
    'level="alert" vd="root" logdesc="SSL VPN login fail" action="ssl-login-fail" '
    'tunneltype="ssl-web" tunnelid=0 remip=203.0.113.9 user="mallory" group="N/A" '
    'dst_host="N/A" reason="sslvpn_login_unknown_user" msg="SSL user failed to logged in"'
)


def test_vpn_peer_is_the_source() -> None:
    doc = ecs(IPSEC_STATS)
    assert doc["source"] == {"ip": "203.0.113.7", "port": 4500, "bytes": 34319}
    assert doc["destination"] == {"ip": "198.51.100.1", "port": 4500, "bytes": 97846}
    assert doc["user"]["name"] == "jdoe"  # not the peer's address in `user`
    assert ecs(SSLVPN_FAIL)["source"] == {"ip": "203.0.113.9"}


def test_na_is_no_user() -> None:
    doc = ecs(
        IPSEC_STATS.replace('xauthuser="jdoe"', 'xauthuser="N/A"').replace(
            'user="203.0.113.7"', 'user="N/A"'
        )
    )
    assert "user" not in doc


def _web(url: str) -> dict:
    doc = fortigate.parse(
        'devname="FGT-EDGE" logid="0317013312" type="utm" subtype="webfilter" '
        f'eventtype="ftgd_allow" service="HTTPS" hostname="www.example.com" url="{url}" '
        'action="passthrough"'
    )
    assert doc is not None
    return doc["url"]


def test_url_path_is_only_the_path() -> None:
    assert _web("https://www.example.com/dl/setup.exe?id=7") == {
        "domain": "www.example.com",
        "original": "https://www.example.com/dl/setup.exe?id=7",
        "path": "/dl/setup.exe",
        "query": "id=7",
    }
    assert _web("/search?q=a%20b&lang=en") == {
        "domain": "www.example.com",
        "original": "https://www.example.com/search?q=a%20b&lang=en",
        "path": "/search",
        "query": "q=a%20b&lang=en",
    }
    assert _web("/")["path"] == "/"
    assert "path" not in _web("https://www.example.com")
    assert _web("http://[bad/x")["original"] == "http://[bad/x"


def test_sslvpn_login_fail_is_a_failed_authentication() -> None:
    event = ecs(SSLVPN_FAIL)["event"]
    assert event["action"] == "ssl-login-fail"
    assert event["outcome"] == "failure"
    assert event["category"] == ["authentication"] and event["type"] == ["info"]


# FortiOS Log Reference, 0102043014/0102043015 (FSSO) and 0100032003 (admin logout)
@pytest.mark.parametrize(
    ("action", "desc", "kind"),
    [
        ("FSSO-logon", 'logdesc="FSSO logon authentication status"', "start"),
        ("FSSO-logoff", 'logdesc="FSSO log off authentication status"', "end"),
        ("logout", 'logdesc="Admin logout successful" status="success"', "end"),
    ],
)
def test_logons_and_logoffs(action: str, desc: str, kind: str) -> None:
    doc = fortigate.parse(
        'devname="FGT-HQ" logid="0102043014" type="event" subtype="user" srcip=192.0.2.44 '
        f'user="jdoe" server="FSSO_dc1" action="{action}" {desc}'
    )
    assert doc is not None
    assert doc["event"]["outcome"] == "success"
    assert doc["event"]["category"] == ["authentication"]
    assert doc["event"]["type"] == [kind]


def test_dns_filter_is_network_once() -> None:
    doc = fortigate.parse(
        'devname="FGT-EDGE" logid="1501054802" type="utm" subtype="dns" eventtype="dns-response" '
        'srcip=192.0.2.10 dstip=198.51.100.53 qname="www.example.com" ipaddr="203.0.113.80" '
        'action="pass"'
    )
    assert doc is not None
    assert doc["event"]["category"] == ["network"]
    assert doc["dns"]["resolved_ip"] == ["203.0.113.80"]


def test_interfaces_duration_and_file_size() -> None:
    doc = ecs(HEADLESS_TRAFFIC.replace("proto=6", "proto=6 duration=126"))
    assert doc["observer"]["ingress"] == {"interface": {"name": "port2"}}
    assert doc["observer"]["egress"] == {"interface": {"name": "wan1"}}
    assert doc["event"]["duration"] == 126_000_000_000
    dlp = fortigate.parse(
        'devname="FGT-EDGE" logid="0954024576" type="utm" subtype="dlp" filename="q3.pdf" '
        'filesize=285442 action="block"'
    )
    assert dlp is not None and dlp["file"] == {"name": "q3.pdf", "size": 285442}


def test_vpn_tunnel_events_are_network_connections() -> None:
    event = ecs(IPSEC_STATS)["event"]
    assert event["category"] == ["network"] and event["type"] == ["connection"]


def test_a_file_of_nul_terminated_lines_is_read(tmp_path: Path) -> None:
    """FortiGate ends each syslog line with NUL over TCP; a capture of that is text, not binary."""
    path = tmp_path / "fortigate.log"
    path.write_bytes(f"{HEADLESS_TRAFFIC}\x00\n{IPSEC_STATS}\x00\n".encode())
    problems: list[ReadProblem] = []
    events = list(read_events([path], on_error=problems.append))
    assert problems == []
    assert [e["event"]["dataset"] for e in events] == ["fortinet.firewall"] * 2
    assert events[1]["destination"]["bytes"] == 97846  # the last value, without its NUL
