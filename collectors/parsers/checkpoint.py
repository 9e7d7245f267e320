"""Check Point gateway and management logs sent by Log Exporter (`cp_log_export`) to ECS
(`event.dataset: checkpoint.firewall`), after Elastic's `checkpoint` integration, `firewall`
data stream.

Log Exporter writes three shapes this module reads:

- `syslog` format (R80, and R81 by default): RFC 5424 with APP-NAME `CheckPoint` and the fields
  in one bracket that is not RFC 5424 structured data, `[action:"Accept"; src:"10.1.1.2"; ...]`,
  so the header parser leaves it in the message. Older exporters write the header clock as
  `2018-03-21 17:25:25` (a space, no zone), which the RFC 5424 header reader accepts too.
- R81's structured form: `CP-GW - Log [Fields@1.3.6.1.4.1.2620 src="..." ICMP Type="8" ...]`.
  Keys may hold spaces, which RFC 5424 forbids in a PARAM-NAME: when the header could not read
  the element it is left in the message, and its parameters are read from that text.
- `splunk` format: `time=1557767758|hostname=gw|product=Firewall|action=Accept|src=...|`
  (`\\|`, `\\=` and `\\\\` escaped), with or without a syslog header.

Values are quoted with `\\"`, `\\]` and `\\\\` escaped (`policy_name=Standard\\]`). Every field is
kept under `checkpoint.*` with the name as sent (spaces become `_`: `ICMP_Type`), empty values
left out. Deliberate differences from Elastic's pipeline: a Drop/Reject/Block/Prevent has
`event.outcome: failure` (as this platform's other firewalls, not `success`); `origin`, the
gateway's address, goes to `observer.name` only, since `observer.ip` is the transport's (the
sending address); R81's `svc`/`sport_svc`/`xlate*_svc` fill the ports the older keys do; the
threat-prevention `protection_name` names the rule when no other rule name is given; `loguid`
stays `checkpoint.loguid`, not `event.id`, which is this platform's own (`soc.model.event.stamp`,
idempotent writes): a connection's logs share one `loguid`, and each must stay an event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from collectors.parsers.values import (
    IANA_TRANSPORTS,
    StructuredData,
    int_or_none,
    ip_or_none,
    mac_or_none,
)
from soc.model.event import Event, isoformat

DATASET = "checkpoint.firewall"
PROGRAMS = frozenset({"checkpoint", "cp-gw"})
"""Log Exporter's syslog tags (lower case, see `program_name`)."""
SD_ID = "Fields@1.3.6.1.4.1.2620"
"""R81's structured-data element (2620 is Check Point's private enterprise number)."""
_LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z: a later `time` is not a clock

# `key:"value"` (syslog format, `; ` between) or `key="value"` (R81, a space between). A key is at
# most four words of bounded length and a value is unrolled (runs of plain characters, then one
# escape), so a hostile line costs a bounded amount per character: no backtracking over it.
_PARAM = re.compile(
    r'([A-Za-z_][\w.-]{0,63}(?: [A-Za-z_][\w.-]{0,63}){0,3})(?::{1,2}|=)"([^"\\]*(?:\\.[^"\\]*)*)"',
    re.S,
)
_SPLUNK_PARAM = re.compile(r"([^|=\\]{1,64})=([^|\\]*(?:\\.[^|\\]*)*)(?:\||$)", re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)
_LEGACY_MARK = re.compile(r'\[[A-Za-z_][\w.-]{0,63}:{1,2}"')
DENIED = frozenset({"Drop", "Reject", "Block", "Prevent"})
ALLOWED = frozenset({"Accept", "Allow"})
"""Rule actions that pass or stop a connection (the CEF parser reads them too)."""
_ALERTS = frozenset({"Prevent", "Detect", "Quarantine"})
# A management server's audit log of an administrator's session (SmartConsole, the web API,
# Expert shell): its `action` (`Accept`, or none) is no connection's verdict.
_SESSIONS = {"Log In": ("start", "logged-in"), "Log Out": ("end", "logged-out")}

