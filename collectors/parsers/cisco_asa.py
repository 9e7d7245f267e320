"""Cisco ASA and Firepower Threat Defense `%ASA-<level>-<id>:` messages to ECS, after Elastic's
Cisco ASA integration (`event.dataset: cisco.asa`, its `event.action`/`type`/`outcome` per id).

Parsed in detail: the messages security teams build detections on (denies 106001/6/7/10/14/
15/16/17/21/23/100/102/103, connection build/teardown 302013-302016/302020/302021, NAT 305011/
305012, ICMP and to-the-box denies 313001/313008/710003/710005, AAA and login results 113004/
113005/113012/113015/605004/605005/611101/611102). Every other id still gets `event.code`,
`event.severity` and the message. The identity firewall's user (`(LOCAL\\alice)`,
`(CORP\\alice, 9999:sgt_name)`) is `user.name` (and `user.domain` but for the ASA's own
`LOCAL`); a security group tag alone is no user. Firepower's security events 430001-430005
(intrusion, connection, file and malware events, `Key: value` pairs) give the connection,
`rule.*`, `url`, `file.*` and, for intrusions and malware, `event.kind: alert`. VPN messages
that start with the tunnel group, user and peer (`Group <g> User <u> IP <a>`, `Group = g,
Username = u, IP = a,`) give `group.name`, `user` and `source`. Also parsed: the Botnet Traffic
Filter (338xxx: the listed domain or address as `threat.indicator`, an alert when blacklisted),
administrators' commands (111008-111010), local accounts added, deleted or given another
privilege level (502101-502103), URL filtering (304001/304002), ICMP without a session (313004/
313005/313009), SSH and AAA sessions (315011, 113008/113009), IKEv2 (750xxx/751xxx: the peer,
`Remote:`, is the source) and address assignment (737xxx), TLS sessions (725xxx), cluster stubs
(302022-302027), hosts (609001/609002), flow offload (805001-805003) and SFR redirection (434002/
434004). The patterns and each id's categorization are `cisco_asa_messages`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from collectors.parsers.cisco_asa_messages import CATEGORIZATION, DETAILED, FAMILIES, PATTERNS
from collectors.parsers.values import IANA_TRANSPORTS, endpoint, int_or_none, ip_or_none
from soc.model.event import Event

DATASET = "cisco.asa"
_TAG = re.compile(r"%(?P<product>ASA|FTD)-(?:[^0-9-]+-)?(?P<level>\d)-(?P<id>\d{6})")
# The tag leads the message, or follows the device's own clock when a relay or `logging
# timestamp` put one there (`Sep 25 05:08:29 UTC: %ASA-ip-4-313005:`, `fw-1 %ASA-4-106023:`).
_IN_MESSAGE = re.compile(r"(?:[^%]{0,80}?(?<![\w%]))?" + _TAG.pattern + r":?\s*")
_LEVELS = ("emergency", "alert", "critical", "error", "warning", "notification",
           "informational", "debug")  # fmt: skip
_SGT = re.compile(r"\d+(?::\S*)?")
# Firepower's security events (`%FTD-1-430002: SrcIP: ..., DstIP: ...`): Elastic's action and
# kind and category for each, and the actions of the access rule that mean a blocked connection.
_SECURITY_EVENTS = {
    "430001": ("intrusion-detected", "alert", ["intrusion_detection", "network"], ["info"]),
    "430002": ("connection-started", "event", ["network"], ["connection", "start"]),
    "430003": ("connection-finished", "event", ["network"], ["connection", "end"]),
    "430004": ("file-detected", "event", ["file", "network"], ["info"]),
    "430005": ("malware-detected", "alert", ["malware", "file", "network"], ["info"]),
}
_SECURITY_FIELD = re.compile(r"(?:^|, )([A-Za-z][\w ]{0,40}): ")
_NO_USER = ("No Authentication Required", "Unknown", "No Authentication")
_BLOCKING = ("Block", "Block with reset", "Interactive Block", "Interactive Block with reset")
# The tunnel group, user and peer address that VPN messages (IKE 713xxx, AnyConnect/WebVPN
# 113039, 716xxx, 722xxx...) put first: `Group = g, Username = u, IP = a,` or `Group <g> User
# <u> IP <a>` or `Group g User u IP a`.
_VPN_PEER = re.compile(
    r"Group\s*(?:= (?P<group>[^,]*),|<(?P<group_>[^>]*)>|(?P<group__>\S+))\s*"
    r"(?:(?:Username = (?P<user>[^,]*),|User\s*(?:<(?P<user_>[^>]*)>|(?P<user__>\S+)))\s*)?"
    r"IP\s*(?:= (?P<ip>[^,\s]+)|<(?P<ip_>[^>]*)>|(?P<ip__>\S+))"
)
_ACL_RESULTS = {
    "denied": (["network"], ["connection", "denied"], "failure", "firewall-rule"),
    "permitted": (["network"], ["connection", "allowed"], "success", "firewall-rule"),
    "est-allowed": (["network"], ["connection", "allowed"], "success", "firewall-rule"),
}


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an ASA/FTD message; None when neither the syslog tag (`%ASA-6-302013`)
    nor the start of the message carries the `%ASA-`/`%FTD-` tag."""
    text = message.strip()
    tag = _TAG.fullmatch(program) if program else None
    if tag is None:
        tag = _IN_MESSAGE.match(text)
        if tag is None:
            return None
        text = text[tag.end() :]
    message_id, level = tag["id"], int(tag["level"])
    product = tag["product"].lower()
    doc: Event = {
        "event": {"module": "cisco_asa", "dataset": DATASET, "kind": "event",
                  "category": ["network"], "code": message_id, "severity": level},
        "log": {"level": _LEVELS[level]},
        "observer": {"vendor": "Cisco", "product": product, "type": "firewall"},
        "cisco": {"asa": {"message_id": message_id}},
        "message": text,
    }  # fmt: skip
    if message_id in _SECURITY_EVENTS:
        _security_event(doc, message_id, text)
        return doc
    pattern = PATTERNS.get(message_id) or PATTERNS.get(FAMILIES.get(message_id[:3], ""))
    match = pattern.match(text) if pattern else None
    if match is not None:
        _fields(doc, message_id, match.groupdict(), details=id(pattern) in DETAILED)
        return doc
    if message_id in CATEGORIZATION:
        _categorize(doc, CATEGORIZATION[message_id])
    if text.startswith("Group") and (peer := _VPN_PEER.match(text)):
        _vpn_peer(doc, peer)
    return doc


