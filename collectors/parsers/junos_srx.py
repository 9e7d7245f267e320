"""Juniper SRX security logs (RT_FLOW, RT_IDS, RT_IDP, RT_UTM, RT_AAMW, RT_SECINTEL) to ECS
(`event.dataset: juniper.srx`), after Elastic's Filebeat `juniper` module, `srx` fileset.

An SRX sends them in two modes. Structured (`set security log format sd-syslog`): RFC 5424 with
the process (`RT_FLOW`) as APP-NAME, the event tag as MSGID and every field as a parameter of
the `junos@2636...` SD element; relays that rewrite the header leave the same text in the
message (`RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636... source-address="..." ...]`), which is
read too. Stream mode (the default) writes the fields by position (`RT_FLOW_SESSION_CREATE:
session created 10.1.1.2/52000->8.8.8.8/53 0x0 junos-dns-udp ...`): the session create, close
and deny messages and the screens' attack reports are read by position into the same
parameter names, so both modes give the same event.

Every parameter is kept under `juniper.srx.*` with Filebeat's names (`source-zone-name` ->
`source_zone_name`), except the placeholders the SRX writes for "none" (`N/A`, `UNKNOWN`,
`None`, `-`); addresses, ports, NAT, zones, interfaces, policy, user and application also get
their ECS names, and `event.category`/`type`/`action` follow the tag as Filebeat sets them.
"""

from __future__ import annotations

import re
from typing import Any

from collectors.parsers.values import (
    IANA_TRANSPORTS,
    StructuredData,
    int_or_none,
    ip_or_none,
    program_name,
)
from soc.model.event import Event

DATASET = "juniper.srx"
PROGRAMS = frozenset({"rt_flow", "rt_ids", "rt_idp", "rt_utm", "rt_screen", "rt_aamw",
                      "rt_secintel"})  # fmt: skip
