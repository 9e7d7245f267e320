"""Zeek JSON records (each log in Zeek's own field layout) to ECS: which log a record is, from
`_path`, a file name, a syslog tag or its keys; what is not Zeek; hostile values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from collectors.parsers import parse_message, zeek
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs

TS = 1709632800.25  # 2024-03-05T10:00:00.250Z
ID = {"id.orig_h": "10.20.4.19", "id.orig_p": 51234, "id.resp_h": "203.0.113.10", "id.resp_p": 443}

CONN = {"ts": TS, "uid": "CwjjYJ2WqgTbAqiHl6", **ID, "proto": "tcp", "service": "ssl",
        "duration": 1.5, "orig_bytes": 517, "resp_bytes": 4096, "conn_state": "SF",
        "local_orig": True, "local_resp": False, "missed_bytes": 0, "history": "ShADadFf",
        "orig_pkts": 8, "orig_ip_bytes": 941, "resp_pkts": 7, "resp_ip_bytes": 4468,
        "community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg="}  # fmt: skip
DNS = {"ts": TS, "uid": "CHhAvVGS1DHFjwGM9", "id.orig_h": "10.20.4.19", "id.orig_p": 53111,
       "id.resp_h": "10.20.0.53", "id.resp_p": 53, "proto": "udp", "trans_id": 17,
       "rtt": 0.01, "query": "www.soyte.gov.vn", "qclass": 1, "qclass_name": "C_INTERNET",
       "qtype": 1, "qtype_name": "A", "rcode": 0, "rcode_name": "NOERROR", "AA": False,
       "TC": False, "RD": True, "RA": True, "Z": 0,
       "answers": ["web.soyte.gov.vn", "203.113.131.2"], "TTLs": [300.0, 60.0],
       "rejected": False}  # fmt: skip
HTTP = {"ts": TS, "uid": "C3eiCBGOLw3VtHfOj", **ID, "trans_depth": 1, "method": "GET",
        "host": "portal.soyte.gov.vn", "uri": "/login.php?next=%2F", "referrer": "https://a/",
        "version": "1.1", "user_agent": "Mozilla/5.0", "request_body_len": 0,
        "response_body_len": 1543, "status_code": 200, "status_msg": "OK", "tags": [],
        "resp_fuids": ["FtIFnm3ZqI1s96P74"], "resp_mime_types": ["text/html"]}  # fmt: skip
SSL = {"ts": TS, "uid": "CsWfGk4dj5hBy2Ycd6", **ID, "version": "TLSv12",
       "cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "curve": "secp256r1",
       "server_name": "portal.soyte.gov.vn", "resumed": False, "established": True,
       "ssl_history": "CsxknGIi", "cert_chain_fps": ["4f2a" * 16], "sni_matches_cert": True,
       "ja3": "769,47-53-5-10,0-10-11,23-24,0"}  # fmt: skip
X509 = {"ts": TS, "fingerprint": "A" * 64, "certificate.version": 3,
        "certificate.serial": "04A1B2C3", "certificate.subject": "CN=portal.soyte.gov.vn",
        "certificate.issuer": "CN=R3,O=Let's Encrypt,C=US",
        "certificate.not_valid_before": 1704067200.0,
        "certificate.not_valid_after": 1711929600.0, "certificate.key_alg": "rsaEncryption",
        "certificate.sig_alg": "sha256WithRSAEncryption", "certificate.key_length": 2048,
        "san.dns": ["portal.soyte.gov.vn", "www.soyte.gov.vn"], "basic_constraints.ca": False,
        "host_cert": True}  # fmt: skip
FILES = {"ts": TS, "fuid": "FtIFnm3ZqI1s96P74", "uid": "C3eiCBGOLw3VtHfOj", **ID,
         "source": "HTTP", "depth": 0, "analyzers": ["MD5", "SHA1", "PE"],
         "mime_type": "application/x-dosexec", "filename": "setup.exe", "duration": 0.2,
         "is_orig": False, "seen_bytes": 73802, "total_bytes": 73802, "missing_bytes": 0,
         "overflow_bytes": 0, "timedout": False, "md5": "5D41402ABC4B2A76B9719D911017C592",
         "sha1": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"}  # fmt: skip
SMB_FILES = {"ts": TS, "uid": "CmQ4yD2ctWeMPt3Gc3", **ID, "action": "SMB::FILE_OPEN",
             "path": "\\\\FS01\\C$", "name": "Users\\jdoe\\archive.pst", "size": 1048576,
             "times.modified": TS, "times.accessed": TS}  # fmt: skip
SMB_MAPPING = {"ts": TS, "uid": "CmQ4yD2ctWeMPt3Gc3", **ID, "path": "\\\\FS01\\IPC$",
               "share_type": "PIPE"}  # fmt: skip
DCE_RPC = {"ts": TS, "uid": "CnGze12ZHrZM1sdTa", **ID, "rtt": 0.0003, "named_pipe": "\\pipe\\lsass",
           "endpoint": "efsrpc", "operation": "EfsRpcOpenFileRaw"}  # fmt: skip
KERBEROS = {"ts": TS, "uid": "CuAjwG1yA4E0wvb3d", **ID, "request_type": "TGS",
            "client": "jdoe/SOYTE.LOCAL", "service": "cifs/fs01.soyte.local", "success": False,
            "error_msg": "KDC_ERR_BADOPTION", "till": 2136422885.0, "cipher": "rc4-hmac",
            "forwardable": True, "renewable": True}  # fmt: skip
RDP = {"ts": TS, "uid": "Cq3Ktz3NDSLgd4ARId", **ID, "cookie": "admin", "result": "encrypted",
       "security_protocol": "HYBRID", "client_channels": ["rdpdr", "rdpsnd"],
       "cert_count": 0}  # fmt: skip
SSH = {"ts": TS, "uid": "CaoxPY1Wu2BKJpXwH1", **ID, "version": 2, "auth_success": True,
       "auth_attempts": 1, "direction": "INBOUND", "client": "SSH-2.0-OpenSSH_8.9p1",
       "server": "SSH-2.0-OpenSSH_9.2p1", "cipher_alg": "chacha20-poly1305@openssh.com",
       "kex_alg": "curve25519-sha256", "host_key_alg": "ssh-ed25519"}  # fmt: skip
NOTICE = {"ts": TS, "note": "Scan::Port_Scan", "msg": "10.20.4.66 scanned at least 15 unique "
          "ports of host 10.20.0.10 in 0m2s", "sub": "local", "src": "10.20.4.66",
          "dst": "10.20.0.10", "p": 445, "peer_descr": "zeek", "actions": ["Notice::ACTION_LOG"],
          "suppress_for": 3600.0}  # fmt: skip
WEIRD = {"ts": TS, "uid": "CrkDQl2lDW4Wb1vnv4", **ID, "name": "dns_unmatched_reply",
         "notice": False, "peer": "zeek", "source": "DNS"}  # fmt: skip


def test_conn_record() -> None:
    doc = zeek.from_object(dict(CONN))
    assert doc is not None
    assert doc["event"] == {"module": "zeek", "dataset": "zeek.conn", "kind": "event",
                            "category": ["network"], "type": ["connection"],
                            "duration": 1_500_000_000}  # fmt: skip
    assert doc["@timestamp"] == "2024-03-05T10:00:00.250Z"
    assert doc["source"] == {"ip": "10.20.4.19", "port": 51234, "bytes": 941, "packets": 8}
    assert doc["destination"] == {"ip": "203.0.113.10", "port": 443, "bytes": 4468, "packets": 7}
    assert doc["network"] == {"transport": "tcp", "protocol": "ssl", "bytes": 5409, "packets": 15,
                              "community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg="}  # fmt: skip
    assert doc["related"] == {"ip": ["10.20.4.19", "203.0.113.10"]}
    assert doc["zeek"]["session_id"] == "CwjjYJ2WqgTbAqiHl6"
    # the whole record, dotted names nested, under its log's name
    record = doc["zeek"]["conn"]
    assert record["id"] == {"orig_h": "10.20.4.19", "orig_p": 51234, "resp_h": "203.0.113.10",
                            "resp_p": 443}  # fmt: skip
    assert record["conn_state"] == "SF" and record["history"] == "ShADadFf"
    assert "event" not in record and "id.orig_h" not in record


def test_dns_record() -> None:
    doc = zeek.from_object(dict(DNS))
    assert doc is not None and doc["event"]["dataset"] == "zeek.dns"
    assert doc["dns"] == {
        "question": {"name": "www.soyte.gov.vn", "type": "A", "class": "C_INTERNET"},
        "id": "17",
        "response_code": "NOERROR",
        "answers": [{"data": "web.soyte.gov.vn", "ttl": 300}, {"data": "203.113.131.2", "ttl": 60}],
        "resolved_ip": ["203.113.131.2"],
        "type": "answer",
    }
    assert doc["zeek"]["dns"]["Z"] == 0 and doc["zeek"]["dns"]["rejected"] is False


def test_http_record() -> None:
    doc = zeek.from_object(dict(HTTP))
    assert doc is not None and doc["event"]["category"] == ["network", "web"]
    assert doc["url"] == {"domain": "portal.soyte.gov.vn", "original": "/login.php?next=%2F",
                          "path": "/login.php", "query": "next=%2F"}  # fmt: skip
    assert doc["http"] == {
        "request": {"method": "GET", "referrer": "https://a/", "body": {"bytes": 0}},
        "response": {"status_code": 200, "body": {"bytes": 1543}, "mime_type": "text/html"},
        "version": "1.1",
    }
    assert doc["user_agent"] == {"original": "Mozilla/5.0"}


def test_ssl_and_x509_records() -> None:
    ssl = zeek.from_object(dict(SSL))
    assert ssl is not None and ssl["event"]["dataset"] == "zeek.ssl"
    assert ssl["tls"] == {
        "version_protocol": "tls", "version": "1.2",
        "cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "curve": "secp256r1",
        "established": True, "resumed": False,
        "client": {"server_name": "portal.soyte.gov.vn", "ja3": "769,47-53-5-10,0-10-11,23-24,0"},
    }  # fmt: skip
    assert ssl["destination"]["domain"] == "portal.soyte.gov.vn"
    cert = zeek.from_object(dict(X509))
    assert cert is not None and cert["event"]["dataset"] == "zeek.x509"
    assert cert["x509"] == {
        "serial_number": "04A1B2C3",
        "public_key_algorithm": "rsaEncryption",
        "signature_algorithm": "sha256WithRSAEncryption",
        "subject": {"distinguished_name": "CN=portal.soyte.gov.vn"},
        "issuer": {"distinguished_name": "CN=R3,O=Let's Encrypt,C=US"},
        "version_number": "3",
        "not_before": "2024-01-01T00:00:00.000Z",
        "not_after": "2024-04-01T00:00:00.000Z",
        "alternative_names": ["portal.soyte.gov.vn", "www.soyte.gov.vn"],
    }
    assert cert["file"] == {"hash": {"sha256": "a" * 64}}
    assert cert["zeek"]["x509"]["certificate"]["serial"] == "04A1B2C3"
    assert cert["zeek"]["x509"]["basic_constraints"] == {"ca": False}


def test_files_and_smb_records() -> None:
    files = zeek.from_object(dict(FILES))
    assert files is not None and files["event"]["dataset"] == "zeek.files"
    assert files["file"] == {
        "mime_type": "application/x-dosexec", "name": "setup.exe", "size": 73802,
        "hash": {"md5": "5d41402abc4b2a76b9719d911017c592",
                 "sha1": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"},
    }  # fmt: skip
    assert files["zeek"]["files"]["source"] == "HTTP"  # text, not ECS's `source` object
    smb = zeek.from_object(dict(SMB_FILES))
    assert smb is not None and smb["event"]["action"] == "file_open"
    assert smb["file"] == {"name": "Users\\jdoe\\archive.pst", "directory": "\\\\FS01\\C$",
                           "size": 1048576}  # fmt: skip
    assert smb["zeek"]["smb_files"]["times"] == {"modified": TS, "accessed": TS}
    mapping = zeek.from_object(dict(SMB_MAPPING))
    assert mapping is not None and mapping["event"]["dataset"] == "zeek.smb_mapping"


def test_dce_rpc_kerberos_rdp_ssh_records() -> None:
    rpc = zeek.from_object(dict(DCE_RPC))
    assert rpc is not None and rpc["event"]["action"] == "EfsRpcOpenFileRaw"
    assert rpc["zeek"]["dce_rpc"]["endpoint"] == "efsrpc"
    krb = zeek.from_object(dict(KERBEROS))
    assert krb is not None and krb["event"]["category"] == ["network", "authentication"]
    assert (krb["event"]["action"], krb["event"]["outcome"]) == ("TGS", "failure")
    assert krb["user"] == {"name": "jdoe", "domain": "SOYTE.LOCAL"}
    rdp = zeek.from_object(dict(RDP))
    assert rdp is not None and rdp["event"]["dataset"] == "zeek.rdp"
    ssh = zeek.from_object(dict(SSH))
    assert ssh is not None and ssh["event"]["dataset"] == "zeek.ssh"
    assert ssh["event"]["outcome"] == "success"


def test_notice_and_weird_records() -> None:
    notice = zeek.from_object(dict(NOTICE))
    assert notice is not None
    assert notice["event"]["kind"] == "alert" and notice["rule"] == {"name": "Scan::Port_Scan"}
    assert notice["message"].startswith("10.20.4.66 scanned")
    assert notice["source"] == {"ip": "10.20.4.66"}
    assert notice["destination"] == {"ip": "10.20.0.10", "port": 445}
    assert notice["related"] == {"ip": ["10.20.0.10", "10.20.4.66"]}
    weird = zeek.from_object(dict(WEIRD))
    assert weird is not None and weird["event"]["dataset"] == "zeek.weird"
    assert weird["event"]["action"] == "dns_unmatched_reply"


def test_the_log_comes_from_path_then_hint_then_keys() -> None:
    # Security Onion / json-streaming: `_path` names the log, whatever the keys say
    streamed = zeek.from_object({**DNS, "_path": "dns_red", "_write_ts": "2024-03-05T10:00:01Z"})
    assert streamed is not None and streamed["event"]["dataset"] == "zeek.dns_red"
    # a file's name or a syslog tag, when the record does not say
    assert zeek.from_object({"ts": TS, "uid": "C1", "x": 1}, "ntlm")["event"]["dataset"] == (
        "zeek.ntlm"
    )
    # a hint that is no Zeek log is no hint: the keys decide
    assert zeek.from_object(dict(DNS), "network")["event"]["dataset"] == "zeek.dns"
    # keys only the log has, for every supported log
    for record, log in ((CONN, "conn"), (DNS, "dns"), (HTTP, "http"), (SSL, "ssl"),
                        (X509, "x509"), (FILES, "files"), (SMB_FILES, "smb_files"),
                        (SMB_MAPPING, "smb_mapping"), (DCE_RPC, "dce_rpc"),
                        (KERBEROS, "kerberos"), (RDP, "rdp"), (SSH, "ssh"), (NOTICE, "notice"),
                        (WEIRD, "weird")):  # fmt: skip
        doc = zeek.from_object(dict(record))
        assert doc is not None and doc["event"]["dataset"] == f"zeek.{log}", log
    # a Zeek record of a log we know nothing of: `ts` and `uid`
    other = zeek.from_object({"ts": TS, "uid": "CxT1", **ID, "fingerprint": "x"})
    assert other is not None and other["event"]["dataset"] == "zeek.unknown"
    assert other["zeek"]["unknown"]["fingerprint"] == "x"


@pytest.mark.parametrize(
    ("name", "log"),
    [("dns.log", "dns"), ("dns.09:00:00-10:00:00.log", "dns"), ("conn.log", "conn"),
     ("smb_files.2024-03-05-10-00-00.log", "smb_files"), ("zeek_http.json", "http"),
     ("Conn.log", "conn"), ("events.ndjson", None), ("zeek.log", None)],
)  # fmt: skip
def test_file_names_name_logs(name: str, log: str | None) -> None:
    assert zeek.file_log(name) == log


def test_syslog_lines_by_tag_and_by_content() -> None:
    line = "@cee: " + orjson.dumps({k: v for k, v in DCE_RPC.items() if k != "endpoint"}).decode()
    tagged = parse_message(line, program="zeek_dce_rpc")
    assert tagged is not None and tagged["event"]["dataset"] == "zeek.dce_rpc"
    assert parse_message(orjson.dumps(CONN).decode(), program="bro-conn")["event"]["dataset"] == (
        "zeek.conn"
    )
    untagged = parse_message(orjson.dumps(HTTP).decode(), program="logger")
    assert untagged is not None and untagged["event"]["dataset"] == "zeek.http"
    # a Zeek tag claims its lines: text is no other parser's, and stays plain syslog
    assert parse_message("reporter: error in script", program="zeek") is None


@pytest.mark.parametrize(
    "document",
    [
        {"timestamp": "2024-03-05T17:00:10+0700", "ts": TS, "event_type": "dns", "uid": "C1",
         "src_ip": "10.0.0.1", "dns": {"rrname": "a.example"}},  # Suricata EVE
        {"@timestamp": "2024-03-05T10:00:00Z", "ts": TS, "uid": "C1", "query": "a.example",
         "source": {"ip": "10.0.0.1"}},  # ECS
        {"ts": TS, "uid": "C1", "winlog": {"event_id": 4624}, "query": "x"},  # Winlogbeat
        {"ts": TS, "event": {"dataset": "x"}, "conn_state": "SF"},  # ECS with a Zeek key
        {"ts": TS, "host": {"name": "pc1"}, "method": "GET", "uri": "/"},  # ECS host object
        {"ts": TS, "message": "app log", "uid": "u1"},  # an application's own JSON log
        {"uid": "C1", **ID, "query": "a.example"},  # no ts
        {"ts": TS, "level": "info"},  # ts alone names no log
    ],
)  # fmt: skip
def test_what_is_not_zeek(document: dict[str, Any]) -> None:
    assert zeek.from_object(document) is None


def test_suricata_and_windows_lines_keep_their_parsers() -> None:
    eve = '{"timestamp":"2024-03-05T17:00:10+0700","event_type":"dns","ts":1,"uid":"C1"}'
    assert parse_message(eve)["event"]["dataset"] == "suricata.eve"


@pytest.mark.parametrize(
    "record",
    [
        {"ts": "not a time", "uid": "C1", **ID},
        {"ts": float("inf"), "uid": "C1"},
        {"ts": 1e300, "uid": "C1", "query": "x"},
        {"ts": True, "uid": "C1", "conn_state": "SF", "duration": -5},
        {"ts": "0001-01-01T00:00:00+01:00", "uid": "C1"},
        {"ts": [TS], "uid": ["C1"], "id.orig_h": "not an ip", "id.orig_p": "x",
         "id.resp_h": ["10.0.0.1"], "id.resp_p": -1, "proto": 6, "query": ["a", "b"],
         "answers": "1.2.3.4", "TTLs": ["x"], "trans_id": {}},
        {"ts": TS, "_path": "http", "uri": ["x"], "status_code": "2OO", "host": 5,
         "resp_mime_types": "text/html", "request_body_len": -1, "user_agent": None},
        {"ts": TS, "_path": "x509", "certificate": "8BB00EE", "san": ["x"],
         "fingerprint": "zz" * 32},
        {"ts": TS, "_path": "ssl", "version": "TLSv1x", "established": "yes", "server_name": 1},
        {"ts": TS, "_path": "kerberos", "client": "/", "success": "true"},
        {"ts": TS, "_path": "files", "tx_hosts": "10.0.0.1", "rx_hosts": [1, None], "md5": 5},
        {"ts": TS, "_path": "notice", "src": ["x"], "p": "445", "note": ["n"]},
        {"ts": TS, "_path": "../../etc", "uid": "C1"},
        {"ts": TS, "uid": "C1", "id": "scalar", "id.orig_h": "10.0.0.1", "a..b": 1, ".": 2},
        {"ts": TS, "uid": "C1", "id.orig_h": "10.0.0.1", "id": {"resp_h": "10.0.0.2"}},
    ],
)  # fmt: skip
def test_hostile_values_never_raise(record: dict[str, Any]) -> None:
    doc = zeek.from_object(record)
    assert doc is not None and doc["event"]["module"] == "zeek"
    assert "@timestamp" not in doc or doc["@timestamp"].endswith("Z")
    orjson.dumps(doc)


# Logs found by Elastic's Zeek test logs (elastic/integrations packages/zeek): records written
# here in each log's layout, with documentation addresses and made-up names.
NTLM = {"ts": TS, "uid": "CKq0Pd3mJ1sWQzGf2", **ID, "username": "tran.binh",
        "hostname": "WS-ACCT-07", "domainname": "SOYTE", "server_nb_computer_name": "FS01",
        "server_dns_computer_name": "fs01.soyte.local", "server_tree_name": "soyte.local",
        "success": False}  # fmt: skip
FTP = {"ts": TS, "uid": "CzU3bq1KkbmLdFu6x7", **ID, "user": "backup", "password": "<hidden>",
       "command": "RETR", "arg": "ftp://203.0.113.10/exports/payroll.xlsx", "file_size": 20480,
       "reply_code": 226, "reply_msg": "Transfer complete."}  # fmt: skip
SMTP = {"ts": TS, "uid": "CpR8uE2bWw0w4rQ1Ye", **ID, "trans_depth": 1, "helo": "mx.example.net",
        "mailfrom": "billing@example.net", "rcptto": ["ke.toan@soyte.gov.vn", "it@soyte.gov.vn"],
        "from": "Billing <billing@example.net>", "subject": "Invoice 2024-03",
        "msg_id": "<20240305.1@example.net>", "x_originating_ip": "198.51.100.23",
        "path": ["203.0.113.10"], "tls": False, "fuids": ["Fk2s9b1JmQy0vH7u3"],
        "is_webmail": False}  # fmt: skip
DHCP = {"ts": TS, "uids": ["CmWx1t3Hq7sNw0aR2", "Cw8u2z1Yk4pLr6dE9"], "client_addr": "10.20.4.19",
        "server_addr": "10.20.0.1", "mac": "00:1a:2b:3c:4d:5e", "host_name": "WS-ACCT-07",
        "client_fqdn": "ws-acct-07.soyte.local", "domain": "soyte.local",
        "requested_addr": "10.20.4.19", "assigned_addr": "10.20.4.19", "lease_time": 86400.0,
        "msg_types": ["REQUEST", "ACK"], "duration": 0.0004}  # fmt: skip
RADIUS = {"ts": TS, "uid": "CdL9Wq1x0vQm3sKp5", **ID, "username": "ke.toan",
          "mac": "00-1A-2B-3C-4D-5E", "framed_addr": "10.30.0.8", "result": "failed"}  # fmt: skip
INTEL = {"ts": TS, "uid": "CbN3vQ2Lq7o8dWm1Y4", **ID, "seen.indicator": "203.0.113.10",
         "seen.indicator_type": "Intel::ADDR", "seen.where": "Conn::IN_RESP",
         "seen.node": "zeek-worker-1", "matched": ["Intel::ADDR"],
         "sources": ["abuse-feed"]}  # fmt: skip
SIGNATURES = {"ts": TS, "uid": "CvT5fQ3oRj2sNw8Lk1", "src_addr": "198.51.100.7",
              "src_port": 50211, "dst_addr": "10.20.0.10", "dst_port": 445,
              "note": "Signatures::Sensitive_Signature", "sig_id": "smb-psexec-svc",
              "event_msg": "198.51.100.7: PsExec service upload", "sub_msg": ""}  # fmt: skip
SIP = {"ts": TS, "uid": "CsQ1f2Xz9bWm4hLe7", "id.orig_h": "198.51.100.7", "id.orig_p": 5071,
       "id.resp_h": "10.20.0.20", "id.resp_p": 5060, "trans_depth": 0, "method": "OPTIONS",
       "uri": "sip:100@203.0.113.10", "request_from": "\"scanner\"<sip:100@192.0.2.1>",
       "request_to": "\"scanner\"<sip:100@192.0.2.1>", "call_id": "4815162342",
       "seq": "1 OPTIONS", "request_path": ["SIP/2.0/UDP 198.51.100.7:5071"],
       "response_path": [], "user_agent": "friendly-scanner", "request_body_len": 0}  # fmt: skip
SOFTWARE = {"ts": TS, "host": "10.20.4.19", "software_type": "HTTP::BROWSER",
            "name": "curl", "version.major": 8, "version.minor": 4,
            "unparsed_version": "curl/8.4.0"}  # fmt: skip


def test_logs_named_by_their_keys_alone() -> None:
    """Over syslog with only `zeek` for a tag, or in a file with another name, a record names
    its log by its keys: a SIP request has a method and URI as HTTP's has, a signature match a
    `note` as a notice has, and a response-only HTTP record or an SSH record without a
    login has none of the keys first looked for."""
    http_response = {k: v for k, v in HTTP.items() if k not in ("method", "uri", "host")}
    scan = {k: v for k, v in SSH.items() if k not in ("auth_success", "server")}
    for record, log in ((SIP, "sip"), (SIGNATURES, "signatures"), (NTLM, "ntlm"), (FTP, "ftp"),
                        (SMTP, "smtp"), (DHCP, "dhcp"), (RADIUS, "radius"), (INTEL, "intel"),
                        (SOFTWARE, "software"), (http_response, "http"),
                        (scan, "ssh")):  # fmt: skip
        doc = zeek.from_object(dict(record))
        assert doc is not None and doc["event"]["dataset"] == f"zeek.{log}", log
        line = parse_message(orjson.dumps(record).decode(), program="zeek")
        assert line is not None and line["event"]["dataset"] == f"zeek.{log}", log


def test_smb_cmd_is_a_log_name() -> None:
    assert zeek.file_log("smb_cmd.log") == "smb_cmd"
    doc = zeek.from_object({"ts": TS, "uid": "C1", **ID, "command": "NT_CREATE_ANDX"}, "smb_cmd")
    assert doc is not None and doc["event"]["dataset"] == "zeek.smb_cmd"
    assert doc["network"]["protocol"] == "smb"
    command = {"ts": TS, "uid": "C1", **ID, "command": "TREE_CONNECT_ANDX", "status": "SUCCESS",
               "tree": "\\\\FS01\\IPC$", "tree_service": "IPC"}  # fmt: skip
    assert zeek.from_object(command)["event"]["dataset"] == "zeek.smb_cmd"
    socks = {
        "ts": TS,
        "uid": "C2",
        **ID,
        "version": 5,
        "user": "proxyuser",
        "status": "succeeded",
        "request.name": "c2.example.net",
        "request_p": 443,
        "bound.host": "192.0.2.1",
    }
    assert zeek.from_object(socks)["event"]["dataset"] == "zeek.socks"


def test_ntlm_record() -> None:
    doc = zeek.from_object(dict(NTLM))
    assert doc is not None and doc["event"]["category"] == ["network", "authentication"]
    assert doc["user"] == {"name": "tran.binh", "domain": "SOYTE"}
    assert doc["event"]["outcome"] == "failure"
    assert doc["source"]["domain"] == "WS-ACCT-07"
    assert doc["destination"]["domain"] == "fs01.soyte.local"
    assert doc["related"]["user"] == ["tran.binh"]
    assert doc["related"]["hosts"] == ["WS-ACCT-07", "fs01.soyte.local"]
    assert doc["network"]["protocol"] == "ntlm"


def test_ftp_record() -> None:
    doc = zeek.from_object(dict(FTP))
    assert doc is not None and doc["user"] == {"name": "backup"}
    assert (doc["event"]["action"], doc["event"]["outcome"]) == ("RETR", "success")
    assert doc["file"] == {"path": "/exports/payroll.xlsx", "name": "payroll.xlsx", "size": 20480}
    assert doc["url"] == {"original": "ftp://203.0.113.10/exports/payroll.xlsx"}
    login = {**FTP, "command": "PASS", "arg": "x", "reply_code": 530, "file_size": None}
    login = zeek.from_object(login, "ftp")
    assert login is not None and login["event"]["outcome"] == "failure" and "file" not in login


def test_smtp_record() -> None:
    doc = zeek.from_object(dict(SMTP))
    assert doc is not None and doc["event"]["category"] == ["network", "email"]
    assert doc["email"] == {
        "from": {"address": ["billing@example.net"]},
        "to": {"address": ["ke.toan@soyte.gov.vn", "it@soyte.gov.vn"]},
        "subject": "Invoice 2024-03",
        "message_id": "<20240305.1@example.net>",
    }
    assert "198.51.100.23" in doc["related"]["ip"]


def test_dhcp_record() -> None:
    doc = zeek.from_object(dict(DHCP))
    assert doc is not None and doc["event"]["dataset"] == "zeek.dhcp"
    assert doc["source"] == {"ip": "10.20.4.19", "mac": "00-1A-2B-3C-4D-5E",
                             "domain": "ws-acct-07.soyte.local"}  # fmt: skip
    assert doc["destination"] == {"ip": "10.20.0.1"}
    assert doc["related"] == {"ip": ["10.20.0.1", "10.20.4.19"],
                              "hosts": ["WS-ACCT-07", "ws-acct-07.soyte.local"]}  # fmt: skip


def test_radius_and_http_users() -> None:
    radius = zeek.from_object(dict(RADIUS))
    assert radius is not None and radius["user"] == {"name": "ke.toan"}
    assert radius["event"]["outcome"] == "failure"
    assert radius["source"]["mac"] == "00-1A-2B-3C-4D-5E"
    http = zeek.from_object({**HTTP, "username": "admin"})
    assert http is not None and http["url"]["username"] == "admin"
    assert http["related"]["user"] == ["admin"]


def test_intel_record_is_an_alert_naming_its_indicator() -> None:
    doc = zeek.from_object(dict(INTEL))
    assert doc is not None and doc["event"]["kind"] == "alert"
    assert doc["event"]["category"] == ["threat", "network"]
    assert doc["rule"] == {"name": "Intel::ADDR"}
    assert doc["threat"]["indicator"] == {"type": "ipv4-addr", "ip": "203.0.113.10",
                                          "provider": "abuse-feed",
                                          "description": "203.0.113.10"}  # fmt: skip
    digest = "d41d8cd98f00b204e9800998ecf8427e"
    for kind, value, expected in (
        ("Intel::DOMAIN", "c2.example.net", {"url": {"domain": "c2.example.net"}}),
        ("Intel::URL", "http://c2.example.net/a", {"url": {"original": "http://c2.example.net/a"}}),
        ("Intel::EMAIL", "x@example.net", {"email": {"address": "x@example.net"}}),
        ("Intel::FILE_HASH", digest.upper(), {"file": {"hash": {"md5": digest}}}),
    ):
        seen = {**INTEL, "seen.indicator": value, "seen.indicator_type": kind}
        indicator = zeek.from_object(seen)["threat"]["indicator"]
        assert {k: v for k, v in indicator.items() if k in expected} == expected, kind


def test_signatures_record_is_an_alert_between_its_hosts() -> None:
    doc = zeek.from_object(dict(SIGNATURES))
    assert doc is not None and doc["event"]["kind"] == "alert"
    assert doc["source"] == {"ip": "198.51.100.7", "port": 50211}
    assert doc["destination"] == {"ip": "10.20.0.10", "port": 445}
    assert doc["rule"] == {"id": "smb-psexec-svc", "name": "smb-psexec-svc"}
    assert doc["message"] == "198.51.100.7: PsExec service upload"
    assert doc["related"]["ip"] == ["10.20.0.10", "198.51.100.7"]


def test_software_host_is_related_not_the_sensor() -> None:
    doc = zeek.from_object(dict(SOFTWARE))
    assert doc is not None and doc["related"] == {"ip": ["10.20.4.19"]}
    assert "host" not in doc


def test_json_with_spaces_after_colons_keeps_its_first_key() -> None:
    """`{"ts": 1.5, ...}` (JSON as Python or jq write it) behind no tag: `{"ts"` is no tag."""
    record = orjson.dumps(CONN).decode().replace('":', '": ')
    for raw in (record, f"<134>Mar  5 10:00:01 sensor1 {record}"):
        message = parse_syslog(raw.encode(), received=datetime(2024, 3, 5, 10, 0, 1, tzinfo=UTC))
        doc = to_ecs(message, peer_ip=None)
        assert doc["event"]["dataset"] == "zeek.conn", raw[:40]
        assert doc["source"]["ip"] == "10.20.4.19"