def _vpn_peer(doc: Event, peer: re.Match[str]) -> None:
    """`user`, `group.name` and the peer's address (`source`) of a VPN message."""
    if group := peer["group"] or peer["group_"] or peer["group__"]:
        doc["group"] = {"name": group}
    if (text := peer["user"] or peer["user_"] or peer["user__"]) and (user := _user(text)):
        doc["user"] = user
    if source := endpoint(peer["ip"] or peer["ip_"] or peer["ip__"]):
        doc["source"] = source
        if "ip" in source:
            doc["related"] = {"ip": [source["ip"]]}


def _fields(
    doc: Event, message_id: str, found: dict[str, str | None], *, details: bool = False
) -> None:
    asa = doc["cisco"]["asa"]
    event, network = doc["event"], {}
    src, sport, dst, dport = (
        found.get("src"),
        found.get("sport"),
        found.get("dst"),
        found.get("dport"),
    )
    src_if, dst_if = found.get("src_if"), found.get("dst_if")
    if message_id in ("302020", "302021"):
        # Teardowns name no direction: the inside host (laddr) is taken as the source, as
        # for the pings and traceroutes from inside that make most ICMP connections.
        inbound = found.get("direction") == "inbound"
        src, dst = (found["faddr"], found["laddr"]) if inbound else (found["laddr"], found["faddr"])
        # The global address is the inside host's translation (laddr's, on either side).
        found["mdst" if inbound else "msrc"] = found["gaddr"]
    nat = {"source": (found.get("msrc"), found.get("msport")),
           "destination": (found.get("mdst"), found.get("mdport"))}  # fmt: skip
    if message_id in ("302013", "302015") and found.get("direction") == "outbound":
        # The connection was opened from the `to` side (inside): it is the source.
        src, sport, dst, dport = dst, dport, src, sport
        src_if, dst_if = dst_if, src_if
        nat = {"source": nat["destination"], "destination": nat["source"]}
    for side, (ip, port) in (("source", (src, sport)), ("destination", (dst, dport))):
        if value := endpoint(ip, port):
            doc[side] = value
            mapped = endpoint(*nat[side]) if nat[side][0] else {}
            if mapped and mapped != value:
                doc[side]["nat"] = mapped
    if direction := found.get("direction"):
        network["direction"] = direction.lower()
    if (transport := (found.get("transport") or "").lower()) and transport != "ip":
        network["transport"] = "ipv6-icmp" if transport in ("icmpv6", "icmp6") else transport
    if found.get("iana"):
        network["iana_number"] = found["iana"]
    if (size := int_or_none(found.get("bytes"))) is not None:
        network["bytes"] = size
    if network:
        doc["network"] = network
    if duration := found.get("duration"):
        hours, _, rest = duration.partition(":")
        minutes, _, seconds = rest.partition(":")
        if all(part.isdigit() for part in (hours, minutes, seconds)):
            total = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
            event["duration"] = total * 1_000_000_000
    if message_id in ("302014", "302016") and (reason := found["reason"]):
        found.update(_teardown_reason(reason))
    for key, name in (("connection", "connection_id"), ("reason", "termination_reason"),
                      ("initiator", "termination_initiator"),
                      ("icmp_type", "icmp_type"), ("icmp_code", "icmp_code"),
                      ("server", "aaa_server"), ("service", "service")):  # fmt: skip
        if found.get(key):
            asa[name] = found[key]
    if src_if:
        asa["source_interface"] = src_if
        doc["observer"]["ingress"] = {"interface": {"name": src_if}}
    if dst_if:
        asa["destination_interface"] = dst_if
        doc["observer"]["egress"] = {"interface": {"name": dst_if}}
    if rule := found.get("rule"):
        asa["rule_name"] = rule
        doc["rule"] = {"name": rule}
    for key in ("user", "src_user", "dst_user", "fu", "lu", "teardown_user"):
        if (text := found.get(key)) and (user := _user(text)):
            doc["user"] = user
            break
    if found.get("reason") and message_id in ("113005", "113015"):
        event["reason"] = found["reason"]
    categorization = _ACL_RESULTS.get(found.get("result") or "") or CATEGORIZATION.get(message_id)
    if categorization:
        _categorize(doc, categorization)
    ips = {v["ip"] for side in ("source", "destination") if "ip" in (v := doc.get(side, {}))}
    if details:
        _details(doc, found, ips)
    if ips:
        doc["related"] = {"ip": sorted(ips)}