"""The SRX processes' syslog tags (lower case, see `program_name`)."""
SD_ID = "junos@"
_EMPTY = frozenset({"N/A", "UNKNOWN", "None", "-", ""})
_NO_NAT = frozenset({None, "0.0.0.0", "::"})
_TAG = re.compile(r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?::\s*|\s+(?=\[)|\s*$)")
# A parameter in SD text: quotes straight or typographic (some SRX releases write `”`), RFC 5424
# escapes inside straight quotes; one step per run of plain characters, so no backtracking.
_PARAM = re.compile(r'([a-z0-9][a-z0-9_-]*)=(?:"([^"\\]*(?:\\.[^"\\]*)*)"|[“”]([^“”"]*)[“”"])')
_ESCAPE = re.compile(r"\\(.)", re.S)

# Stream mode, by position (Juniper's system log reference; older releases lack the connection
# tags and NAT rule types). Tokens are separated by single spaces and none may hold one, so a
# failed match backtracks over a fixed number of optional tokens, never over characters.
_ADDR = r"[0-9A-Fa-f.:]{1,45}"
_USER = r"(?P<username>[^\s(]*)\((?P<roles>[^)\s]*)\)"
_TUPLE = (
    rf"(?P<source_address>{_ADDR})/(?P<source_port>\d+)->(?P<destination_address>{_ADDR})"
    rf"/(?P<destination_port>\d+)(?: (?P<connection_tag>0x[0-9a-f]+))? (?P<service_name>\S+)"
)
_NAT = (
    rf" (?P<nat_source_address>{_ADDR})/(?P<nat_source_port>\d+)->(?P<nat_destination_address>"
    rf"{_ADDR})/(?P<nat_destination_port>\d+)(?: (?P<nat_connection_tag>0x[0-9a-f]+))?"
    r" (?:(?P<src_nat_rule_type>N/A|\w+ rule) )?(?P<src_nat_rule_name>\S+)"
    r" (?:(?P<dst_nat_rule_type>N/A|\w+ rule) )?(?P<dst_nat_rule_name>\S+)"
    r" (?P<protocol_id>\d+) (?P<policy_name>\S+) (?P<source_zone_name>\S+)"
    r" (?P<destination_zone_name>\S+) (?P<session_id_32>\d+)"
)
_STREAM = {
    "RT_FLOW_SESSION_CREATE": re.compile(
        rf"session created {_TUPLE}{_NAT}(?: {_USER} (?P<packet_incoming_interface>\S+)"
        r"(?: (?P<application>\S+) (?P<nested_application>\S+) (?P<encrypted>\S+))?)?"
    ),
    "RT_FLOW_SESSION_CLOSE": re.compile(
        rf"session closed (?P<reason>[^:]{{1,80}}): {_TUPLE}{_NAT}"
        r" (?P<packets_from_client>\d+)\((?P<bytes_from_client>\d+)\)"
        r" (?P<packets_from_server>\d+)\((?P<bytes_from_server>\d+)\) (?P<elapsed_time>\d+)"
        rf"(?: (?P<application>\S+) (?P<nested_application>\S+) {_USER}"
        r" (?P<packet_incoming_interface>\S+)(?: (?P<encrypted>\S+))?)?"
    ),
    "RT_FLOW_SESSION_DENY": re.compile(
        rf"session denied {_TUPLE} (?P<protocol_id>\d+)\((?P<icmp_type>\d+)\) (?P<policy_name>\S+)"
        r" (?P<source_zone_name>\S+) (?P<destination_zone_name>\S+)"
        rf"(?: (?P<application>\S+) (?P<nested_application>\S+) {_USER}"
        r" (?P<packet_incoming_interface>\S+)(?: (?P<encrypted>\S+)"
        r"(?: (?P<reason>[A-Za-z][A-Za-z ]{0,80}?)(?= \d|$)(?: (?P<session_id_32>\d+))?)?)?)?"
    ),
}
# `RT_SCREEN_TCP: SYN flood! source: 10.1.1.1:4000, destination: 10.2.2.2:80, zone name: untrust,
# interface name: ge-0/0/1.0, action: drop` (ports only for TCP and UDP screens)
_SCREEN = re.compile(
    rf"(?P<attack_name>[^!]{{1,80}}!) (?:source: (?P<source_address>{_ADDR}?)"
    r"(?::(?P<source_port>\d+))?, )?(?:destination: "
    rf"(?P<destination_address>{_ADDR}?)(?::(?P<destination_port>\d+))?, )?"
    r"zone name: (?P<source_zone_name>[^,]{1,64}), interface name: (?P<interface_name>[^,]{1,64})"
    r", action: (?P<action>\S+)"
)

# ECS side -> (address keys, port key, bytes keys, packets keys, NAT address key, NAT port key);
# RT_IDP counts bytes as `outbound` (from the client) and `inbound`.
_SIDES = (
    ("source", ("source_address", "sourceip", "client_ip"), "source_port",
     ("bytes_from_client", "outbound_bytes"), ("packets_from_client", "outbound_packets"),
     "nat_source_address", "nat_source_port"),
    ("destination", ("destination_address",), "destination_port",
     ("bytes_from_server", "inbound_bytes"), ("packets_from_server", "inbound_packets"),
     "nat_destination_address", "nat_destination_port"),
)  # fmt: skip
_OBSERVER = (
    ("source_zone_name", "ingress", "zone"), ("source_zone", "ingress", "zone"),
    ("destination_zone_name", "egress", "zone"), ("destination_zone", "egress", "zone"),
    ("packet_incoming_interface", "ingress", "interface"),
    ("source_interface_name", "ingress", "interface"),
    ("interface_name", "ingress", "interface"),
    ("destination_interface_name", "egress", "interface"),
)  # fmt: skip
_SCREEN_ALERTS = frozenset({"RT_SCREEN_TCP", "RT_SCREEN_UDP", "RT_SCREEN_ICMP", "RT_SCREEN_IP",
                            "RT_SCREEN_TCP_DST_IP", "RT_SCREEN_TCP_SRC_IP"})  # fmt: skip
_SCREEN_ACTIONS = {
    "ICMP flood!": "flood_detected", "UDP flood!": "flood_detected", "SYN flood!": "flood_detected",
    "SYN flood Src-IP based!": "flood_detected", "SYN flood Dst-IP based!": "flood_detected",
    "TCP port scan!": "scan_detected", "TCP sweep!": "sweep_detected",
    "IP sweep!": "sweep_detected", "UDP sweep!": "sweep_detected",
    "Address sweep!": "sweep_detected", "ICMP fragment!": "fragment_detected",
    "SYN fragment!": "fragment_detected", "IP spoofing!": "spoofing_detected",
    "Src IP session limit!": "session_limit_detected",
    "Dst IP session limit!": "session_limit_detected", "Land attack!": "attack_detected",
    "WinNuke attack!": "attack_detected", "No TCP flag!": "illegal_tcp_flag_detected",
    "SYN and FIN bits!": "illegal_tcp_flag_detected",
    "FIN but no ACK bit!": "illegal_tcp_flag_detected",
}  # fmt: skip
_IDP_ACTIONS = {"IDP_ATTACK_LOG_EVENT": "security_threat",
                "IDP_APPDDOS_APP_STATE_EVENT": "application_ddos",
                "IDP_APPDDOS_APP_ATTACK_EVENT": "application_ddos"}  # fmt: skip
_IDP_PASSED = frozenset({"NONE", "IGNORE"})  # IDP actions that let the traffic through
_UTM_ACTIONS = {"AV_VIRUS_DETECTED_MT": "virus_detected", "WEBFILTER_URL_BLOCKED": "web_filter",
                "ANTISPAM_SPAM_DETECTED_MT": "antispam_filter",
                "CONTENT_FILTERING_BLOCKED_MT": "content_filter"}  # fmt: skip
_AAMW_ALERTS = frozenset({"SRX_AAMW_ACTION_LOG", "AAMW_MALWARE_EVENT_LOG",
                          "AAMW_HOST_INFECTED_EVENT_LOG", "AAMW_ACTION_LOG"})  # fmt: skip


def parse(
    message: str,
    *,
    program: str | None = None,
    pid: str | None = None,
    msgid: str | None = None,
    structured_data: StructuredData | None = None,
) -> Event | None:
    """ECS fields for an SRX security log; None when the line is not one.

    `msgid` and `structured_data` are the RFC 5424 header's; without them the tag and fields
    are read from the message, in either mode. `program` None is a relay's line whose header
    hid the SRX's: the process is then read from the text before `[junos@`.
    """
    text = message.strip()
    process, tag, original = program, msgid, None
    sd_at = text.find("[" + SD_ID)
    if tag is None:  # the device's own text: keep it, as it wrote it
        original = text if program is None else f"{program}: {text}"
        if sd_at >= 0:  # `[host] RT_FLOW [pid] - TAG [junos@...`, or `TAG [junos@...`
            process, tag = _relayed(text[max(0, sd_at - 200) : sd_at], program)
    if process is None or program_name(process) not in PROGRAMS:
        return None
    params = _sd_params(structured_data)
    if params is None and sd_at >= 0:  # a relay's copy, or SD the header could not read
        params = _text_params(text[sd_at:])
        end = text.find("]", sd_at)
        text = text[end + 1 :].strip() if end >= 0 else ""
    elif tag is None:
        if not (match := _TAG.match(text)):
            return None
        tag, text = match.group(1), text[match.end() :]
    if tag is None:
        return None
    if params is None:
        params = _stream_params(tag, text)
    return _event(process.upper(), tag, params, text, original)


def _relayed(before: str, program: str | None) -> tuple[str | None, str | None]:
    """Process and tag from the text a relay left before `[junos@`: `... RT_FLOW - TAG ` (nil
    or numeric PROCID), or the tag alone behind a stream-mode program (`RT_FLOW: TAG [...`)."""
    tokens = before.split()
    if not tokens:
        return program, None
    tag = tokens[-1].rstrip(":")
    if not (tag.isupper() and tag.replace("_", "").isalnum()):
        return program, None
    for candidate in tokens[-3:-1]:
        if program_name(candidate.rstrip(":")) in PROGRAMS:
            return candidate.rstrip(":"), tag
    return program, tag


def _sd_params(structured_data: StructuredData | None) -> dict[str, str] | None:
    """The `junos@...` element's parameters with Filebeat's names; None when there is none."""
    for sd_id, element in (structured_data or {}).items():
        if sd_id.startswith(SD_ID):
            return {
                name.replace("-", "_"): value
                for name, value in element.items()
                if isinstance(value, str) and value.strip() not in _EMPTY
            }
    return None


def _text_params(text: str) -> dict[str, str]:
    params = {}
    for name, quoted, typographic in _PARAM.findall(text):
        value = _ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted or typographic
        if value.strip() not in _EMPTY:
            params[name.replace("-", "_")] = value
    return params


def _stream_params(tag: str, text: str) -> dict[str, str]:
    """The fields a stream-mode message writes by position, under their SD parameter names."""
    base = tag.removesuffix("_LS")
    if base.startswith("RT_SCREEN_"):
        match = _SCREEN.match(text)
    elif pattern := _STREAM.get(base):
        match = pattern.match(text)
    else:
        match = None
    if match is None:
        return {}
    return {k: v for k, v in match.groupdict().items() if v is not None and v not in _EMPTY}


def _event(
    process: str, tag: str, params: dict[str, str], text: str, original: str | None
) -> Event:
    raw: dict[str, str] = {**params, "process": process, "tag": tag}
    event: dict[str, object] = {"module": "juniper", "dataset": DATASET, "kind": "event",
                                "code": tag, "category": ["network"]}  # fmt: skip
    if original:
        event["original"] = original
    doc: Event = {
        "event": event,
        "observer": {"vendor": "Juniper", "product": "SRX", "type": "firewall"},
        "juniper": {"srx": raw},
        "message": text or tag,
    }
    _endpoints(doc, params)
    _network(doc, params)
    _observer(doc["observer"], params)
    if user := params.get("username"):
        doc["user"] = {"name": user}
    if (seconds := int_or_none(params.get("elapsed_time"))) is not None:
        event["duration"] = seconds * 1_000_000_000
    risk = int_or_none(params.get("application_risk") or params.get("urlcategory_risk"))
    if risk is not None:
        event["risk_score"] = float(risk)
    if classify := _CLASSIFY.get(process):
        classify(doc, tag.removesuffix("_LS"), params)  # `_LS`: the same event, log stream
    types = event.setdefault("type", ["allowed", "connection"])
    event["outcome"] = "failure" if "denied" in types else "success"
    return doc


def _endpoints(doc: Event, params: dict[str, str]) -> None:
    related: list[str] = []
    for side, addresses, port_key, bytes_keys, packets_keys, nat_ip, nat_port in _SIDES:
        endpoint: dict[str, object] = {}
        if ip := next(filter(None, (ip_or_none(params.get(k)) for k in addresses)), None):
            endpoint["ip"] = ip
            related.append(ip)
        if (port := int_or_none(params.get(port_key))) is not None:
            endpoint["port"] = port
        for name, keys in (("bytes", bytes_keys), ("packets", packets_keys)):
            values = (int_or_none(params.get(k)) for k in keys)
            if (number := next((v for v in values if v is not None), None)) is not None:
                endpoint[name] = number
        nat: dict[str, object] = {}
        ip = ip_or_none(params.get(nat_ip))
        if ip not in _NO_NAT:  # IDP writes `0.0.0.0` and port 0 for "not translated"
            nat["ip"] = ip
            related.append(ip)
            if (port := int_or_none(params.get(nat_port))) is not None:
                nat["port"] = port
        if nat:
            endpoint["nat"] = nat
        if endpoint:
            doc[side] = endpoint
    if related:
        doc["related"] = {"ip": list(dict.fromkeys(related))}


def _network(doc: Event, params: dict[str, str]) -> None:
    network: dict[str, object] = {}
    if (number := int_or_none(params.get("protocol_id"))) is not None:
        network["iana_number"] = str(number)
        if str(number) in IANA_TRANSPORTS:
            network["transport"] = IANA_TRANSPORTS[str(number)]
    if protocol := params.get("protocol_name") or params.get("protocol"):
        network["protocol"] = protocol.lower()
    if application := params.get("application") or params.get("application_name"):
        network["application"] = application.lower()
    for name in ("bytes", "packets"):
        counts = [doc.get(side, {}).get(name) for side in ("source", "destination")]
        if None not in counts:
            network[name] = counts[0] + counts[1]
    if network:
        doc["network"] = network


def _observer(observer: dict[str, Any], params: dict[str, str]) -> None:
    for key, direction, field in _OBSERVER:
        if (value := params.get(key)) is None:
            continue
        way = observer.setdefault(direction, {})
        way.setdefault(field, value if field == "zone" else {"name": value})


def _alert(doc: Event, category: str, *, denied: bool, action: str | None) -> None:
    event = doc["event"]
    event.update(kind="alert", category=["network", category])
    event["type"] = ["info", "denied", "connection"] if denied else ["info", "connection"]
    if action:
        event["action"] = action


def _classify_flow(doc: Event, tag: str, params: dict[str, str]) -> None:
    event = doc["event"]
    if tag.endswith(("CREATE", "UPDATE")):
        event.update(type=["connection", "start", "allowed"], action="flow_started")
    elif tag.endswith("CLOSE"):
        event.update(type=["connection", "end", "allowed"], action="flow_close")
    elif tag.endswith("DENY"):
        event.update(type=["connection", "denied"], action="flow_deny")
    if policy := params.get("policy_name"):
        doc["rule"] = {"name": policy}


def _classify_ids(doc: Event, tag: str, params: dict[str, str]) -> None:
    if tag in _SCREEN_ALERTS:
        attack = params.get("attack_name", "")
        action = _SCREEN_ACTIONS.get(attack) or ("tunneling_screen" if attack.startswith(
            "Tunnel") else None)  # fmt: skip
        dropped = "without-drop" not in params.get("action", "")
        _alert(doc, "intrusion_detection", denied=dropped, action=action)


def _classify_idp(doc: Event, tag: str, params: dict[str, str]) -> None:
    if tag in _IDP_ACTIONS:
        blocked = params.get("action", "NONE").upper() not in _IDP_PASSED
        _alert(doc, "intrusion_detection", denied=blocked, action=_IDP_ACTIONS[tag])
    rule = {
        k: params[r] for k, r in (("name", "rulebase_name"), ("id", "rule_name")) if r in params
    }
    if rule:
        doc["rule"] = rule
    if text := params.get("message"):
        doc["message"] = text


def _classify_utm(doc: Event, tag: str, params: dict[str, str]) -> None:
    if tag in _UTM_ACTIONS:
        _alert(doc, "malware", denied=True, action=_UTM_ACTIONS[tag])
    elif "_DROP" in tag:  # a file the antivirus dropped unscanned (too big, engine not ready)
        doc["event"]["type"] = ["info", "denied", "connection"]
    if tag.startswith("WEBFILTER_"):  # elsewhere `url` names the file (`EICAR-Test-File`)
        url = {k: params[r] for k, r in (("domain", "url"), ("path", "obj")) if r in params}
        if url:
            doc["url"] = url
    if name := params.get("filename"):
        doc["file"] = {"name": name}
    if policy := params.get("policy_name"):
        doc["rule"] = {"name": policy}


def _classify_threat_feed(doc: Event, tag: str, params: dict[str, str]) -> None:
    """RT_AAMW (Advanced Threat Prevention) and RT_SECINTEL (threat feeds): a block is malware
    found; anything but PERMIT on an action log is an alert."""
    action = params.get("action", "").upper()
    alerting = tag in _AAMW_ALERTS or tag == "SECINTEL_ACTION_LOG"
    blocked = action == "BLOCK" or tag == "AAMW_MALWARE_EVENT_LOG"
    if alerting and action != "PERMIT":
        _alert(doc, "malware", denied=blocked, action="malware_detected" if blocked else None)
    elif blocked:
        doc["event"].update(type=["info", "denied", "connection"], action="malware_detected")
    if host := params.get("http_host"):
        doc["url"] = {"domain": host}
    if host := params.get("hostname"):
        doc.setdefault("source", {})["address"] = host
    file: dict[str, object] = {"name": params["file_name"]} if "file_name" in params else {}
    if digest := params.get("sample_sha256"):
        file["hash"] = {"sha256": digest}
    if file:
        doc["file"] = file
    if policy := params.get("policy_name"):
        doc["rule"] = {"name": policy}


_CLASSIFY = {
    "RT_FLOW": _classify_flow,
    "RT_IDS": _classify_ids,
    "RT_SCREEN": _classify_ids,
    "RT_IDP": _classify_idp,
    "RT_UTM": _classify_utm,
    "RT_AAMW": _classify_threat_feed,
    "RT_SECINTEL": _classify_threat_feed,
}
