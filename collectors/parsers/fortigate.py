"""FortiGate key=value logs (traffic, UTM, event) to ECS, after Elastic's Fortinet integration.

Every raw key is kept under `fortinet.firewall.*` so an analyst can search on FortiGate's own
names; the fields rules correlate on (addresses, ports, action, policy, user, URL, DNS name,
file) also get their ECS names, and `event.category`/`type` follow the log type: traffic is
network connections, UTM subtypes are malware, intrusion detection, web or DNS events, and
event logs with a login (admin, SSL VPN, firewall authentication) are authentication.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from collectors.parsers.values import (
    IANA_TRANSPORTS,
    fill_missing,
    int_or_none,
    ip_or_none,
    mac_or_none,
)
from soc.model.event import Event, isoformat

DATASET = "fortinet.firewall"
# key, then a quoted value's content (escapes kept; the loop unrolled, one step per run of plain
# characters rather than per character) or a bare value
_PAIR = re.compile(r'(?:^|(?<=\s))([A-Za-z_][\w-]*)=(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^\s"]*))', re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)
_DENIED = {"deny", "block", "blocked", "dropped", "drop", "reset"}
# A denial, or a session the policy accepted that then failed: its DNS lookup or its host
# (`dns`, `ip-conn`: Fortinet KB FD39118). A TCP reset from either end (`server-rst`,
# `client-rst`) is how an accepted session ended, not a block (Fortinet community article 407206).
_FAILURE = {*_DENIED, "dns", "ip-conn"}
_SUCCESS = {"accept", "allow", "allowed", "pass", "passthrough", "close", "timeout", "start",
            "server-rst", "client-rst", "login", "logout", "tunnel-up", "tunnel-down",
            "FSSO-logon", "FSSO-logoff", "auth-logon", "auth-logout"}  # fmt: skip
_STATUS_FAILURE = {"failed", "failure", "fail", "negotiate_error", "denied"}
_UTM_CATEGORIES = {"virus": ["malware"], "ips": ["intrusion_detection"],
                   "anomaly": ["intrusion_detection"], "waf": ["web", "intrusion_detection"],
                   "webfilter": ["web"], "emailfilter": ["email"],
                   "dlp": ["file"], "file-filter": ["file"]}  # fmt: skip
# raw key -> ECS path, for the keys Elastic's integration names (first one present wins)
_ECS_NAMES = (("app", "network.application"), ("service", "network.protocol"),
              ("hostname", "url.domain"), ("url", "url.path"), ("qname", "dns.question.name"),
              ("qtype", "dns.question.type"), ("qclass", "dns.question.class"), ("xid", "dns.id"),
              ("filename", "file.name"),
              ("agent", "user_agent.original"), ("httpmethod", "http.request.method"),
              ("referralurl", "http.request.referrer"), ("srcmac", "source.mac"),
              ("dstmac", "destination.mac"), ("msg", "message"), ("level", "log.level"),
              ("attack", "rule.description"), ("catdesc", "rule.category"),
              ("reason", "event.reason"))  # fmt: skip
_ECS_PATHS = tuple((key, tuple(path.split(".")[:-1]), path.rsplit(".", 1)[-1])
                   for key, path in _ECS_NAMES)  # fmt: skip
"""`_ECS_NAMES` split once: the parents of each path and its last name (a third of the
time of a FortiGate line went to walking the dotted paths anew, bench_syslog.py --profile)."""
_ENDPOINTS = (
    ("source", "srcip", "srcport", "sentbyte", "sentpkt"),
    ("destination", "dstip", "dstport", "rcvdbyte", "rcvdpkt"),
)
# VPN event logs name the peer `remip` and the FortiGate `locip` (no srcip/dstip): the peer is the
# side that connects, as in Elastic's integration ("Understanding VPN-related logs", FortiOS
# 7.6 Administration Guide), so what the FortiGate received is what the peer sent.
_VPN_ENDPOINTS = (
    ("source", "remip", "remport", "rcvdbyte", "rcvdpkt"),
    ("destination", "locip", "locport", "sentbyte", "sentpkt"),
)
_EPOCH_DIGITS = ((18, 1_000_000_000), (15, 1_000_000), (12, 1_000), (0, 1))
_ABSOLUTE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_CEF_PREFIX = "FTNTFGT"
_FROM_CEF = {  # CEF's full name (as `collectors.parsers.cef` expands it) -> FortiOS's key
    "deviceExternalId": "devid", "deviceHostName": "devname", "sourceAddress": "srcip",
    "sourceHostName": "srcname", "sourcePort": "srcport", "deviceInboundInterface": "srcintf",
    "destinationAddress": "dstip", "destinationHostName": "dstname", "destinationPort": "dstport",
    "deviceOutboundInterface": "dstintf", "externalId": "sessionid", "transportProtocol": "proto",
    "deviceAction": "action", "applicationProtocol": "service",
    "sourceTranslatedAddress": "transip", "sourceTranslatedPort": "transport",
    "bytesOut": "sentbyte", "bytesIn": "rcvdbyte", "message": "msg",
}  # fmt: skip
_FROM_CEF_LABEL = {  # FortiOS 5.6 put these in custom fields, named by their labels
    "Policy Id": "policyid", "Duration": "duration", "Packets Sent": "sentpkt",
    "Packets Received": "rcvdpkt",
}  # fmt: skip


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a FortiGate log line; None when the line is not one.

    A FortiGate line is recognised by its `devname=` and `logid=` keys, wherever the syslog
    header put the content. Logs downloaded from the FortiGate (GUI, `execute log display`, the
    Log Reference's examples) and syslog with `devname` excluded or moved into an RFC 5424
    header have no `devname`: those are recognised by a ten-digit `logid` with `type` and
    `subtype`.
    """
    if "logid=" not in message or ("devname=" not in message and "subtype=" not in message):
        return None
    raw = {
        key: _unescape(quoted) if quoted else bare for key, quoted, bare in _PAIR.findall(message)
    }
    logid = raw.get("logid")
    if not logid or not (raw.get("devname") or _is_headless(raw, logid)):
        return None
    return _document(raw)