def _details(doc: Event, found: dict[str, str | None], ips: set[str]) -> None:
    """What only some messages carry: a URL, a TLS version, a group, an administrator's command
    or privilege change, a reason, a VPN client's address, a Botnet Traffic Filter verdict."""
    asa = doc["cisco"]["asa"]
    if url := found.get("url"):
        doc["url"] = _url(url)
    if tls := found.get("tls"):
        doc["tls"] = {"version_protocol": tls.lower()}
        if found.get("tls_version"):
            doc["tls"]["version"] = found["tls_version"]
    if group := found.get("group"):
        doc["group"] = {"name": group}
    if privilege := {key: found[key] for key in ("old", "new") if found.get(key)}:
        asa["privilege"] = privilege
    if why := found.get("why"):
        doc["event"]["reason"] = why
    if dns := found.get("dns"):
        doc["dns"] = {"question": {"name": dns}}
        asa["rule_name"] = found["list"]
    for key, name in (("command", "command_line_arguments"), ("session", "session_id"),
                      ("level", "threat_level"), ("category", "threat_category")):  # fmt: skip
        if found.get(key):
            asa[name] = found[key]
    # The address a VPN client was given names the client in every later connection log.
    for key, name in (("assigned", "assigned_ip"), ("assigned6", "assigned_ipv6")):
        if assigned := ip_or_none(found.get(key)):
            asa[name] = assigned
            ips.add(assigned)
    if found.get("listed"):
        _dynamic_filter(doc, found)


