"""Web server error logs, IIS W3C and Suricata EVE from the samples, and loghub's Apache error
log against its ground truth."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from shared_data import SHARED_DATA

from collectors.parsers import iis, parse_message, suricata, web_error
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

SAMPLES = Path(__file__).parent / "samples"
RECEIVED = datetime(2024, 3, 5, 12, tzinfo=UTC)


def events(name: str) -> list[dict]:
    lines = (SAMPLES / name).read_bytes().splitlines()
    return [to_ecs(parse_syslog(line, received=RECEIVED), peer_ip="10.20.1.5") for line in lines]


def test_nginx_error_lines() -> None:
    missing, tls, *_ = events("web_error.log")
    assert (missing["event"]["dataset"], missing["event"]["module"]) == ("nginx.error", "nginx")
    assert missing["log"]["level"] == "error"
    assert missing["process"] == {"pid": 1234, "thread": {"id": 1234}}
    assert missing["nginx"]["error"]["connection_id"] == 5
    assert missing["source"] == {"ip": "203.0.113.66"}
    assert missing["url"] == {"domain": "portal.soyte.gov.vn", "original": "/shell.php?cmd=id",
                              "path": "/shell.php", "query": "cmd=id"}  # fmt: skip
    assert missing["http"] == {"request": {"method": "GET"}, "version": "1.1"}
    assert missing["message"].startswith('open() "/var/www/html/shell.php" failed')
    assert missing["@timestamp"] == "2024-03-05T10:00:08.000Z"  # from the header
    assert tls["log"]["level"] == "crit" and tls["event"]["type"] == ["error"]


def test_apache_24_error_lines() -> None:
    *_, uri, denied, notice = events("web_error.log")
    assert (uri["event"]["dataset"], uri["log"]["level"]) == ("apache.error", "error")
    assert uri["error"] == {"code": "AH00126"}
    assert uri["apache"]["error"]["module"] == "core"
    assert uri["source"] == {"ip": "203.0.113.66", "port": 53211}
    assert uri["process"] == {"pid": 35708, "thread": {"id": 140212345}}
    assert uri["message"] == "Invalid URI in request GET /../../etc/passwd HTTP/1.1"
    assert denied["source"] == {"ip": "2001:db8::66"}
    assert notice["event"]["type"] == ["info"] and notice["log"]["level"] == "notice"


def test_loghub_apache_error_log_matches_ground_truth() -> None:
    folder = SHARED_DATA / "syslog/loghub/Apache"
    lines = (folder / "Apache_2k.log").read_text(encoding="utf-8").splitlines()
    with (folder / "Apache_2k.log_structured.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for line, row in zip(lines, rows, strict=True):
        doc = parse_message(line)
        assert doc is not None, row["LineId"]
        assert doc["event"]["dataset"] == "apache.error"
        assert doc["log"]["level"] == row["Level"], row["LineId"]
        content = row["Content"].strip()
        if "source" in doc:  # loghub keeps `[client IP]` in the content; we parse it out
            prefix = f"[client {doc['source']['ip']}] "
            assert content.startswith(prefix), row["LineId"]
            content = content.removeprefix(prefix)
        assert doc["message"] == content, row["LineId"]


def test_error_parser_ignores_other_lines() -> None:
    assert web_error.parse("[not a date] [error] x") is None
    assert web_error.parse("2024/03/05 garbage") is None


def test_iis_file_follows_its_field_directives() -> None:
    reader = iis.W3CReader()
    docs = [doc for line in (SAMPLES / "iis_w3c.log").read_text().splitlines()
            if (doc := reader.parse_line(line)) is not None]  # fmt: skip
    page, owa, shell, later = docs
    assert page["event"]["dataset"] == "iis.access"
    assert page["@timestamp"] == "2024-03-05T10:00:07.000Z"
    assert page["source"] == {"ip": "10.20.9.9"}
    assert page["destination"] == {"ip": "10.20.1.10", "port": 443}
    assert page["url"] == {
        "path": "/default.aspx",
        "query": "id=1",
        "original": "/default.aspx?id=1",
    }
    assert page["user_agent"]["original"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert page["http"]["response"]["status_code"] == 200
    assert page["event"]["duration"] == 15_000_000
    assert owa["user"]["name"] == "SOYTE\\nguyen.van.a"
    assert owa["event"]["outcome"] == "failure"
    assert owa["iis"]["access"] == {"sub_status": 1, "win32_status": 2148074254}
    assert shell["url"]["query"] == "cmd=whoami"
    assert later["iis"]["access"]["site_name"] == "W3SVC1"
    assert later["url"]["domain"] == "portal.soyte.gov.vn"
    assert later["http"]["version"] == "1.1"
    assert later["http"]["response"]["body"]["bytes"] == 1520
    assert reader.parse_line("2024-03-05 12:00:00 cut short") is None


def test_iis_line_over_syslog_uses_the_default_fields() -> None:
    line = (SAMPLES / "iis_w3c.log").read_text().splitlines()[4]
    doc = to_ecs(
        parse_syslog(f"<14>Mar  5 10:00:07 WEB-SOYTE IIS: {line}".encode(), received=RECEIVED),
        peer_ip="10.20.1.10",
    )
    assert doc["event"]["dataset"] == "iis.access"
    assert doc["url"]["path"] == "/default.aspx"
    assert iis.parse("2024-03-05 10:00:07 too few fields") is None


def test_suricata_eve_records() -> None:
    lines = (SAMPLES / "suricata_eve.json").read_text().splitlines()
    docs = [
        to_ecs(parse_syslog(f"<14>Mar  5 10:00:09 ids suricata[99]: {line}".encode(),
                            received=RECEIVED), peer_ip="10.20.0.2")
        for line in lines
    ]  # fmt: skip
    alert, dns, http, tls, flow = docs
    assert {d["event"]["dataset"] for d in docs} == {"suricata.eve"}
    assert alert["event"]["kind"] == "alert"
    assert alert["event"]["category"] == ["network", "intrusion_detection"]
    assert alert["rule"] == {
        "id": "2034647",
        "category": "Attempted Administrator Privilege Gain",
        "name": "ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)",
    }
    assert alert["event"]["severity"] == 1
    assert alert["event"]["type"] == ["info", "allowed"]
    assert alert["@timestamp"] == "2024-03-05T10:00:09.123Z"
    assert alert["url"]["domain"] == "portal.soyte.gov.vn"
    assert alert["network"]["community_id"] == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    assert alert["source"] == {"ip": "203.0.113.66", "port": 44321}
    assert alert["suricata"]["eve"]["flow_id"] == 1234567890123456
    assert dns["dns"]["question"] == {"name": "update.example.com", "type": "A"}
    assert dns["dns"]["resolved_ip"] == ["198.51.100.7"]
    assert dns["dns"]["answers"] == [
        {"name": "update.example.com", "type": "A", "data": "198.51.100.7", "ttl": 300}
    ]
    assert dns["dns"]["response_code"] == "NOERROR"
    assert http["http"]["response"]["status_code"] == 200
    assert http["user_agent"]["original"] == "Wget/1.21"
    assert http["url"]["query"] == "dl=1"
    assert (
        tls["tls"]["version"] == "1.2" and tls["tls"]["client"]["server_name"] == "gambling.example"
    )
    assert tls["tls"]["client"]["ja3"] == "e7d705a3286e19ea42f587b344ee6865"
    assert flow["source"]["bytes"] == 520 and flow["destination"]["packets"] == 5
    assert flow["network"]["bytes"] == 1544
    assert flow["event"]["type"] == ["connection", "end"]
    assert flow["process"]["name"] == "suricata"


def test_suricata_dns_answers_in_every_eve_format() -> None:
    """Version 2 "grouped" answers and version 1's one answer per record are answers too."""
    grouped = suricata.parse(
        '{"event_type":"dns","dns":{"version":2,"type":"answer","rrname":"x.example",'
        '"rrtype":"TXT","grouped":{"TXT":["IEX (New-Object Net.WebClient)"],"A":["192.0.2.8"]}}}'
    )
    one = suricata.parse(
        '{"event_type":"dns","dns":{"type":"answer","id":7,"rrname":"x.example","rrtype":"A",'
        '"ttl":60,"rdata":"192.0.2.9"}}'
    )
    assert grouped is not None and one is not None
    assert grouped["dns"]["answers"] == [
        {"type": "TXT", "data": "IEX (New-Object Net.WebClient)"},
        {"type": "A", "data": "192.0.2.8"},
    ]
    assert grouped["dns"]["resolved_ip"] == ["192.0.2.8"]
    assert one["dns"]["answers"] == [
        {"name": "x.example", "type": "A", "data": "192.0.2.9", "ttl": 60}
    ]
    assert one["dns"]["question"] == {"name": "x.example", "type": "A"}