# ECS field path -> the keys that fill it, first present wins (the pipeline's renames and their
# `if: ... == null` fallbacks).
_Mapping = tuple[tuple[str, ...], tuple[str, ...]]
_Field = tuple[tuple[str, ...], int, Callable[[str], object]]
_TEXT: tuple[_Mapping, ...] = (
    (("source", "domain"), ("src_machine_name",)),
    (("destination", "domain"), ("destination_dns_hostname", "dst_machine_name")),
    (("source", "user", "id"), ("uid",)),
    (("source", "user", "name"), ("administrator", "source_user_name", "src_user_name")),
    (("source", "user", "group", "name"), ("src_user_group",)),
    (("destination", "user", "name"), ("dst_user_name",)),
    (("destination", "user", "id"), ("usercheck_incident_uid",)),
    (("destination", "service", "name"), ("service_name",)),
    (("user", "name"), ("user",)),
    (("network", "application"), ("service_id", "app_name")),
    (("network", "direction"), ("ifdir",)),
    (("network", "name"), ("layer_name",)),
    (("observer", "product"), ("product",)),
    (("observer", "name"), ("origin",)),
    (("observer", "version"), ("update_version",)),
    (("observer", "ingress", "zone"), ("inzone", "security_inzone")),
    (("observer", "egress", "zone"), ("outzone", "security_outzone")),
    (("observer", "ingress", "interface", "name"), ("client_inbound_interface",)),
    (("observer", "egress", "interface", "name"), ("client_outbound_interface",)),
    (("rule", "name"), ("objectname", "rule_name", "malware_rule_name", "app_rule_name",
                        "dlp_rule_name", "protection_name")),
    (("rule", "id"), ("malware_rule_id", "app_rule_id")),
    (("rule", "uuid"), ("rule_uid", "dlp_rule_uid")),
    (("rule", "ruleset"), ("smartdefense_profile", "policy")),
    (("rule", "category"), ("matched_category", "categories")),
    (("rule", "description"), ("malware_action",)),
    (("url", "original"), ("url", "resource")),
    (("url", "domain"), ("http_host",)),
    (("http", "request", "method"), ("method",)),
    (("http", "request", "referrer"), ("referrer",)),
    (("user_agent", "original"), ("user_agent",)),
    (("user_agent", "name"), ("web_client_type",)),
    (("file", "name"), ("file_name", "dlp_file_name")),
    (("file", "type"), ("file_type",)),
    (("file", "hash", "md5"), ("file_md5",)),
    (("file", "hash", "sha1"), ("file_sha1",)),
    (("file", "hash", "sha256"), ("file_sha256",)),
    (("process", "name"), ("process_name",)),
    (("vulnerability", "id"), ("industry_reference",)),
    (("message",), ("message", "sys_message", "reason", "subject")),
)  # fmt: skip
_NUMBERS = (
    (("source", "port"), ("s_port", "sport_svc")),
    (("destination", "port"), ("service", "svc")),
    (("source", "bytes"), ("client_outbound_bytes", "sent_byte", "sent_bytes")),
    (("destination", "bytes"), ("server_outbound_bytes", "received_bytes")),
    (("source", "packets"), ("client_outbound_packets",)),
    (("destination", "packets"), ("server_outbound_packets",)),
    (("network", "bytes"), ("bytes",)),
    (("network", "packets"), ("packets",)),
    (("event", "sequence"), ("sequencenum",)),
    (("event", "severity"), ("severity",)),
    (("file", "size"), ("file_size",)),
)
_ADDRESSES = (
    (("source", "ip"), ("src", "client_ip")),
    (("destination", "ip"), ("dst",)),
    (("source", "nat", "ip"), ("xlatesrc",)),
    (("destination", "nat", "ip"), ("xlatedst",)),
)
_MACS = (
    (("source", "mac"), ("mac_source_address",)),
    (("destination", "mac"), ("mac_destination_address",)),
    (("observer", "mac"), ("mac_address",)),
)