def _dynamic_filter(doc: Event, found: dict[str, str | None]) -> None:
    """The Botnet Traffic Filter's verdict, and the black- or greylisted domain or address of
    the side it names as `threat.indicator`; blacklisted traffic is an alert."""
    listed, dropped = found["listed"], found["verdict"] == "dropped"
    event = doc["event"]
    event.update(action="dynamic-filter", outcome="failure" if dropped else "success",
                 type=["connection", "denied" if dropped else "allowed"])  # fmt: skip
    doc["cisco"]["asa"]["rule_name"] = found["list"]
    if listed == "white":
        return
    event["category"] = ["intrusion_detection", "network"]
    if listed == "black":
        event["kind"] = "alert"
    entry = found["entry"] or ""
    if address := ip_or_none(entry.partition("/")[0]):
        indicator = {"type": "ipv6-addr" if ":" in address else "ipv4-addr", "ip": address}
    else:
        indicator = {"type": "domain-name", "url": {"domain": entry}}
        doc.setdefault(found["side"] or "", {})["domain"] = entry
    doc["threat"] = {"indicator": indicator}


def _url(text: str) -> dict[str, str]:
    """ECS `url` of a URL the device logged: absolute (`http://host/path`) or a bare path."""
    url = {"original": text}
    parts = urlsplit(text)
    if parts.scheme:
        url["scheme"] = parts.scheme
    if parts.hostname:
        url["domain"] = parts.hostname
    if parts.path:
        url["path"] = parts.path
    if parts.query:
        url["query"] = parts.query
    return url


