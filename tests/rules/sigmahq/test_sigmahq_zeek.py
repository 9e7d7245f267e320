r"""SigmaHQ's Zeek rules over Zeek JSON logs read through the real path (`read_events` of a folder
of Zeek logs, a DuckDB event store, the rules compiled with the shipped pipelines).

The logs come as a sensor writes them: one JSON file per log named after it (`dns.log`, a
rotated `http.<hours>.log`, a gzipped `conn.log`) whose records do not name their log, a Security
Onion style stream whose records carry `_path`, and Zeek's default TSV (the SMB file log, whose
backslashes TSV writes as `\x5c`). Each attack line is written to trigger the rule
(or rules) named beside it; the benign lines of each log trigger none.

Two rules match no line Zeek writes: the ATSVC task rule (dde85b37) asks for the path `\*\IPC$`
(one backslash before the `*`), and the credential-file rule (2e69f167) for names equal to
`\lsass`, `\ntds.dit`, ... (nothing before the backslash). The `atsvc` line, on `\\*\IPC$` as
Zeek writes it, is caught by the remote named pipe rule instead.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from rule_matches import matches_by_rule

from collectors.files import read_events
from soc.rules import compile_rules, load_rules
from soc.storage import DuckDBEventStore

ROOT = Path(__file__).resolve().parents[3]
SIGMAHQ = ROOT / "rules" / "sigmahq"
ZEEK_RULES = [
    SIGMAHQ / "rules" / "network" / "zeek",
    *(SIGMAHQ / "rules-emerging-threats").rglob("zeek_*.yml"),
]

PETIT_POTAM = "4096842a-8f9f-4d36-92b4-d0b2a62f9b2a"  # dce_rpc operation efs*
PRINTNIGHTMARE = "7b33baef-2a75-4ca3-9da4-34f9a15382d8"  # dce_rpc driver/print processor install
BZAR_EXECUTION = "b640c0b8-87f8-4daa-aef8-95a24261dd1d"  # svcctl CreateServiceW, ...
BZAR_PERSISTENCE = "53389db6-ba46-48e3-a94c-e0f2cefe1583"  # spoolss RpcAddPrintProcessor, ...
MINING_POOL = "bf74135c-18e8-4a72-a926-0e4f47888c19"
Z_FLAG = "ede05abc-2c9e-4624-9944-9ff17fdc0bf5"  # dns Z bit set
TOR_PROXY = "a8322756-015c-42e7-afb1-436e85ed3ff5"
NKN = "fa7703d6-0ee8-4949-889c-48c84bc15b6f"
KERBEROS_COERCION = "5588576c-5898-4fac-bcdd-7475a60e8f43"  # marshalled target info in a name
WEBDAV_PUT = "705072a5-bb6f-4ced-95b6-ecfa6602090b"  # to a public address
WEBDAV_EXECUTABLE = "aac2fd97-bcba-491b-ad66-a6edf89c71bf"
SUSPICIOUS_TLD_FILE = "68c2c604-92ad-468b-bf4a-aac49adad08c"
OMIGOD = "ab6b1a39-a9ee-4ab4-b075-e83acf6e346b"  # POST /wsman without Authorization
KATZ_STEALER = "834c6d2f-5e98-4b2a-b453-0c4f234afedd"  # user agent
COBALT_STRIKE_CERT = "7100f7e3-92ce-4584-b7b7-01b40d3d4118"
KERBEROS_RC4 = "503fe26e-b5f2-4944-a126-eab405cc06e5"
RDP_PUBLIC = "1fc0809e-06bf-4de3-ad52-25e5263b7623"  # RDP from a public address
REMOTE_PIPE = "021310d9-30a6-480a-84b7-eaa69aeb92bb"  # \\*\IPC$ not a well-known pipe
SPOOLSS_PIPE = "bae2865c-5565-470d-b505-9496c87d0c30"
PSEXEC_PIPES = "f1b3a22a-45e6-4004-afb5-4291f9c21166"  # -stdin/-stdout/-stderr not PsExec's own
SECRETSDUMP = "92dae1ed-1c9d-4eff-a567-33acbd95b00e"  # ADMIN$ SYSTEM32\*.tmp
SENSITIVE_FILE = "286b47ed-f6fe-40b3-b3a8-35129acd43bc"  # .pst, .kirbi, ...

TS = 1709632800.0  # 2024-03-05T10:00:00Z


def ident(orig: str, orig_p: int, resp: str, resp_p: int) -> dict[str, Any]:
    return {"id.orig_h": orig, "id.orig_p": orig_p, "id.resp_h": resp, "id.resp_p": resp_p}


def dns(uid: str, query: str, answers: list[str], *, z: int = 0) -> dict[str, Any]:
    return {"ts": TS, "uid": uid, **ident("10.20.4.19", 53111, "10.20.0.53", 53), "proto": "udp",
            "trans_id": 4321, "rtt": 0.012, "query": query, "qclass": 1,
            "qclass_name": "C_INTERNET", "qtype": 1, "qtype_name": "A", "rcode": 0,
            "rcode_name": "NOERROR", "AA": False, "TC": False, "RD": True, "RA": True, "Z": z,
            "answers": answers, "TTLs": [300.0] * len(answers), "rejected": False}  # fmt: skip


def http(uid: str, method: str, host: str, uri: str, agent: str, **extra: Any) -> dict[str, Any]:
    return {"ts": TS, "uid": uid, **ident("10.20.4.18", 52250, extra.pop("resp", "10.20.0.80"),
            80), "trans_depth": 1, "method": method, "host": host, "uri": uri,
            "version": "1.1", "user_agent": agent, "request_body_len": 0,
            "response_body_len": 4096, "status_code": 200, "status_msg": "OK", "tags": [],
            **extra}  # fmt: skip


def dce_rpc(uid: str, endpoint: str, operation: str) -> dict[str, Any]:
    return {"_path": "dce_rpc", "ts": TS, "uid": uid,
            **ident("10.20.4.66", 49833, "10.20.0.10", 445), "rtt": 0.0004,
            "named_pipe": "\\pipe\\" + endpoint, "endpoint": endpoint,
            "operation": operation}  # fmt: skip


def smb_file(uid: str, path: str, name: str) -> dict[str, Any]:
    return {"ts": TS, "uid": uid,
            **ident("10.20.4.66", 49834, "10.20.0.10", 445), "action": "SMB::FILE_OPEN",
            "path": path, "name": name, "size": 0, "times.modified": TS, "times.accessed": TS,
            "times.created": TS, "times.changed": TS}  # fmt: skip


def kerberos(uid: str, cipher: str, service: str) -> dict[str, Any]:
    return {"_path": "kerberos", "ts": TS, "uid": uid,
            **ident("10.20.4.66", 49835, "10.20.0.10", 88), "request_type": "TGS",
            "client": "svc_backup/SOYTE.LOCAL", "service": service, "success": True,
            "till": 2136422885.0, "cipher": cipher, "forwardable": True,
            "renewable": True}  # fmt: skip


def x509(fuid: str, serial: str) -> dict[str, Any]:
    return {"_path": "x509", "ts": TS, "fuid": fuid, "certificate.version": 3,
            "certificate.serial": serial, "certificate.subject": "CN=portal.soyte.gov.vn",
            "certificate.issuer": "CN=R3,O=Let's Encrypt,C=US",
            "certificate.not_valid_before": 1704067200.0,
            "certificate.not_valid_after": 1711929600.0, "certificate.key_alg": "rsaEncryption",
            "certificate.sig_alg": "sha256WithRSAEncryption", "certificate.key_type": "rsa",
            "certificate.key_length": 2048, "certificate.exponent": "65537",
            "san.dns": ["portal.soyte.gov.vn"], "basic_constraints.ca": False}  # fmt: skip


def rdp(uid: str, orig: str) -> dict[str, Any]:
    return {"ts": TS, "uid": uid, **ident(orig, 51514, "10.20.0.30", 3389), "cookie": "admin",
            "result": "encrypted", "security_protocol": "HYBRID", "client_channels": [],
            "cert_count": 0}  # fmt: skip


DNS_LOG = [
    dns("CMine01", "pool.supportxmr.com", ["141.94.96.71"]),
    dns("CZbit01", "c2.badhost.example", ["198.51.100.9"], z=1),
    dns("CTor001", "duskgytldkxiuqc6.onion.to", ["104.21.5.8"]),
    dns("CNkn001", "mainnet-seed-0001.nkn.org", ["18.139.2.7"]),
    dns("CKrbDns", "fs01UWhRCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwbEAYBAAAA.soyte.local", []),
    dns("CBenign1", "www.soyte.gov.vn", ["203.113.131.2"]),
    dns("CBenign2", "4.0.20.10.in-addr.arpa", ["fs01.soyte.local"], z=1),
]
HTTP_LOG = [
    http("CDavPut", "PUT", "files.example.net", "/share/report.docx",
         "Microsoft-WebDAV-MiniRedir/10.0.19045", resp="203.0.113.50"),
    http("CDavExe", "GET", "files.example.net", "/webdav/setup.exe",
         "Microsoft-WebDAV-MiniRedir/10.0.19045", resp_mime_types=["application/x-dosexec"]),
    http("CTldExe", "GET", "cdn.updates.xyz", "/a/update.ps1", "curl/8.4.0"),
    http("COmigod", "POST", "10.20.0.80", "/wsman", "python-requests/2.31",
         request_body_len=1290, client_header_names=["HOST", "CONTENT-TYPE", "CONTENT-LENGTH"]),
    http("CKatz01", "GET", "198.51.100.3", "/gate", "katz-ontop/1.0"),
    http("CBenign3", "GET", "portal.soyte.gov.vn", "/index.html",
         "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", resp_mime_types=["text/html"]),
    http("CBenign4", "PUT", "dav.soyte.local", "/docs/plan.docx",
         "Microsoft-WebDAV-MiniRedir/10.0.19045", resp="10.20.0.81"),
]  # fmt: skip
SMB_FILES_LOG = [
    smb_file("CAtsvc", "\\\\*\\IPC$", "atsvc"),
    smb_file("CSpools", "\\\\PRN01\\IPC$", "spoolss"),
    smb_file("CPsexec", "\\\\FS01\\IPC$", "RemCom_WS01-4242-stdin"),
    smb_file("CSecDump", "\\\\DC01\\ADMIN$", "SYSTEM32\\hFtRzLxw.tmp"),
    smb_file("CPstFile", "\\\\FS01\\C$", "Users\\jdoe\\Documents\\Outlook\\archive.pst"),
    smb_file("CBenign6", "\\\\FS01\\share", "Reports\\2024\\Q1.docx"),
    smb_file("CBenign7", "\\\\*\\IPC$", "lsarpc"),
]
SENSOR_STREAM = [
    dce_rpc("CEfsRpc", "efsrpc", "EfsRpcOpenFileRaw"),
    dce_rpc("CDriver", "spoolss", "RpcAddPrinterDriverEx"),
    dce_rpc("CPrtProc", "spoolss", "RpcAddPrintProcessor"),
    dce_rpc("CSvcCtl", "svcctl", "CreateServiceW"),
    dce_rpc("CBenign5", "lsarpc", "LsarLookupSids3"),
    kerberos("CRc4Tgs", "rc4-hmac", "MSSQLSvc/db01.soyte.local:1433"),
    kerberos("CBenign8", "aes256-cts-hmac-sha1-96", "cifs/fs01.soyte.local"),
    x509("FCobalt1", "8BB00EE"),
    x509("FBenign9", "04A1B2C3D4E5F60718293A4B5C6D7E8F9A0B"),
]
RDP_LOG = [rdp("CRdpPub", "185.220.101.4"), rdp("CBenignR", "10.20.4.19")]
CONN_LOG = [
    {"ts": TS, "uid": "CBenignC", **ident("10.20.4.19", 53111, "10.20.0.53", 53), "proto": "udp",
     "service": "dns", "duration": 0.012, "orig_bytes": 40, "resp_bytes": 56,
     "conn_state": "SF", "missed_bytes": 0, "history": "Dd", "orig_pkts": 1,
     "orig_ip_bytes": 68, "resp_pkts": 1, "resp_ip_bytes": 84},
]  # fmt: skip


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def tsv(log: str, records: list[dict[str, Any]]) -> bytes:
    """Records in Zeek's TSV layout (scalar fields; strings escaped as Zeek escapes them)."""
    kinds = {bool: "bool", int: "count", float: "time", str: "string"}
    fields = list(records[0])
    lines = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
             "#unset_field\t-", f"#path\t{log}", "#fields\t" + "\t".join(fields),
             "#types\t" + "\t".join(kinds[type(records[0][f])] for f in fields)]  # fmt: skip
    for record in records:
        lines.append("\t".join(_tsv_value(record[f]) for f in fields))
    return "\n".join(lines).encode() + b"\n"