def _is_headless(raw: dict[str, str], logid: str) -> bool:
    return len(logid) == 10 and logid.isdigit() and bool(raw.get("type") and raw.get("subtype"))


def from_cef(cef_doc: Event) -> Event | None:
    """A FortiGate line sent in CEF (`config log syslogd setting: set format cef`) as its
    key=value line gives it, from `collectors.parsers.cef`'s document; None for other devices.

    FortiOS names a field by CEF's name where CEF has one and by `FTNTFGT<its own name>`
    otherwise (FortiOS Log Reference, "FortiOS to CEF log field mapping guidelines" and the
    traffic log pairs beside it); turned back, the same FortiGate fields and ECS fields follow.
    That matters beyond the dataset: FortiOS sends `rcvdbyte` as CEF's `in`, which generic CEF
    reads as the source's bytes, so a FortiGate's bytes came out the wrong way round. What the
    generic reading found and the FortiGate one does not (the CEF severity, host and user
    names under `source`/`destination`) is kept.
    """
    cef = cef_doc.get("cef")
    device = cef.get("device", {}) if isinstance(cef, dict) else {}
    product = str(device.get("product", "")).lower()
    if device.get("vendor") != "Fortinet" or not product.startswith("fortigate"):
        return None
    raw: dict[str, str] = {}
    extensions = cef.get("extensions", {})
    for name, value in extensions.items():
        text = value if isinstance(value, str) else str(value)
        if name.startswith(_CEF_PREFIX):
            raw[name[len(_CEF_PREFIX) :]] = text
        elif name in _FROM_CEF:
            raw.setdefault(_FROM_CEF[name], text)
        elif name.endswith("Label") and name[:-5] in extensions and text in _FROM_CEF_LABEL:
            raw.setdefault(_FROM_CEF_LABEL[text], str(extensions[name[:-5]]))
    kind, _, subtype = str(extensions.get("deviceEventCategory", "")).partition(":")
    if kind:
        raw.setdefault("type", kind)
        raw.setdefault("subtype", subtype)
    if not raw.get("logid"):
        return None
    doc = _document(raw)
    fill_missing(doc, {k: v for k, v in cef_doc.items() if k != "cef"})
    return doc