def test_suricata_dns_answers_given_in_both_formats_count_once() -> None:
    """Suricata's default EVE writes each answer "detailed" and "grouped"; they are the same
    answers. IPv6 answers come fully written out and are resolved IPs in canonical form."""
    doc = suricata.parse(
        '{"event_type":"dns","dns":{"version":2,"type":"answer","id":7,"rrname":"a.example",'
        '"rrtype":"AAAA","rcode":"NOERROR","answers":[{"rrname":"a.example","rrtype":"CNAME",'
        '"ttl":60,"rdata":"b.example"},{"rrname":"b.example","rrtype":"AAAA","ttl":30,'
        '"rdata":"2001:0db8:0000:0000:0000:0000:0000:0053"}],'
        '"grouped":{"AAAA":["2001:0db8:0000:0000:0000:0000:0000:0053"],"CNAME":["b.example"]}}}'
    )
    assert doc is not None
    assert doc["dns"]["answers"] == [
        {"name": "a.example", "type": "CNAME", "data": "b.example", "ttl": 60},
        {"name": "b.example", "type": "AAAA", "data": "2001:0db8:0000:0000:0000:0000:0000:0053",
         "ttl": 30},
    ]  # fmt: skip
    assert doc["dns"]["resolved_ip"] == ["2001:db8::53"]