def _tsv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value).replace("\\", "\\x5c")


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    """Rule id -> the uid (x509: file id) of each Zeek record it matched, over every Zeek rule."""
    folder = tmp_path_factory.mktemp("zeek")
    logs = folder / "logs"
    logs.mkdir()
    (logs / "dns.log").write_bytes(ndjson(DNS_LOG))
    (logs / "http.09:00:00-10:00:00.log").write_bytes(ndjson(HTTP_LOG))
    (logs / "conn.log.gz").write_bytes(gzip.compress(ndjson(CONN_LOG)))
    (logs / "sensor.json").write_bytes(ndjson(SENSOR_STREAM))
    (logs / "smb_files.log").write_bytes(tsv("smb_files", SMB_FILES_LOG))
    (logs / "remote-access.ndjson").write_bytes(ndjson(RDP_LOG))  # known by its keys alone
    catalog = compile_rules(load_rules(ZEEK_RULES), [ROOT / "rules" / "pipelines"])
    assert len(catalog.compiled) == 24 and not catalog.errors, catalog.errors
    store = DuckDBEventStore(folder / "events.duckdb")
    events = list(read_events([logs]))
    records = DNS_LOG + HTTP_LOG + CONN_LOG + SENSOR_STREAM + SMB_FILES_LOG + RDP_LOG
    assert len(events) == len(records)
    assert {e["event"]["dataset"] for e in events} == {
        "zeek.dns", "zeek.http", "zeek.conn", "zeek.dce_rpc", "zeek.smb_files", "zeek.kerberos",
        "zeek.x509", "zeek.rdp"}  # fmt: skip
    found = matches_by_rule(
        catalog, store, events, lambda e: e["zeek"].get("session_id") or e["zeek"]["x509"]["fuid"]
    )
    yield found
    store.close()