def _document(raw: dict[str, str]) -> Event:
    doc: Event = {
        "event": {"module": "fortinet", "dataset": DATASET, "code": raw["logid"]},
        "observer": {"vendor": "Fortinet", "product": "FortiGate", "type": "firewall"},
        "fortinet": {"firewall": raw},
    }
    if raw.get("devname"):
        doc["observer"]["name"] = raw["devname"]
    if raw.get("devid"):
        doc["observer"]["serial_number"] = raw["devid"]
    if raw.get("srcintf"):
        doc["observer"]["ingress"] = {"interface": {"name": raw["srcintf"]}}
    if raw.get("dstintf"):
        doc["observer"]["egress"] = {"interface": {"name": raw["dstintf"]}}
    if moment := _timestamp(raw):
        doc["@timestamp"] = isoformat(moment)
    _action(doc, raw)
    for side, *keys in _ENDPOINTS if "remip" not in raw or "srcip" in raw else _VPN_ENDPOINTS:
        if endpoint := _endpoint(raw, *keys):
            doc[side] = endpoint
    if (proto := int_or_none(raw.get("proto"))) is not None:
        doc["network"] = {"iana_number": str(proto)}
        if str(proto) in IANA_TRANSPORTS:
            doc["network"]["transport"] = IANA_TRANSPORTS[str(proto)]
    rule = {k: raw[r] for k, r in (("id", "policyid"), ("name", "policyname")) if raw.get(r)}
    if rule:
        doc["rule"] = rule
    if (duration := int_or_none(raw.get("duration"))) is not None:
        doc["event"]["duration"] = duration * 1_000_000_000  # seconds; ECS counts nanoseconds
    if (size := int_or_none(raw.get("filesize"))) is not None:
        doc["file"] = {"size": size}
    user = raw.get("user") or raw.get("unauthuser")
    if user == "N/A" or "remip" in raw:
        user = _user(raw)
    if user:
        doc["user"] = {"name": user}
    _ecs_names(doc, raw)
    _categorize(doc, raw)
    return doc


def _user(raw: dict[str, str]) -> str | None:
    """The user, never FortiOS's `N/A` placeholder. A VPN log's `user` is the peer's address
    or `N/A` for an IPsec tunnel; the one who authenticated is its XAuth or EAP user."""
    names = (raw.get("xauthuser"), raw.get("eapuser")) if "remip" in raw else ()
    for name in (*names, raw.get("user"), raw.get("unauthuser")):
        if name and name != "N/A":
            return name
    return None


def _unescape(quoted: str) -> str:
    """A quoted value's content without its backslash escapes. Most values have none, and a
    substitution for each of the ~15 quoted values was a third of a FortiGate line's parsing."""
    return _ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted


def _timestamp(raw: dict[str, str]) -> datetime | None:
    """`eventtime` (epoch in s, ms, us or ns by FortiOS version) is exact; else date+time+tz."""
    if (eventtime := int_or_none(raw.get("eventtime"))) is not None:
        divisor = next(d for digits, d in _EPOCH_DIGITS if len(str(eventtime)) >= digits)
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return datetime.fromtimestamp(eventtime / divisor, UTC)
    if raw.get("date") and raw.get("time"):
        try:
            moment = datetime.fromisoformat(f"{raw['date']}T{raw['time']}{raw.get('tz', '')}")
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _action(doc: Event, raw: dict[str, str]) -> None:
    """`event.action` is FortiGate's `action` (else its `eventtype`); a `status` of a login or
    tunnel decides the outcome over the action."""
    event = doc["event"]
    action = raw.get("action") or raw.get("eventtype")
    if not action:
        return
    event["action"] = action
    if (
        raw.get("status", "").lower() in _STATUS_FAILURE
        or action in _FAILURE
        or action.endswith("-fail")  # ssl-login-fail: an SSL VPN login refused, with no status
    ):
        event["outcome"] = "failure"
    elif action in _SUCCESS or raw.get("status", "").lower() == "success":
        event["outcome"] = "success"
    else:
        event["outcome"] = "unknown"


