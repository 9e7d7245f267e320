"""FortiGate key=value logs (traffic, UTM, event) to ECS, after Elastic's Fortinet module.

Every raw key is kept under `fortinet.firewall.*` so an analyst can search on FortiGate's own
names; the fields rules correlate on (addresses, ports, action, policy) also get their ECS names.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime

from collectors.parsers.values import int_or_none, ip_or_none
from soc.model.event import Event, isoformat

DATASET = "fortinet.firewall"
_PAIR = re.compile(r"(?:^|(?<=\s))([A-Za-z_][\w-]*)=(\"(?:[^\"\\]|\\.)*\"|[^\s\"]*)", re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)
_TRANSPORTS = {"1": "icmp", "2": "igmp", "6": "tcp", "17": "udp", "47": "gre", "50": "esp",
               "51": "ah", "58": "ipv6-icmp", "89": "ospf", "132": "sctp"}  # fmt: skip
_FAILURE = {"deny", "block", "blocked", "dropped", "drop", "reset", "server-rst", "client-rst"}
_SUCCESS = {"accept", "allow", "allowed", "pass", "passthrough", "close", "timeout", "start",
            "ip-conn", "dns", "login"}  # fmt: skip
_ENDPOINTS = (
    ("source", "srcip", "srcport", "sentbyte", "sentpkt"),
    ("destination", "dstip", "dstport", "rcvdbyte", "rcvdpkt"),
)
_EPOCH_DIGITS = ((18, 1_000_000_000), (15, 1_000_000), (12, 1_000), (0, 1))


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a FortiGate log line; None when the line is not one.

    A FortiGate line is recognised by its `devname=` and `logid=` keys, wherever the syslog
    header put the content.
    """
    if "devname=" not in message or "logid=" not in message:
        return None
    raw = {key: _unquote(value) for key, value in _PAIR.findall(message)}
    if not raw.get("devname") or not raw.get("logid"):
        return None
    doc: Event = {
        "event": {"module": "fortinet", "dataset": DATASET, "code": raw["logid"]},
        "observer": {"vendor": "Fortinet", "product": "FortiGate", "name": raw["devname"]},
        "fortinet": {"firewall": raw},
    }
    if raw.get("devid"):
        doc["observer"]["serial_number"] = raw["devid"]
    if moment := _timestamp(raw):
        doc["@timestamp"] = isoformat(moment)
    _action(doc, raw)
    for side, *keys in _ENDPOINTS:
        if endpoint := _endpoint(raw, *keys):
            doc[side] = endpoint
    if (proto := int_or_none(raw.get("proto"))) is not None:
        doc["network"] = {"iana_number": str(proto)}
        if str(proto) in _TRANSPORTS:
            doc["network"]["transport"] = _TRANSPORTS[str(proto)]
    rule = {k: raw[r] for k, r in (("id", "policyid"), ("name", "policyname")) if raw.get(r)}
    if rule:
        doc["rule"] = rule
    if raw.get("user"):
        doc["user"] = {"name": raw["user"]}
    return doc


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _ESCAPE.sub(r"\1", value[1:-1])
    return value


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
    event = doc["event"]
    if raw.get("type") == "traffic":
        event["category"] = ["network"]
    action = raw.get("action")
    if not action:
        return
    event["action"] = action
    if action in _FAILURE:
        event["outcome"] = "failure"
    elif action in _SUCCESS:
        event["outcome"] = "success"
    else:
        event["outcome"] = "unknown"


def _endpoint(raw: dict[str, str], ip_key: str, *number_keys: str) -> dict[str, str | int]:
    endpoint: dict[str, str | int] = {}
    if ip := ip_or_none(raw.get(ip_key)):
        endpoint["ip"] = ip
    for ecs_name, key in zip(("port", "bytes", "packets"), number_keys, strict=True):
        if (number := int_or_none(raw.get(key))) is not None:
            endpoint[ecs_name] = number
    return endpoint