def test_zeek_rules_match_exactly_their_attack_lines(matched: dict[str, list[str]]) -> None:
    assert matched == {
        PETIT_POTAM: ["CEfsRpc"],
        PRINTNIGHTMARE: ["CDriver", "CPrtProc"],
        BZAR_PERSISTENCE: ["CPrtProc"],
        BZAR_EXECUTION: ["CSvcCtl"],
        MINING_POOL: ["CMine01"],
        Z_FLAG: ["CZbit01"],
        TOR_PROXY: ["CTor001"],
        NKN: ["CNkn001"],
        KERBEROS_COERCION: ["CKrbDns"],
        WEBDAV_PUT: ["CDavPut"],
        WEBDAV_EXECUTABLE: ["CDavExe"],
        SUSPICIOUS_TLD_FILE: ["CTldExe"],
        OMIGOD: ["COmigod"],
        KATZ_STEALER: ["CKatz01"],
        COBALT_STRIKE_CERT: ["FCobalt1"],
        KERBEROS_RC4: ["CRc4Tgs"],
        RDP_PUBLIC: ["CRdpPub"],
        REMOTE_PIPE: ["CAtsvc"],
        SPOOLSS_PIPE: ["CSpools"],
        PSEXEC_PIPES: ["CPsexec"],
        SECRETSDUMP: ["CSecDump"],
        SENSITIVE_FILE: ["CPstFile"],
    }