def _translated_port(value: str) -> int | None:
    return None if value == "0" else int_or_none(value)


def _address(value: str) -> str | None:
    ip = ip_or_none(value)
    return None if ip == "0.0.0.0" else ip


def _index(*tables: tuple[Callable[[str], object], Sequence[_Mapping]]) -> dict[str, _Field]:
    """Key -> (ECS path, rank among the keys for that path, conversion): one dict lookup per
    field of the line; walking every mapping instead was half the time of building the event."""
    fields: dict[str, _Field] = {}
    for convert, table in tables:
        for path, keys in table:
            for rank, key in enumerate(keys):
                fields[key] = (path, rank, convert)
    return fields


_FIELDS = _index(
    (str, _TEXT),
    (int_or_none, _NUMBERS),
    (_address, _ADDRESSES),
    (mac_or_none, _MACS),
    (_translated_port, ((("source", "nat", "port"), ("xlatesport", "xlatesport_svc")),
                        (("destination", "nat", "port"), ("xlatedport", "xlatedport_svc")))),
)  # fmt: skip


def parse(
    message: str,
    *,
    program: str | None = None,
    pid: str | None = None,
    structured_data: StructuredData | None = None,
) -> Event | None:
    """ECS fields for a Log Exporter line; None when the line is none of its formats.

    `structured_data` is the RFC 5424 header's: R81's `Fields@...` element when the header could
    read it. Otherwise the fields are read from the message, wherever the bracket starts (a
    relay may have put a header of its own before it).
    """
    params = _sd_params(structured_data) if structured_data else None
    if params is None:
        params = _text_params(message)
    if not params:
        return None
    return _event(params)


def _sd_params(structured_data: StructuredData) -> dict[str, str] | None:
    element = structured_data.get(SD_ID)
    if element is None:
        return None
    params: dict[str, str] = {}
    for key, value in element.items():  # a repeated name is a list: keep the first, as in text
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, str) and first:
            params[_name(key)] = first
    return params


def _text_params(message: str) -> dict[str, str] | None:
    """The fields of whichever format the message holds; None when it holds none."""
    if (at := message.find("[" + SD_ID)) >= 0:
        return _quoted(message[at + len(SD_ID) + 1 :])
    if (mark := _LEGACY_MARK.search(message)) is not None:
        return _quoted(message[mark.start() + 1 :])
    text = message.lstrip()
    if text.startswith("time=") and "|" in text:
        return {_name(key): _unescape(value) for key, value in _SPLUNK_PARAM.findall(text) if value}
    return None


def _quoted(text: str) -> dict[str, str]:
    """`key:"value"` or `key="value"` pairs; the first of a repeated key is kept (exporters
    repeat a few, such as `smartdefense_profile`, with the same value)."""
    params: dict[str, str] = {}
    for key, value in _PARAM.findall(text):
        if value:
            params.setdefault(_name(key), _unescape(value))
    return params


def _name(key: str) -> str:
    return key.replace(" ", "_")


def _unescape(value: str) -> str:
    return _ESCAPE.sub(r"\1", value) if "\\" in value else value


def _put(doc: dict, path: tuple[str, ...], value: object) -> None:
    for part in path[:-1]:
        doc = doc.setdefault(part, {})
    doc.setdefault(path[-1], value)


def _event(params: dict[str, str]) -> Event:
    event: dict[str, object] = {"module": "checkpoint", "dataset": DATASET, "kind": "event"}
    doc: Event = {
        "event": event,
        "observer": {"vendor": "Checkpoint", "type": "firewall"},
        "checkpoint": params,
    }
    chosen: dict[tuple[str, ...], tuple[int, object]] = {}
    for key, raw in params.items():
        if (field := _FIELDS.get(key)) is None:
            continue
        path, rank, convert = field
        if (value := convert(raw)) is not None and (path not in chosen or rank < chosen[path][0]):
            chosen[path] = (rank, value)
    for path, (_, value) in chosen.items():
        _put(doc, path, value)
    _interface(doc, params)
    _network(doc, params)
    _classify(doc, event, params)
    # Who logged in or changed the policy; for a user's log-in (Mobile Access, Identity
    # Awareness), the source's user: what brute-force and spraying rules count by.
    name = params.get("administrator")
    if not name and "authentication" in event["category"]:
        name = doc.get("source", {}).get("user", {}).get("name")
    if name and "user" not in doc:
        doc["user"] = {"name": name}
    _related(doc)
    if (seconds := int_or_none(params.get("time"))) is not None and seconds <= _LAST_SECOND:
        doc["@timestamp"] = isoformat(datetime.fromtimestamp(seconds, UTC))
    return doc


