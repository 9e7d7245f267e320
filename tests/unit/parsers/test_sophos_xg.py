"""Sophos Firewall (SFOS, formerly XG) syslog, in the layouts of Sophos's syslog guide
("Syslog descriptions", docs.sophos.com/nsg/sophos-firewall/20.0/syslog): up to SFOS 19.0
`device="SFW" date= time= timezone=`, from 19.5 `device_name= timestamp=`. Addresses, names and
serial numbers are made up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from collectors.parsers import parse_message, sophos_xg
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

# Firewall rule allowed a connection that ended (SFOS 18 layout, as the firewall sends it: a PRI
# and no syslog header), written by a firewall in Vietnam (`+07`).
FIREWALL_ALLOW = (
    '<30>device="SFW" date=2024-03-05 time=10:00:00 timezone="+07" device_name="XG230" '
    'device_id=C01001K234RXPA1 log_id=010101600001 log_type="Firewall" '
    'log_component="Firewall Rule" log_subtype="Allowed" status="Allow" priority=Information '
    'duration=12 fw_rule_id=5 policy_type=1 user_name="nguyen.van.a" user_gp="Phong KT" iap=0 '
    'ips_policy_id=0 appfilter_policy_id=0 application="" application_risk=0 '
    'in_interface="Port1" out_interface="Port2" src_mac=00:1a:2b:3c:4d:5e src_ip=192.0.2.10 '
    'src_country_code= dst_ip=198.51.100.20 dst_country_code=USA protocol="TCP" src_port=51234 '
    "dst_port=443 sent_pkts=10  recv_pkts=8 sent_bytes=1200 recv_bytes=5400 "
    "tran_src_ip=203.0.113.5 tran_src_port=0 tran_dst_ip= tran_dst_port=0 "
    'srczonetype="LAN" srczone="LAN" dstzonetype="WAN" dstzone="WAN" dir_disp="" '
    'connevent="Stop" connid="1234" vconnid="" hb_health="No Heartbeat" message="" '
    'appresolvedby="Signature"'
)
# SFOS 20 layout: a denied connection, behind a relay's RFC 3164 header.
FIREWALL_DENY = (
    '<30>Mar  5 10:00:01 sfw-sotc device_name="sfw-sotc" timestamp="2024-03-05T10:00:01+0700" '
    'device_model="XGS2100" device_serial_id="X21001ABCDEF123" log_id="010102600002" '
    'log_type="Firewall" log_component="Firewall Rule" log_subtype="Denied" log_version=1 '
    'severity="Information" fw_rule_id="7" fw_rule_name="Chan RDP tu Internet" '
    'fw_rule_section="Local rule" nat_rule_id="0" fw_rule_type="NETWORK" in_interface="Port2" '
    'src_mac="00:11:22:33:44:55" src_ip="203.0.113.50" src_country="USA" '
    'dst_ip="192.0.2.25" dst_country="R1" protocol="TCP" src_port=50001 dst_port=3389 '
    'src_zone_type="WAN" src_zone="WAN" dst_zone_type="LAN" dst_zone="LAN" '
    'hb_status="No Heartbeat" app_resolved_by="Signature" app_is_cloud="FALSE" '
    'qualifier="New" in_display_interface="Port2"'
)
IPS_DROP = (
    '<28>device="SFW" date=2024-03-05 time=10:05:00 timezone="+07" device_name="XG230" '
    'device_id=C01001K234RXPA1 log_id=020804407002 log_type="IDP" log_component="Signatures" '
    'log_subtype="Drop" priority=Warning idp_policy_id=7 fw_rule_id=25 user_name="" '
    'signature_id=58722 signature_msg="SERVER-WEBAPP Example command injection attempt" '
    'classification="Web Application Attack" rule_priority=1 src_ip=203.0.113.77 '
    'src_country_code=NLD dst_ip=192.0.2.80 dst_country_code=R1 protocol="TCP" '
    'src_port=44321 dst_port=80 platform="Linux,Windows" category="server-webapp" '
    'target="Server"'
)
ATP_DROP = (
    '<28>device="SFW" date=2024-03-05 time=10:06:00 timezone="+07" device_name="XG230" '
    'device_id=C01001K234RXPA1 log_id=086504418010 log_type="ATP" log_component="Web" '
    'log_subtype="Drop" priority=Warning user_name="tran.thi.b" protocol="TCP" src_port=50555 '
    "dst_port=80 sourceip=192.0.2.44 destinationip=198.51.100.66 "
    "url=http://c2.example.net/gate.php?id=7 threatname=C2/Generic-A "
    'eventid=0B6E5C1D-1111-4222-8333-944455556666 eventtype="Standard" login_user="" '
    'process_user="" ep_uuid="" execution_path=""'
)
WEB_BLOCK = (
    '<30>device="SFW" date=2024-03-05 time=10:07:00 timezone="+07" device_name="XG230" '
    'device_id=C01001K234RXPA1 log_id=050902616002 log_type="Content Filtering" '
    'log_component="HTTP" log_subtype="Denied" status="" priority=Information fw_rule_id=3 '
    'user_name="le.van.c" user_gp="Phong HC" iap=13 category="Gambling" '
    'category_type="Objectionable" url="https://casino.example.com/play?x=1" '
    'contenttype="text/html" override_token="" httpresponsecode="" src_ip=192.0.2.61 '
    'dst_ip=198.51.100.90 protocol="TCP" src_port=52000 dst_port=443 sent_bytes=0 '
    'recv_bytes=0 domain=casino.example.com exceptions= activityname="" reason="" '
    'user_agent="Mozilla/5.0 (Windows NT 10.0)" status_code="403" referer="https://example.org/"'
)
ADMIN_LOGIN = (
    '<30>device="SFW" date=2024-03-05 time=10:08:00 timezone="+07" device_name="XG230" '
    'device_id=C01001K234RXPA1 log_id=062910617501 log_type="Event" log_component="GUI" '
    'log_subtype="Admin" status="Successful" priority=Information user_name="admin" '
    'src_ip=192.0.2.5 message="User admin logged in successfully to Web admin console from '
    '192.0.2.5"'
)
ADMIN_LOGIN_FAILED = (
    '<29>device="SFW" date=2024-03-05 time=10:09:00 timezone="+07" device_name="XG230" '
    'device_id=C01001K234RXPA1 log_id=062109517507 log_type="Event" log_component="CLI" '
    'log_subtype="Admin" status="Failed" priority=Notice user_name="root" src_ip=203.0.113.9 '
    "message=\"User 'root' failed to login from '203.0.113.9' using ssh because of wrong "
    'credentials"'
)
VPN_LOGIN = (
    '<30>device="SFW" date=2024-03-05 time=10:10:00 timezone="+07" device_name="XG230" '
    'device_id=C01001K234RXPA1 log_id=063110617710 log_type="Event" '
    'log_component="SSL VPN Authentication" log_subtype="Authentication" status="Successful" '
    'priority=Information user_name="pham.d" usergroupname="VPN Users" auth_client="SSLVPN" '
    'auth_mechanism="Local" reason="" src_ip=198.51.100.120 message="User pham.d '
    'authenticated successfully to login to SSLVPN through Local authentication mechanism" '
    'name="" src_mac='
)
# FortiOS Log Reference shape: `logid=`, `devname=`; never Sophos's.
FORTIGATE = (
    '<189>date=2024-03-05 time=10:00:00 devname="FG100E" devid="FG100ETK18000000" '
    'logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=192.0.2.1 '
    'srcport=5000 dstip=198.51.100.1 dstport=443 proto=6 action="accept" policyid=1'
)


def ecs(raw: str) -> dict:
    return to_ecs(parse_syslog(raw.encode(), received=datetime(2024, 3, 5, tzinfo=UTC)),
                  peer_ip="192.0.2.254")  # fmt: skip


def test_firewall_allowed_connection() -> None:
    doc = ecs(FIREWALL_ALLOW)
    assert doc["event"]["dataset"] == "sophos.xg"
    assert doc["event"]["module"] == "sophos"
    assert doc["event"]["code"] == "010101600001"
    assert doc["@timestamp"] == "2024-03-05T03:00:00.000Z"  # 10:00 at +07
    assert doc["event"]["action"] == "allowed"
    assert doc["event"]["outcome"] == "success"
    assert doc["event"]["category"] == ["network"]
    assert doc["event"]["type"] == ["connection", "end", "allowed"]
    assert doc["event"]["duration"] == 12_000_000_000
    assert doc["observer"] == {
        "vendor": "Sophos", "product": "XG", "type": "firewall",
        "serial_number": "C01001K234RXPA1", "name": "XG230", "ip": "192.0.2.254",
        "ingress": {"interface": {"name": "Port1"}, "zone": "LAN"},
        "egress": {"interface": {"name": "Port2"}, "zone": "WAN"},
    }  # fmt: skip
    assert doc["source"] == {"ip": "192.0.2.10", "port": 51234, "bytes": 1200, "packets": 10,
                             "mac": "00-1A-2B-3C-4D-5E", "nat": {"ip": "203.0.113.5"}}  # fmt: skip
    assert doc["destination"] == {"ip": "198.51.100.20", "port": 443, "bytes": 5400, "packets": 8}
    assert doc["network"] == {"transport": "tcp", "direction": "outbound"}
    assert doc["rule"]["id"] == "5"
    assert doc["user"] == {"name": "nguyen.van.a", "group": {"name": "Phong KT"}}
    assert doc["sophos"]["xg"]["connevent"] == "Stop"
    assert "message" not in doc["sophos"]["xg"]  # an empty value is no value


def test_firewall_denied_sfos20() -> None:
    doc = ecs(FIREWALL_DENY)
    assert doc["event"]["dataset"] == "sophos.xg"
    assert doc["@timestamp"] == "2024-03-05T03:00:01.000Z"
    assert doc["event"]["action"] == "denied"
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["observer"]["serial_number"] == "X21001ABCDEF123"
    assert doc["observer"]["name"] == "sfw-sotc"
    assert doc["rule"] == {"id": "7", "name": "Chan RDP tu Internet"}
    assert doc["source"]["ip"] == "203.0.113.50"
    assert doc["destination"] == {"ip": "192.0.2.25", "port": 3389}
    assert doc["network"] == {"transport": "tcp", "direction": "inbound"}
    assert doc["host"]["name"] == "sfw-sotc"


def test_ips_drop_is_an_alert_naming_the_signature() -> None:
    doc = ecs(IPS_DROP)
    assert doc["event"]["kind"] == "alert"
    assert doc["event"]["category"] == ["intrusion_detection", "network"]
    assert doc["event"]["type"] == ["connection", "denied"]
    assert doc["event"]["action"] == "drop"
    assert doc["rule"] == {"id": "58722", "name": "SERVER-WEBAPP Example command injection attempt",
                           "category": "Web Application Attack"}  # fmt: skip
    assert doc["log"]["level"] == "warning"
    assert doc["event"]["severity"] == 4
    assert doc["source"] == {"ip": "203.0.113.77", "port": 44321}
    assert "user" not in doc


def test_atp_callback_is_an_alert_with_its_url() -> None:
    doc = ecs(ATP_DROP)
    assert doc["event"]["kind"] == "alert"
    assert doc["event"]["category"] == ["intrusion_detection", "network"]
    assert doc["source"] == {"ip": "192.0.2.44", "port": 50555}
    assert doc["destination"] == {"ip": "198.51.100.66", "port": 80}
    assert doc["url"] == {
        "original": "http://c2.example.net/gate.php?id=7", "scheme": "http",
        "path": "/gate.php", "query": "id=7", "domain": "c2.example.net",
    }  # fmt: skip
    assert doc["user"]["name"] == "tran.thi.b"
    assert doc["sophos"]["xg"]["threatname"] == "C2/Generic-A"


def test_web_filter_block() -> None:
    doc = ecs(WEB_BLOCK)
    assert doc["event"]["category"] == ["web", "network"]
    assert doc["event"]["type"] == ["access", "denied"]
    assert doc["event"]["outcome"] == "failure"
    assert doc["url"]["original"] == "https://casino.example.com/play?x=1"
    assert doc["url"]["domain"] == "casino.example.com"
    assert doc["url"]["path"] == "/play"
    assert doc["rule"] == {"id": "3", "category": "Gambling"}
    assert doc["http"] == {"request": {"referrer": "https://example.org/"},
                           "response": {"status_code": 403, "mime_type": "text/html"}}  # fmt: skip
    assert doc["user_agent"]["original"] == "Mozilla/5.0 (Windows NT 10.0)"
    assert doc["user"]["name"] == "le.van.c"


def test_admin_login_success_and_failure() -> None:
    ok, failed = ecs(ADMIN_LOGIN), ecs(ADMIN_LOGIN_FAILED)
    assert ok["event"]["category"] == ["authentication"]
    assert ok["event"]["type"] == ["start"]
    assert ok["event"]["outcome"] == "success"
    assert ok["user"]["name"] == "admin"
    assert ok["source"]["ip"] == "192.0.2.5"
    assert ok["message"].startswith("User admin logged in successfully")
    assert failed["event"]["category"] == ["authentication"]
    assert failed["event"]["outcome"] == "failure"
    assert failed["event"]["type"] == ["info"]
    assert failed["user"]["name"] == "root"
    assert failed["source"]["ip"] == "203.0.113.9"


def test_admin_change_is_configuration() -> None:
    doc = ecs(ADMIN_LOGIN.replace("logged in successfully to Web admin console from",
                                  "added Firewall Rule 'x' from"))  # fmt: skip
    assert doc["event"]["category"] == ["configuration"]
    assert doc["event"]["type"] == ["change"]


def test_vpn_login() -> None:
    doc = ecs(VPN_LOGIN)
    assert doc["event"]["category"] == ["authentication", "network"]
    assert doc["event"]["type"] == ["start"]
    assert doc["event"]["outcome"] == "success"
    assert doc["user"] == {"name": "pham.d", "group": {"name": "VPN Users"}}
    assert doc["source"]["ip"] == "198.51.100.120"


def test_zone_abbreviation_is_read_in_the_senders_zone() -> None:
    line = FIREWALL_ALLOW.replace('timezone="+07"', 'timezone="ICT"').removeprefix("<30>")
    ict = timezone(timedelta(hours=7))
    assert parse_message(line, zone=ict)["@timestamp"] == "2024-03-05T03:00:00.000Z"
    assert parse_message(line)["@timestamp"] == "2024-03-05T10:00:00.000Z"


def test_fortigate_line_is_not_taken() -> None:
    body = FORTIGATE.removeprefix("<189>")
    assert sophos_xg.parse(body) is None
    assert parse_message(body)["event"]["dataset"] == "fortinet.firewall"
    assert parse_message(FIREWALL_ALLOW.removeprefix("<30>"))["event"]["dataset"] == "sophos.xg"


def test_not_sophos_without_its_keys() -> None:
    assert sophos_xg.parse('log_id=1 log_type="x" src_ip=192.0.2.1') is None  # no device key
    assert sophos_xg.parse("device=SFW date=2024-03-05") is None


def test_epoch_timestamp_of_sfos19_event_logs() -> None:
    """SFOS 19.0 SSL VPN and logout events carry `timestamp` as epoch seconds beside `date`;
    read as ISO 8601 it failed, and the event had no time at all (no header behind a PRI)."""
    line = (
        '<30>device="SFW" date=2024-03-05 time=10:11:00 timezone="+07" device_name="XG230" '
        'device_id=C01001K234RXPA1 log_id=062811617824 log_type="Event" log_component="SSL VPN" '
        'log_subtype="System" priority=Information Mode="Remote Access" sessionid="" '
        'starttime=0 user_name="pham.d" ipaddress=192.0.2.200 sent_bytes=0 recv_bytes=0 '
        'status="Established" message="SSL VPN User \'pham.d\' connected " '
        'timestamp=1709608262 connectionname="" remote_ip=198.51.100.120'
    )
    doc = ecs(line)
    assert doc["@timestamp"] == "2024-03-05T03:11:02.000Z"
    assert doc["event"]["category"] == ["network"]
    assert doc["event"]["type"] == ["connection", "start"]
    assert doc["user"]["name"] == "pham.d"


def test_web_content_policy_user_and_file() -> None:
    """Web content (DLP) policy logs name the user `user` and the file `file_name`."""
    line = (
        '<30>device="SFW" date=2024-03-05 time=10:12:00 timezone="+07" device_name="XG230" '
        'device_id=C01001K234RXPA1 log_id=058420116010 log_type="Content Filtering" '
        'log_component="Web Content Policy" log_subtype="Alert" user="hoang.e" '
        'src_ip=192.0.2.62 transaction_id="6c1f0e1a-0000-4000-8000-000000000001" '
        'dictionary_name="Ho so mat" site_category="Information Technology" '
        'website="files.example.com" direction="out" action="Deny" file_name="bang-luong.xlsx"'
    )
    doc = ecs(line)
    assert doc["user"]["name"] == "hoang.e"
    assert doc["file"]["name"] == "bang-luong.xlsx"


def test_ftp_file_is_named_by_its_path() -> None:
    """FTP anti-virus logs give the file as its server path (with a stray leading space):
    `file.path`, and the base name as `file.name`."""
    line = (
        '<26>device="SFW" date=2024-03-05 time=10:13:00 timezone="+07" device_name="XG230" '
        'device_id=C01001K234RXPA1 log_id=031006209001 log_type="Anti-Virus" '
        'log_component="FTP" log_subtype="Virus" status="" priority=Critical fw_rule_id=4 '
        'user_name="" virus="EICAR-AV-Test" FTP_url="/srv/ftp/in/eicar.com" '
        'FTP_direction="Upload" filename=" /srv/ftp/in/eicar.com" file_size=68 '
        'file_path="/srv/ftp/in/eicar.com" ftpcommand="STOR" src_ip=192.0.2.70 '
        'dst_ip=192.0.2.21 protocol="TCP" src_port=40001 dst_port=21 sent_bytes=0 recv_bytes=0'
    )
    doc = ecs(line)
    assert doc["file"] == {"path": "/srv/ftp/in/eicar.com", "name": "eicar.com", "size": 68}
    assert doc["event"]["kind"] == "alert"
    assert doc["event"]["category"] == ["malware"]
