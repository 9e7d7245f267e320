"""Zeek JSON logs (conn, dns, http, ssl, x509, files, smb_files, smb_mapping, dce_rpc, kerberos,
rdp, ssh, notice, weird, ntlm, ftp, smtp, dhcp, radius, intel, signatures and any other log) to
ECS, after Elastic's Zeek integration (`event.dataset: zeek.<log>`).

Zeek writes one JSON object per line per log (`LogAscii::use_json=T`, Security Onion, Corelight),
from files or over syslog. Which log a record belongs to is not in most records: it comes from
`_path` (json-streaming output writes it), else from the file name or syslog tag (`dns.log`,
`zeek_dns`), else from keys only that log has. The whole record is kept under `zeek.<log>.*`
with Zeek's dotted keys nested (`id.orig_h` -> `zeek.conn.id.orig_h`), so SigmaHQ's Zeek rules,
which use Zeek's own field names, read it through a field prefix; the sender cannot set
`organization`, `event.id` or transport fields through it. What each log's fields are in ECS is
`zeek_ecs`'s business.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from collectors.parsers import zeek_ecs
from collectors.parsers.values import program_name, text_or_none
from soc.model.event import Event

MODULE = "zeek"
UNKNOWN = "unknown"
"""The log of a record that is Zeek's (`ts` and `uid`) but names no log and has no known keys."""

LOGS = frozenset({
    "conn", "dns", "http", "ssl", "x509", "files", "smb_files", "smb_mapping", "dce_rpc",
    "kerberos", "rdp", "ssh", "notice", "weird", "ntlm", "ftp", "smtp", "sip", "snmp", "dhcp",
    "radius", "tunnel", "software", "known_hosts", "known_services", "known_certs", "pe", "ocsp",
    "dpd", "modbus", "dnp3", "mysql", "irc", "socks", "syslog", "intel", "signatures", "ntp",
    "quic", "ldap", "ldap_search", "analyzer", "capture_loss", "stats", "reporter", "traceroute",
    "conn_long", "http2", "s7comm", "bacnet", "enip", "opcua_binary", "smb_cmd", "rfb",
    "mqtt_connect", "mqtt_publish", "mqtt_subscribe", "known_modbus", "notice_alarm", "netcontrol",
})  # fmt: skip
"""Log names a file name or syslog tag may give: a hint naming anything else (`network.log`) is
no hint, so a file's name alone cannot turn a record into the wrong log."""

_NAME = re.compile(r"[a-z0-9_]{1,40}")
_TAG_PREFIXES = ("zeek_", "zeek-", "zeek.", "bro_", "bro-", "bro.")
_NOT_ZEEK_KEYS = ("@timestamp", "ecs", "event_type", "winlog", "agent", "message", "event")
"""Keys no Zeek log has and ECS, Winlogbeat or Suricata documents do: such a document is never
taken for Zeek, even with a `ts`."""
_NOT_ZEEK_OBJECTS = ("source", "destination", "host", "log")
"""Zeek has text fields of these names (files' `source`, http's `host`); ECS has objects."""


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a Zeek record sent over syslog (JSON, optionally behind `@cee:`); the tag
    (`zeek_dns`, `bro-conn`) names the log. None when the line is not a Zeek record."""
    text = message.strip().removeprefix("@cee:").lstrip()
    if not text.startswith("{") or '"ts"' not in text:
        return None
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return from_object(record, log=tag_log(program)) if isinstance(record, dict) else None


def claims(program: str | None) -> bool:
    """Whether a syslog tag is Zeek's (`zeek`, `zeek_dns`, `bro-conn`)."""
    name = program_name(program)
    return name in ("zeek", "bro") or name.startswith(_TAG_PREFIXES)


def tag_log(program: str | None) -> str | None:
    """The log a syslog tag names (`zeek_dns` -> `dns`), or None."""
    name = program_name(program)
    for prefix in _TAG_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return None


def file_log(name: str) -> str | None:
    """The Zeek log a file name names: `dns.log`, `dns.09:00:00-10:00:00.log`, `conn.log` (from
    `conn.log.gz`), `zeek_conn.json`; None for any other name (`events.ndjson`)."""
    stem = name.split(".", 1)[0].lower()
    log = tag_log(stem) or stem
    return log if log in LOGS else None