def _interface(doc: Event, params: dict[str, str]) -> None:
    """`ifname` is the interface the packet crossed, in the direction `ifdir` names."""
    name, direction = params.get("ifname"), params.get("ifdir")
    if name and direction in ("inbound", "outbound"):
        way = "ingress" if direction == "inbound" else "egress"
        _put(doc, ("observer", way, "interface", "name"), name)


def _network(doc: Event, params: dict[str, str]) -> None:
    if (number := int_or_none(params.get("proto"))) is not None:
        network = doc.setdefault("network", {})
        network["iana_number"] = str(number)
        if transport := IANA_TRANSPORTS.get(str(number)):
            network["transport"] = transport
    for name in ("bytes", "packets"):
        counts = [doc.get(side, {}).get(name) for side in ("source", "destination")]
        if None not in counts:
            doc.setdefault("network", {}).setdefault(name, counts[0] + counts[1])


def _classify(doc: Event, event: dict[str, object], params: dict[str, str]) -> None:
    """Category, type, kind and outcome from the rule's action (the connection's `action` when
    the log names no rule action), a log-in's action, and the threat blades' fields."""
    if (session := _SESSIONS.get(params.get("operation", ""))) is not None:
        _session(event, params, *session)
        return
    action = params.get("action", "")
    verdict = params.get("rule_action") or action
    categories = ["network"]
    types: list[str] = []
    if verdict in ALLOWED:
        types, event["outcome"] = ["allowed", "connection"], "success"
    elif verdict in DENIED:
        types, event["outcome"] = ["connection", "denied"], "failure"
    if verdict in _ALERTS:
        event["kind"] = "alert"
    if "malware_action" in params:
        categories.append("malware")
    if verdict in ("Detect", "Prevent"):
        categories.append("intrusion_detection")
    if action in ("Log In", "Failed Log In"):
        success = action == "Log In"
        categories.append("authentication")
        types.append("allowed" if success else "denied")
        event["outcome"] = "success" if success else "failure"
        action = "logged-in" if success else "logon-failed"
    if (status := params.get("audit_status")) in ("Success", "Failure"):
        event["outcome"] = status.lower()
    event["category"] = list(dict.fromkeys(categories))
    if types:
        event["type"] = list(dict.fromkeys(types))
    if action:
        event["action"] = action.lower()


def _session(event: dict[str, object], params: dict[str, str], kind: str, done: str) -> None:
    failed = params.get("audit_status") == "Failure"
    event.update(category=["authentication"], type=[kind], outcome="failure" if failed else
                 "success", action="logon-failed" if failed else done)  # fmt: skip
    # `Administrator failed to log in: Wrong Password`
    if failed and (reason := params.get("additional_info", "").partition(": ")[2].strip()):
        event["reason"] = reason


def _related(doc: Event) -> None:
    related: dict[str, list[str]] = {"ip": [], "hash": [], "user": []}
    for side in ("source", "destination"):
        endpoint = doc.get(side, {})
        related["ip"] += filter(None, (endpoint.get("ip"), endpoint.get("nat", {}).get("ip")))
        if user := endpoint.get("user", {}).get("name"):
            related["user"].append(user)
    related["hash"] += doc.get("file", {}).get("hash", {}).values()
    if related := {k: list(dict.fromkeys(v)) for k, v in related.items() if v}:
        doc["related"] = related