def test_suricata_alert_carries_flow_tls_mac_and_attack_ids() -> None:
    """An alert record carries its flow's counters so far, the TLS handshake that triggered it,
    the Ethernet addresses and the rule's ATT&CK metadata."""
    doc = suricata.parse(
        '{"timestamp":"2024-03-05T10:00:09.123456+0000","event_type":"alert",'
        '"src_ip":"192.0.2.15","src_port":50123,"dest_ip":"198.51.100.80","dest_port":443,'
        '"proto":"TCP","ether":{"src_mac":"00:16:3e:aa:bb:01","dest_mac":"00:16:3e:aa:bb:02"},'
        '"alert":{"action":"allowed","gid":1,"signature_id":2099001,"rev":1,'
        '"signature":"LOCAL TLS SNI of a known bad domain","category":"Trojan","severity":1,'
        '"metadata":{"mitre_tactic_id":["TA0011"],"mitre_tactic_name":["Command_And_Control"],'
        '"mitre_technique_id":["T1071"],"mitre_technique_name":["Application_Layer_Protocol"]}},'
        '"tls":{"sni":"bad.example","version":"TLS 1.3"},"app_proto":"tls",'
        '"flow":{"pkts_toserver":4,"pkts_toclient":3,"bytes_toserver":793,"bytes_toclient":343,'
        '"start":"2024-03-05T10:00:08.500000+0000"}}'
    )
    assert doc is not None and doc["event"]["kind"] == "alert"
    assert doc["event"]["type"] == ["info", "allowed"]
    assert doc["source"] == {"ip": "192.0.2.15", "port": 50123, "mac": "00-16-3E-AA-BB-01",
                             "bytes": 793, "packets": 4}  # fmt: skip
    assert doc["destination"]["bytes"] == 343 and doc["destination"]["mac"] == "00-16-3E-AA-BB-02"
    assert doc["network"]["bytes"] == 1136 and doc["network"]["packets"] == 7
    assert doc["event"]["start"] == "2024-03-05T10:00:08.500Z"
    assert doc["tls"]["client"]["server_name"] == "bad.example"
    assert doc["destination"]["domain"] == "bad.example"
    assert doc["threat"] == {
        "framework": "MITRE ATT&CK",
        "tactic": {"id": ["TA0011"], "name": ["Command_And_Control"]},
        "technique": {"id": ["T1071"], "name": ["Application_Layer_Protocol"]},
    }


