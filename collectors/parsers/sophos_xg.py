"""Sophos Firewall (SFOS, formerly Sophos XG) key=value syslog to ECS, after Elastic's `sophos.xg`.

SFOS writes two layouts of the same logs: up to 19.0 `device="SFW" date=... time=...
timezone=... device_id=...`, and from 19.5 `device_name=... timestamp=<ISO 8601>
device_serial_id=...` with many keys renamed (`sent_bytes` -> `bytes_sent`, `tran_src_ip` ->
`src_trans_ip`, `srczone` -> `src_zone`). Both are read into the same ECS fields; every key is
kept as sent under `sophos.xg.*` so an analyst can search on Sophos's own names. `log_type`
decides the categories (Sophos Firewall syslog guide, "Syslog descriptions",
docs.sophos.com/nsg/sophos-firewall/20.0/syslog): Firewall is network connections, IDP and ATP
are intrusion alerts, Anti-Virus and Sandbox detections are malware alerts, Content Filtering
and WAF are web events, and Event logs of administrators, users and VPN clients logging in are
authentication.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from urllib.parse import urlsplit

from collectors.parsers.values import IANA_TRANSPORTS, int_or_none, ip_or_none, mac_or_none
from soc.model.event import Event, isoformat

DATASET = "sophos.xg"
# key, then a quoted value's content (backslash escapes kept) or a bare value; SFOS quotes
# values with spaces and escapes quotes and backslashes inside them.
_PAIR = re.compile(r'(?:^|(?<=\s))([A-Za-z_][\w-]*)=(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^\s"]*))', re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)
_EPOCH_DIGITS = 10  # seconds until the year 2286
# SFOS's placeholders for "no value": the key is kept out of the document.
_EMPTY = frozenset({"", "-", "N/A"})
_SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational",
               "debug")  # fmt: skip
"""The 7th digit of `log_id` (the guide's "Common fields' values and format")."""
# `status` values of the guide's list, and `log_subtype` values, that say how it ended
_SUCCESS = frozenset({"allow", "allowed", "allow session", "successful", "established",
                      "connected", "renew", "clean"})  # fmt: skip
_FAILURE = frozenset({"deny", "denied", "deny session", "failed", "drop", "blocked",
                      "would deny"})  # fmt: skip
_DENIED = frozenset({"deny", "denied", "deny session", "drop", "blocked"})
_VPN_COMPONENTS = frozenset({"SSL VPN", "IPSec", "L2TP", "PPTP", "SSL VPN Authentication"})
_VPN_CLIENTS = frozenset({"SSLVPN", "IPSec", "L2TP", "PPTP"})
# ECS side -> the keys for its address, port, bytes, packets, NAT address and NAT port: the
# 19.0 names first, then 19.5's (ATP's `sourceip`/`destinationip` last).
_ENDPOINTS = (
    ("source", ("src_ip", "sourceip"), ("src_port",), ("sent_bytes", "bytes_sent"),
     ("sent_pkts", "packets_sent"), ("tran_src_ip", "src_trans_ip"),
     ("tran_src_port", "src_trans_port"), "src_mac"),
    ("destination", ("dst_ip", "destinationip"), ("dst_port",),
     ("recv_bytes", "bytes_received"), ("recv_pkts", "packets_received"),
     ("tran_dst_ip", "dst_trans_ip"), ("tran_dst_port", "dst_trans_port"), "dst_mac"),
)  # fmt: skip
_SIDES = (("ingress", "in_interface", "srczone", "src_zone"),
          ("egress", "out_interface", "dstzone", "dst_zone"))  # fmt: skip
# File names by log: anti-virus and sandbox, web downloads and uploads, web content (DLP) policy
_FILE_NAMES = ("filename", "download_file_name", "upload_file_name", "file_name")
# Zones the guide names as the firewall's inside; `WAN` is outside (Elastic's direction rule).
_INSIDE = frozenset({"LAN", "DMZ", "VPN", "WiFi"})


def claims(message: str) -> bool:
    """The dispatcher's cheap test: SFOS writes `log_id=` and `log_type=` with underscores,
    which a FortiGate (`logid=`, `type=`) never does."""
    return "log_type=" in message and "log_id=" in message


def parse(
    message: str, *, program: str | None = None, pid: str | None = None, zone: tzinfo = UTC
) -> Event | None:
    """ECS fields for an SFOS log line; None when the line is not one.

    `zone` is where a 19.0 line's `date`/`time` were written when its `timezone` is an
    abbreviation (`IST`, `CET`) that names no offset: the same zone as the syslog header's.
    """
    if not claims(message):
        return None
    raw: dict[str, str] = {}
    for key, quoted, bare in _PAIR.findall(message):
        value = (_ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted) if quoted else bare
        if value not in _EMPTY:
            raw[key] = value
    log_id, log_type = raw.get("log_id"), raw.get("log_type")
    if not log_id or not log_type or not ("device" in raw or "device_name" in raw):
        return None
    doc: Event = {
        "event": {"module": "sophos", "dataset": DATASET, "code": log_id, "kind": "event"},
        "observer": {"vendor": "Sophos", "product": "XG", "type": "firewall"},
        "sophos": {"xg": raw},
    }
    _observer(doc["observer"], raw)
    if moment := _timestamp(raw, zone):
        doc["@timestamp"] = isoformat(moment)
    if len(log_id) == 12 and log_id.isdigit() and (severity := int(log_id[6])) < len(_SEVERITIES):
        doc["event"]["severity"] = severity
        doc["log"] = {"level": _SEVERITIES[severity]}
    if (duration := int_or_none(raw.get("duration"))) is not None:
        doc["event"]["duration"] = duration * 1_000_000_000  # seconds; ECS counts nanoseconds
    for side, *keys in _ENDPOINTS:
        if endpoint := _endpoint(raw, *keys):
            doc[side] = endpoint
    _network(doc, raw)
    _user(doc, raw)
    _content(doc, raw)
    if text := raw.get("message"):
        doc["message"] = text
    _categorize(doc, raw, log_type)
    return doc


def _observer(observer: dict[str, object], raw: dict[str, str]) -> None:
    if serial := raw.get("device_id") or raw.get("device_serial_id"):
        observer["serial_number"] = serial
    if name := raw.get("device_name"):
        observer["name"] = name
    for side, interface, old_zone, new_zone in _SIDES:
        found: dict[str, object] = {}
        if name := raw.get(interface):
            found["interface"] = {"name": name}
        if zone_name := raw.get(old_zone) or raw.get(new_zone):
            found["zone"] = zone_name
        if found:
            observer[side] = found


def _timestamp(raw: dict[str, str], zone: tzinfo) -> datetime | None:
    """19.5's `timestamp` (`2024-03-05T10:00:00+0700`); else `date`, `time` and `timezone`: an
    offset (`+07`, `+05:30`), `UTC`/`GMT`, or an abbreviation read in the sender's `zone`.

    19.0 writes a `timestamp` too in some event logs (SSL VPN connections, firewall logouts):
    epoch seconds, exact, beside `date`/`time`."""
    stamp = raw.get("timestamp", "")
    if stamp.isdigit() and stamp.isascii() and len(stamp) <= _EPOCH_DIGITS:
        return datetime.fromtimestamp(int(stamp), UTC)
    with contextlib.suppress(ValueError):
        if stamp:
            return datetime.fromisoformat(stamp)
        if "date" in raw and "time" in raw:
            moment = datetime.fromisoformat(f"{raw['date']}T{raw['time']}")
            if moment.tzinfo is not None:
                return moment
            return moment.replace(tzinfo=_offset(raw.get("timezone", "")) or zone)
    return None


def _offset(name: str) -> tzinfo | None:
    if name in ("UTC", "GMT", "Z"):
        return UTC
    sign = {"+": 1, "-": -1}.get(name[:1])
    digits = name[1:].replace(":", "")
    if sign is None or not digits.isdigit() or len(digits) not in (2, 4):
        return None
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _endpoint(
    raw: dict[str, str],
    ip_keys: tuple[str, ...],
    port_keys: tuple[str, ...],
    byte_keys: tuple[str, ...],
    packet_keys: tuple[str, ...],
    nat_ip_keys: tuple[str, ...],
    nat_port_keys: tuple[str, ...],
    mac_key: str,
) -> dict[str, object]:
    endpoint: dict[str, object] = {}
    if ip := _first_ip(raw, ip_keys):
        endpoint["ip"] = ip
    for name, keys in (("port", port_keys), ("bytes", byte_keys), ("packets", packet_keys)):
        for key in keys:
            if (number := int_or_none(raw.get(key, "").strip())) is not None:
                endpoint[name] = number
                break
    if mac := mac_or_none(raw.get(mac_key)):
        endpoint["mac"] = mac
    nat: dict[str, object] = {}
    if nat_ip := _first_ip(raw, nat_ip_keys):
        nat["ip"] = nat_ip
    if nat_port := next((p for k in nat_port_keys if (p := int_or_none(raw.get(k)))), None):
        nat["port"] = nat_port
    if nat:
        endpoint["nat"] = nat
    return endpoint


def _first_ip(raw: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if (ip := ip_or_none(raw.get(key))) and ip not in ("0.0.0.0", "::"):
            return ip
    return None


def _network(doc: Event, raw: dict[str, str]) -> None:
    network: dict[str, str] = {}
    if protocol := raw.get("protocol"):
        if protocol.isdigit():
            network["iana_number"] = protocol
            if protocol in IANA_TRANSPORTS:
                network["transport"] = IANA_TRANSPORTS[protocol]
        else:
            network["transport"] = protocol.lower()
    if application := raw.get("application") or raw.get("app_name"):
        network["application"] = application.lower()
    inside = (raw.get("srczonetype") or raw.get("src_zone_type"),
              raw.get("dstzonetype") or raw.get("dst_zone_type"))  # fmt: skip
    if direction := _direction(*inside):
        network["direction"] = direction
    if network:
        doc["network"] = network


def _direction(source_zone: str | None, destination_zone: str | None) -> str | None:
    source_in, destination_in = source_zone in _INSIDE, destination_zone in _INSIDE
    if source_zone == "WAN":
        return "inbound" if destination_in else "external" if destination_zone == "WAN" else None
    if source_in:
        return "internal" if destination_in else "outbound" if destination_zone == "WAN" else None
    return None


def _user(doc: Event, raw: dict[str, str]) -> None:
    """`user_name` is who the firewall identified; Event logs of a login name the one who tried
    in `user_name` or `name`, ATP the endpoint's logged-in user in `login_user`, web content
    (DLP) policy logs the user in `user`."""
    name = raw.get("user_name") or raw.get("name") or raw.get("login_user") or raw.get("user")
    if not name:
        return
    user: dict[str, object] = {"name": name}
    if group := raw.get("user_gp") or raw.get("user_group") or raw.get("usergroupname"):
        user["group"] = {"name": group}
    doc["user"] = user


def _content(doc: Event, raw: dict[str, str]) -> None:
    """Rules, URLs, HTTP, files and mail, by the keys each log type carries."""
    rule: dict[str, str] = {}
    if raw.get("signature_id"):  # IPS: the signature is the rule that fired
        rule["id"] = raw["signature_id"]
        for name, key in (("name", "signature_msg"), ("category", "classification")):
            if raw.get(key):
                rule[name] = raw[key]
    else:
        for name, key in (("id", "fw_rule_id"), ("name", "fw_rule_name")):
            if raw.get(key):
                rule[name] = raw[key]
        if raw.get("category"):  # a web category (Content Filtering)
            rule["category"] = raw["category"]
    if raw.get("policy_type"):
        rule["ruleset"] = raw["policy_type"]
    if rule:
        doc["rule"] = rule
    if url := raw.get("url"):
        _url(doc, url, raw.get("domain"))
    elif domain := raw.get("domain"):
        doc["url"] = {"domain": domain}
    http: dict[str, object] = {}
    if referrer := raw.get("referer"):
        http["request"] = {"referrer": referrer}
    status = raw.get("status_code") or raw.get("httpresponsecode") or raw.get("http_status")
    response: dict[str, object] = {}
    if (code := int_or_none(status)) is not None:
        response["status_code"] = code
    if mime := raw.get("contenttype") or raw.get("content_type"):
        response["mime_type"] = mime
    if response:
        http["response"] = response
    if http:
        doc["http"] = http
    if agent := raw.get("user_agent") or raw.get("useragent"):
        doc["user_agent"] = {"original": agent}
    file: dict[str, object] = {}
    if name := next((raw[k].strip() for k in _FILE_NAMES if k in raw), None):
        # FTP scanning names the file by its path on the server (`/home/ftp-user/report.pdf`)
        if "/" in name:
            file["path"] = name
            name = name.rsplit("/", 1)[1]
        if name:
            file["name"] = name
    if (size := int_or_none(raw.get("filesize") or raw.get("file_size"))) is not None:
        file["size"] = size
    if digest := raw.get("sha1sum") or raw.get("sha1"):
        file["hash"] = {"sha1": digest}
    if file:
        doc["file"] = file
    email: dict[str, object] = {}
    if sender := raw.get("from_email_address") or raw.get("sender"):
        email["from"] = {"address": [sender]}
    if recipient := raw.get("to_email_address") or raw.get("recipient"):
        email["to"] = {"address": [a.strip() for a in recipient.split(",") if a.strip()]}
    if subject := raw.get("subject") or raw.get("email_subject"):
        email["subject"] = subject
    if email:
        doc["email"] = email


def _url(doc: Event, url: str, domain: str | None) -> None:
    """ATP's DNS logs name the looked-up host in `url`; the others a whole URL (or a host)."""
    found: dict[str, str] = {"original": url}
    if "://" in url:
        try:
            parts = urlsplit(url)
        except ValueError:  # a malformed host ("http://[x/"): the URL stays whole
            parts = None
        if parts is not None:
            found.update((k, v) for k, v in (("scheme", parts.scheme), ("path", parts.path),
                                             ("query", parts.query)) if v)  # fmt: skip
            if parts.hostname:
                found["domain"] = parts.hostname
    if domain:
        found["domain"] = domain
    doc["url"] = found


def _categorize(doc: Event, raw: dict[str, str], log_type: str) -> None:
    event = doc["event"]
    subtype = raw.get("log_subtype", "")
    status = raw.get("status", "").lower()
    if subtype:
        event["action"] = subtype.lower()
    verdict = status if status in _SUCCESS or status in _FAILURE else subtype.lower()
    if verdict in _FAILURE:
        event["outcome"] = "failure"
    elif verdict in _SUCCESS:
        event["outcome"] = "success"
    denied = verdict in _DENIED
    if log_type == "Firewall":
        event["category"] = ["network"]
        types = ["connection"]
        connection = raw.get("connevent") or raw.get("con_event")
        if connection in ("Start", "Interim"):
            types.append("start")
        elif connection == "Stop":
            types.append("end")
        types.append("denied" if denied else "allowed")
        event["type"] = types
    elif log_type in ("IDP", "ATP"):
        event["kind"] = "alert"
        event["category"] = ["intrusion_detection", "network"]
        event["type"] = ["connection", "denied" if denied else "allowed"]
        if log_type == "ATP" and raw.get("log_component") == "DNS" and "url" in raw:
            doc["dns"] = {"question": {"name": raw["url"]}}
    elif log_type in ("Anti-Virus", "Sandbox"):
        event["category"] = ["malware"]
        if subtype in ("Virus", "PUA") or (log_type == "Sandbox" and subtype == "Denied"):
            event["kind"] = "alert"
            event["type"] = ["info", "denied"]
        else:
            event["type"] = ["info"]
    elif log_type in ("Content Filtering", "WAF"):
        event["category"] = ["web", "network"]
        event["type"] = ["access", "denied" if denied else "allowed"]
        if log_type == "WAF" and denied:
            event["kind"] = "alert"
            event["category"].append("intrusion_detection")
    elif log_type == "Anti-Spam":
        event["category"] = ["email"]
        event["type"] = ["info"]
    elif log_type == "Event":
        _event_log(doc, raw, subtype)


def _event_log(doc: Event, raw: dict[str, str], subtype: str) -> None:
    """A login (admin console, user portal, firewall authentication, VPN client) is
    authentication; other admin events are configuration; VPN tunnels are connections."""
    event = doc["event"]
    text = raw.get("message", "").lower()
    component = raw.get("log_component", "")
    vpn = component in _VPN_COMPONENTS or raw.get("auth_client") in _VPN_CLIENTS
    login = subtype == "Authentication" or (
        subtype == "Admin" and ("login" in text or "logged in" in text or "logged out" in text)
    )
    if login:
        event["category"] = ["authentication", "network"] if vpn else ["authentication"]
        if "logged out" in text or "logout" in text:
            event["type"] = ["end"]
        elif event.get("outcome") == "failure":
            event["type"] = ["info"]
        else:
            event["type"] = ["start"]
    elif subtype == "Admin":
        event["category"] = ["configuration"]
        event["type"] = ["change"]
    elif vpn:
        event["category"] = ["network"]
        state = raw.get("status", "")
        event["type"] = ["connection"] + (
            ["start"] if state in ("Established", "Connected")
            else ["end"] if state in ("Terminated", "Disconnected")
            else []
        )  # fmt: skip
    if vpn and (peer := ip_or_none(raw.get("remoteinterfaceip"))):
        doc.setdefault("source", {}).setdefault("ip", peer)
    if vpn and (local := ip_or_none(raw.get("localinterfaceip"))):
        doc.setdefault("destination", {}).setdefault("ip", local)