def _categorize(doc: Event, raw: dict[str, str]) -> None:
    event = doc["event"]
    kind, subtype, action = raw.get("type"), raw.get("subtype", ""), raw.get("action", "")
    if kind == "traffic":
        event["category"] = ["network"]
        types = ["connection", "start" if action == "start" else "end"]
        denied = action in _DENIED or raw.get("utmaction") == "block"
        types.append("denied" if denied else "allowed")
        event["type"] = types
    elif kind in ("utm", "dns"):
        event["category"] = [*_UTM_CATEGORIES.get(subtype, []), "network"]
        if action in ("block", "blocked", "dropped", "reset"):
            event["type"] = ["denied"]
        elif action in ("pass", "passthrough", "allow"):
            event["type"] = ["allowed"]
        elif subtype == "dns":
            event["type"] = ["info"]
    elif kind == "event" and _is_login(raw):
        event["category"] = ["authentication"]
        if event.get("outcome") == "failure":
            event["type"] = ["info"]
        elif "logout" in action or "logoff" in action:
            event["type"] = ["end"]
        else:
            event["type"] = ["start"]
    elif kind == "event" and subtype == "vpn":  # tunnel negotiation, up, down, statistics
        event["category"] = ["network"]
        event["type"] = ["connection"]


def _is_login(raw: dict[str, str]) -> bool:
    text = f"{raw.get('action', '')} {raw.get('logdesc', '')} {raw.get('msg', '')}".lower()
    return "login" in text or "logged in" in text or "authentication" in text or "logout" in text


def _ecs_names(doc: Event, raw: dict[str, str]) -> None:
    for key, parents, name in _ECS_PATHS:
        value = raw.get(key)
        if not value or value == "N/A":
            continue
        if name == "mac":
            value = mac_or_none(value)
            if value is None:
                continue
        node = doc
        for parent in parents:  # the parsed fields are objects all the way down
            node = node.setdefault(parent, {})
        node.setdefault(name, value)
    if "network" in doc and "protocol" in doc["network"]:
        doc["network"]["protocol"] = doc["network"]["protocol"].lower()
    _url_original(doc, raw)
    if resolved := [
        ip for text in raw.get("ipaddr", "").split(",") if (ip := ip_or_none(text.strip()))
    ]:
        doc.setdefault("dns", {})["resolved_ip"] = resolved  # a DNS filter's answer(s)
    if ip := ip_or_none(raw.get("transip")):
        doc.setdefault("source", {})["nat"] = {"ip": ip}
        if port := int_or_none(raw.get("transport")):
            doc["source"]["nat"]["port"] = port


def _url_original(doc: Event, raw: dict[str, str]) -> None:
    """The whole URL requested, which proxy rules (Sigma's `c-uri`) search: FortiGate logs
    the host and the path apart (`hostname`, `url`), or now and then the whole URL in `url`.
    `url.path` is then only the path, and a query string is `url.query`, as ECS has them."""
    url, host = raw.get("url", ""), raw.get("hostname", "")
    if _ABSOLUTE_URL.match(url):
        doc["url"]["original"] = url
        try:
            parts = urlsplit(url)
        except ValueError:  # a malformed host ("http://[x/"): the URL stays whole
            return
        path, query = parts.path, parts.query
    elif url.startswith("/"):
        if host and host != "N/A":
            scheme = {"http": "http", "https": "https"}.get(raw.get("service", "").lower())
            prefix = f"{scheme}://" if scheme else "//"  # a network-path reference (RFC 3986)
            doc["url"]["original"] = f"{prefix}{host}{url}"
        if "?" not in url:
            return
        path, _, query = url.partition("?")
    else:
        return
    if path:
        doc["url"]["path"] = path
    else:
        del doc["url"]["path"]
    if query:
        doc["url"]["query"] = query


def _endpoint(raw: dict[str, str], ip_key: str, *number_keys: str) -> dict[str, str | int]:
    endpoint: dict[str, str | int] = {}
    if ip := ip_or_none(raw.get(ip_key)):
        endpoint["ip"] = ip
    for ecs_name, key in zip(("port", "bytes", "packets"), number_keys, strict=True):
        if (number := int_or_none(raw.get(key))) is not None:
            endpoint[ecs_name] = number
    return endpoint