def test_suricata_fileinfo_is_the_file() -> None:
    doc = suricata.parse(
        '{"event_type":"fileinfo","src_ip":"203.0.113.80","src_port":80,"dest_ip":"192.0.2.15",'
        '"dest_port":50124,"proto":"TCP","http":{"hostname":"dl.example","url":"/a/setup.exe"},'
        '"app_proto":"http","fileinfo":{"filename":"/a/setup.exe","state":"CLOSED",'
        '"md5":"0123456789abcdef0123456789abcdef","sha256":"'
        + "ab" * 32
        + '","stored":false,"size":4096,"tx_id":0}}'
    )
    assert doc is not None
    assert doc["file"] == {
        "path": "/a/setup.exe",
        "name": "setup.exe",
        "size": 4096,
        "hash": {"md5": "0123456789abcdef0123456789abcdef", "sha256": "ab" * 32},
    }
    assert doc["url"]["domain"] == "dl.example"


def test_suricata_network_protocol_of_records_without_app_proto() -> None:
    """DNS and SSH records carry no `app_proto`: the record's type is the protocol. A flow
    whose protocol detection failed has `app_proto: failed`, which names no protocol."""
    dns = suricata.parse(
        '{"event_type":"dns","src_ip":"192.0.2.15","src_port":53000,"dest_ip":"192.0.2.53",'
        '"dest_port":53,"proto":"UDP","dns":{"type":"query","id":1,"rrname":"a.example",'
        '"rrtype":"A"}}'
    )
    failed = suricata.parse(
        '{"event_type":"flow","src_ip":"192.0.2.15","src_port":546,"dest_ip":"192.0.2.1",'
        '"dest_port":547,"proto":"UDP","app_proto":"failed","flow":{"pkts_toserver":1,'
        '"bytes_toserver":110,"state":"new"}}'
    )
    assert dns is not None and failed is not None
    assert dns["network"]["protocol"] == "dns"
    assert "protocol" not in failed["network"]


def test_suricata_tls_versions_in_ecs_form() -> None:
    """EVE writes `TLS 1.2`, `SSLv3`, or `UNDETERMINED` when the handshake did not say; ECS wants
    `ssl` and `3.0`, and no version for an undetermined one."""
    ssl, unknown = (
        suricata.parse(
            '{"event_type":"tls","src_ip":"192.0.2.1","dest_ip":"192.0.2.2","tls":{"version":"'
            + version
            + '","sni":"old.example"}}'
        )
        for version in ("SSLv3", "UNDETERMINED")
    )
    assert ssl is not None and unknown is not None
    assert ssl["tls"]["version_protocol"] == "ssl" and ssl["tls"]["version"] == "3.0"
    assert unknown["tls"] == {"client": {"server_name": "old.example"}}