def from_object(record: dict[str, Any], log: str | None = None) -> Event | None:
    """ECS fields for a decoded Zeek record; `log` is the hint of the file name or syslog tag.
    None when the object has no `ts` or is an ECS, Winlogbeat or Suricata document."""
    if "ts" not in record or any(key in record for key in _NOT_ZEEK_KEYS):
        return None
    if any(isinstance(record.get(key), dict) for key in _NOT_ZEEK_OBJECTS):
        return None
    name = _log_name(record, log)
    if name is None:
        return None
    nested = _nested(record)
    categories, types = zeek_ecs.CATEGORIES.get(name, (["network"], ["info"]))
    doc: Event = {
        "event": {"module": MODULE, "dataset": f"{MODULE}.{name}", "kind": "event",
                  "category": list(categories), "type": list(types)},
        "zeek": {name: nested},
    }  # fmt: skip
    if moment := zeek_ecs.zeek_time(record["ts"]):
        doc["@timestamp"] = moment
    if uid := text_or_none(record.get("uid")):
        doc["zeek"]["session_id"] = uid
    zeek_ecs.fill(doc, name, nested)
    return doc


def _log_name(record: dict[str, Any], hint: str | None) -> str | None:
    path = record.get("_path")
    if isinstance(path, str) and _NAME.fullmatch(path) and path != "session_id":
        return path
    if hint in LOGS:
        return hint
    if signed := _signature(record):
        return signed
    return UNKNOWN if text_or_none(record.get("uid")) else None


def _signature(record: dict[str, Any]) -> str | None:
    """The log whose own keys the record has, for records that name none."""
    has = record.__contains__
    action = record.get("action")
    checks = (
        ("sip", has("call_id")),  # SIP requests have a method and a URI too
        ("smtp", has("helo") or has("mailfrom") or has("rcptto")),
        ("http", (has("method") and has("uri")) or (has("trans_depth") and has("status_code"))),
        ("dns", has("query") or has("qtype_name") or has("rcode")),
        ("conn", has("conn_state")),
        ("kerberos", has("request_type")),
        ("x509", has("certificate.serial") or isinstance(record.get("certificate"), dict)),
        ("ssl", has("server_name") or (has("cipher") and has("version"))),
        ("smb_files", isinstance(action, str) and action.startswith("SMB::FILE_")),
        ("smb_mapping", has("share_type")),
        ("dce_rpc", has("endpoint") and has("operation")),
        ("files", has("fuid") and (has("mime_type") or has("source"))),
        ("rdp", has("cookie") or has("security_protocol")),
        ("ssh", has("auth_success") or has("auth_attempts") or (has("client") and has("server"))),
        ("ftp", has("command") and has("reply_code")),
        ("smb_cmd", has("command") and has("tree")),
        ("socks", has("bound.host") or has("request_p")),
        ("ntlm", has("server_nb_computer_name") or (has("username") and has("domainname"))),
        ("radius", has("username") and has("result")),
        ("dhcp", has("msg_types") or has("assigned_addr")),
        ("intel", has("seen.indicator") or isinstance(record.get("seen"), dict)),
        ("software", has("software_type")),
        ("known_services", has("port_num") and has("port_proto")),
        ("signatures", has("sig_id")),  # a signature match has a `note` too
        ("notice", has("note")),
        ("weird", has("name") and has("notice")),
    )
    return next((name for name, matched in checks if matched), None)


def _nested(record: dict[str, Any]) -> dict[str, Any]:
    """The record with dotted keys as nested objects (`id.orig_h` -> `id: {orig_h}`), as ECS
    stores and Sigma paths read them. A key whose path is taken by a value stays as written;
    of two values for one place (only a hostile record has them), the first is kept."""
    result: dict[str, Any] = {}
    for key, value in record.items():
        *parents, leaf = key.split(".")
        target = result
        for part in parents:
            inner = target.setdefault(part, {})
            if not isinstance(inner, dict):
                target, leaf = result, key
                break
            target = inner
        if leaf not in target:
            target[leaf] = value
        elif isinstance(target[leaf], dict) and isinstance(value, dict):
            target[leaf].update(value)
    return result