def _security_event(doc: Event, message_id: str, text: str) -> None:
    """ECS fields of a Firepower connection, intrusion, file or malware event: `Key: value`
    pairs joined by `, ` (a value may hold spaces, colons and commas, not `, Key: `)."""
    marks = list(_SECURITY_FIELD.finditer(text))
    found = {
        mark[1]: text[mark.end() : after.start() if after else None]
        for mark, after in zip(marks, [*marks[1:], None], strict=True)
    }
    action, kind, category, types = _SECURITY_EVENTS[message_id]
    event = doc["event"]
    event.update(action=action, kind=kind, category=category, type=types)
    for side, ip, port in (("source", "SrcIP", "SrcPort"), ("destination", "DstIP", "DstPort")):
        if value := endpoint(found.get(ip), found.get(port)):
            doc[side] = value
    for side, prefix in (("source", "Initiator"), ("destination", "Responder")):
        for name in ("bytes", "packets"):
            if (number := int_or_none(found.get(prefix + name.capitalize()))) is not None:
                doc.setdefault(side, {})[name] = number
    network = {}
    if protocol := found.get("Protocol"):
        network["transport"] = IANA_TRANSPORTS.get(protocol, protocol.lower())
    if application := found.get("ApplicationProtocol"):
        network["protocol"] = application.lower()
    if network:
        doc["network"] = network
    observer = doc["observer"]
    for direction in ("Ingress", "Egress"):
        interface, zone = found.get(direction + "Interface"), found.get(direction + "Zone")
        if interface or zone:
            observer[direction.lower()] = {
                **({"interface": {"name": interface}} if interface else {}),
                **({"zone": zone} if zone else {}),
            }
    rule = {}
    if message_id == "430001":
        rule = {"name": found.get("Message"), "id": found.get("SID"),
                "category": found.get("Classification"),
                "ruleset": found.get("IntrusionPolicy")}  # fmt: skip
    elif name := found.get("AccessControlRuleName"):
        rule = {"name": name, "ruleset": found.get("ACPolicy")}
    if rule := {key: value for key, value in rule.items() if value}:
        doc["rule"] = rule
    if verdict := found.get("AccessControlRuleAction"):
        blocked = verdict in _BLOCKING
        event["outcome"] = "failure" if blocked else "success"
        event["type"] = [*types, "denied" if blocked else "allowed"]
        doc["cisco"]["asa"]["rule_action"] = verdict
    # `No Authentication Required` (or `Special Identities\\...` of it) and `Unknown`: no user.
    if (text := found.get("User")) and (user := _user(text)) and user["name"] not in _NO_USER:
        doc["user"] = user
    if url := found.get("URL") or found.get("URI"):
        doc["url"] = {"original": url}
    if agent := found.get("UserAgent"):
        doc["user_agent"] = {"original": agent}
    if status := int_or_none(found.get("HTTPResponse")):
        doc["http"] = {"response": {"status_code": status}}
    if query := found.get("DNSQuery"):
        doc["dns"] = {"question": {"name": query}}
    file = {"name": found.get("FileName"), "size": int_or_none(found.get("FileSize")),
            "hash": {"sha256": sha} if (sha := found.get("FileSHA256")) else None}  # fmt: skip
    if file := {key: value for key, value in file.items() if value is not None}:
        doc["file"] = file
    for key, name in (("FileAction", "file_action"), ("ThreatName", "threat_name"),
                      ("SHA_Disposition", "disposition")):  # fmt: skip
        if found.get(key):
            doc["cisco"]["asa"][name] = found[key]
    ips = sorted(
        {v["ip"] for side in ("source", "destination") if "ip" in (v := doc.get(side, {}))}
    )
    if ips:
        doc["related"] = {"ip": ips}


def _teardown_reason(text: str) -> dict[str, str]:
    """The reason of a teardown (`TCP FINs`) apart from what newer versions add after it: the
    interface that ended it (`from outside`) and the identity-firewall user (`(CORP\\alice)`)."""
    found = {}
    if text.endswith(")") and (start := text.rfind("(")) >= 0:
        found["teardown_user"] = text[start + 1 : -1]
        text = text[:start].rstrip()
    reason, sep, initiator = text.rpartition(" from ")
    if sep and initiator and " " not in initiator:
        found["initiator"] = initiator
        text = reason
    found["reason"] = text
    return found


def _user(text: str) -> dict[str, str] | None:
    """`user` from an identity-firewall user, `LOCAL\\alice` or `CORP\\alice`; None for the
    security group tag (`9999:sgt_name`) that shares its parentheses, for no name, and for the
    `*****` that hides the name of a failed VPN login (one such "user" would be every one)."""
    name = text.partition(", ")[0].strip("'\" ")
    if not name.strip("*") or _SGT.fullmatch(name):
        return None
    domain, _, name = name.rpartition("\\")
    domain = domain.removeprefix("LOCAL").lstrip("\\")
    return {"name": name, "domain": domain} if domain else {"name": name}


def _categorize(
    doc: Event, values: tuple[list[str], list[str] | None, str | None, str | None]
) -> None:
    category, types, outcome, action = values
    event = doc["event"]
    event["category"] = category
    if outcome:
        event["outcome"] = outcome
    if action:
        event["action"] = action
    if types:
        event["type"] = types