def test_suricata_tls_server_name_and_certificate_hash() -> None:
    """The SNI may end in the root's dot, which no domain list carries; the certificate's
    fingerprint is its SHA-1, and `ja3s` the server's JA3."""
    doc = suricata.parse(
        '{"event_type":"tls","src_ip":"192.0.2.1","dest_ip":"203.0.113.4","dest_port":443,'
        '"tls":{"sni":"cdn.example.","version":"TLS 1.2","subject":"CN=cdn.example",'
        '"fingerprint":"6a:ff:ac:a6:5f:8a:05:e7:a9:8c:76:29:b9:08:c7:69:ad:dc:72:47",'
        '"ja3s":{"hash":"15af977ce25de452b96affa2addb1036","string":"771,49199,65281-0"}}}'
    )
    assert doc is not None
    assert doc["tls"]["client"]["server_name"] == "cdn.example"
    assert doc["destination"]["domain"] == "cdn.example"
    assert doc["tls"]["server"] == {
        "subject": "CN=cdn.example",
        "hash": {"sha1": "6AFFACA65F8A05E7A98C7629B908C769ADDC7247"},
        "ja3s": "15af977ce25de452b96affa2addb1036",
    }


def test_suricata_rejects_other_json() -> None:
    assert suricata.parse('{"EventID": 4688}') is None
    assert suricata.parse('{"event_type": ') is None
    assert suricata.parse('["event_type"]') is None


# IIS 7.x's default fields have no cs(Referer); an `X-Forwarded-For` custom field follows the
# standard ones; the W3SVC layout with every standard field (as NXLog forwards them, no #Fields).
IIS7_LINE = ("2024-03-05 10:00:07 192.0.2.10 GET /health - 80 - 198.51.100.20 "
             "Mozilla/5.0+(Windows+NT+10.0) 200 0 0 15")  # fmt: skip
IIS_XFF_LINE = ("2024-03-05 10:00:07 192.0.2.10 POST /api/login - 443 - 192.0.2.5 curl/8.0 - "
                "401 1 0 26 203.0.113.44")  # fmt: skip
IIS_FULL_LINE = ("2024-03-05 10:00:07 W3SVC2 WEB01 fe80::1%12 GET /a.aspx id=1 443 - ::1%0 "
                 "HTTP/1.1 curl/8.0 - - portal.example.org 200 0 0 1520 380 15")  # fmt: skip


def test_iis_lines_over_syslog_in_every_layout_iis_writes() -> None:
    iis7 = iis.parse(IIS7_LINE)
    assert iis7 is not None
    assert iis7["source"] == {"ip": "198.51.100.20"}
    assert iis7["http"]["response"]["status_code"] == 200
    assert iis7["user_agent"]["original"] == "Mozilla/5.0 (Windows NT 10.0)"
    forwarded = iis.parse(IIS_XFF_LINE)
    assert forwarded is not None
    assert forwarded["network"] == {"forwarded_ip": "203.0.113.44"}
    assert forwarded["source"] == {"ip": "192.0.2.5"}
    assert forwarded["event"]["outcome"] == "failure"
    full = iis.parse(IIS_FULL_LINE)
    assert full is not None
    assert full["iis"]["access"]["server_name"] == "WEB01"
    assert full["url"]["domain"] == "portal.example.org"
    assert full["http"]["request"]["body"]["bytes"] == 380


def test_iis_zone_of_an_ipv6_address_is_left_out() -> None:
    doc = iis.parse(IIS_FULL_LINE)
    assert doc is not None
    assert doc["source"] == {"ip": "::1"}
    assert doc["destination"] == {"ip": "fe80::1", "port": 443}


def test_iis_row_under_another_layouts_directive_is_read_in_its_own() -> None:
    reader = iis.W3CReader()
    reader.parse_line("#Fields: date time s-sitename s-computername s-ip cs-method cs-uri-stem "
                      "cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Cookie) "
                      "cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes "
                      "cs-bytes time-taken")  # fmt: skip
    doc = reader.parse_line(IIS7_LINE)
    assert doc is not None
    assert doc["source"] == {"ip": "198.51.100.20"}


def test_error_line_without_a_tag_takes_its_own_time() -> None:
    """An error.log read from a file has no syslog header: without its own time each event
    would carry the time it was read."""
    apache_line = (
        "[Tue Mar 05 09:59:58.123456 2024] [core:error] [pid 7:tid 8] [client 192.0.2.9] x"
    )
    nginx_line = "2024/03/05 09:59:58 [error] 7#7: *1 x, client: 192.0.2.9"
    for line in (apache_line, nginx_line):
        doc = web_error.parse(line)
        assert doc is not None
        assert doc["@timestamp"].startswith("2024-03-05T09:59:58.")
        tagged = web_error.parse(line, program="nginx")
        assert tagged is not None and "@timestamp" not in tagged  # the header's time stands
    over_syslog = events("web_error.log")[0]
    assert over_syslog["@timestamp"] == "2024-03-05T10:00:08.000Z"


def test_apache_error_source_line_and_os_error_before_the_client() -> None:
    trace = web_error.parse(
        "[Tue Mar 05 09:59:58.121211 2024] [rewrite:trace3] [pid 4242:tid 1404] "
        "mod_rewrite.c(470): [client 192.0.2.9:38350] 192.0.2.9 - - [www.example.org/sid#55a3]"
        "[rid#7fb4/initial] applying pattern '^/import/?(.*)$' to uri '/'"
    )
    assert trace is not None
    assert trace["source"] == {"ip": "192.0.2.9", "port": 38350}
    assert trace["log"]["origin"] == {"file": {"name": "mod_rewrite.c", "line": 470}}
    assert trace["message"].startswith("192.0.2.9 - - [www.example.org")
    denied = web_error.parse(
        "[Tue Mar 05 09:59:58.5 2024] [core:error] [pid 4242] (13)Permission denied: "
        "[client 198.51.100.3:51000] AH00035: access to /index.html denied"
    )
    assert denied is not None
    assert denied["source"] == {"ip": "198.51.100.3", "port": 51000}
    assert denied["error"] == {"code": "AH00035"}
    assert denied["message"] == "(13)Permission denied: access to /index.html denied"


# HTTP.sys's error log (HTTPERR), in its documented fields.
HTTPERR_FIELDS = ("#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri "
                  "sc-status s-siteid s-reason s-queuename")  # fmt: skip
HTTPERR_LINE = ("2024-03-05 10:00:07 203.0.113.50 51234 192.0.2.10 443 HTTP/1.1 GET "
                "/..%5c..%5cwinnt/win.ini 400 - URL -")  # fmt: skip


def test_iis_httperr_log_is_iis_error() -> None:
    reader = iis.W3CReader()
    assert reader.parse_line(HTTPERR_FIELDS) is None
    doc = reader.parse_line(HTTPERR_LINE)
    assert doc is not None
    assert (doc["event"]["dataset"], doc["event"]["type"]) == ("iis.error", ["error"])
    assert doc["source"] == {"ip": "203.0.113.50", "port": 51234}
    assert doc["destination"] == {"ip": "192.0.2.10", "port": 443}
    assert doc["url"]["original"] == "/..%5c..%5cwinnt/win.ini"
    assert doc["http"]["response"]["status_code"] == 400
    assert doc["iis"]["error"] == {"reason_phrase": "URL"}
    timed_out = reader.parse_line(
        "2024-03-05 10:00:09 203.0.113.50 51240 192.0.2.10 80 - - - - - Timer_ConnectionIdle -"
    )
    assert timed_out is not None and "url" not in timed_out and "outcome" not in timed_out["event"]
    alone = iis.parse(HTTPERR_LINE)  # a file without directives, or a line over syslog
    assert alone is not None and alone["event"]["dataset"] == "iis.error"
    assert iis.parse("2024-03-05 10:00:07 INFO 1234 worker started a job in 15 ms ok now") is None
