"""Linux netfilter log lines (iptables/nftables `LOG`, UFW, firewalld, Ubiquiti EdgeOS) to ECS,
after Elastic's iptables integration (`event.dataset: iptables.log`).

The kernel writes `[prefix] IN=eth0 OUT= MAC=... SRC=... DST=... LEN=... PROTO=TCP SPT=... DPT=...`
with the administrator's log prefix first; the prefix usually says what the rule did (`[UFW
BLOCK]`, `IPTABLES-DROP:`, EdgeOS `[WAN_LOCAL-default-D]`), which becomes `event.action`.
"""

from __future__ import annotations

import re

from collectors.parsers.values import IANA_TRANSPORTS, int_or_none, ip_or_none, mac_or_none
from soc.model.event import Event

DATASET = "iptables.log"
_UPTIME = re.compile(r"^\[\s*\d+\.\d+\]\s*")
_FLAGS = frozenset({"CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN", "FIN"})
_FRAGMENT_FLAGS = frozenset({"CE", "DF", "MF"})
_UBIQUITI = re.compile(r"\[(?P<set>[^\]]*)-(?P<number>[^-\]]*)-(?P<action>[ADR])\]")
_ACTION_WORDS = re.compile(r"(drop|deny|denied|reject|block|accept|allow|pass|invalid)", re.I)
_ACTIONS = {"a": "accept", "d": "drop", "r": "reject", "denied": "deny", "allow": "accept"}
_DENIED = frozenset({"drop", "deny", "reject", "block", "invalid"})
_ETHER_TYPES = {"08:00": "ipv4", "86:dd": "ipv6"}


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a netfilter line; None when the line has no `IN=`, `SRC=` and `PROTO=`."""
    if "IN=" not in message or "SRC=" not in message or "PROTO=" not in message:
        return None
    text = _UPTIME.sub("", message.strip())
    prefix, found, rest = text.partition("IN=")
    if not found or (prefix and not prefix.endswith((" ", "]", ":"))):
        return None
    if "[" in rest:  # an ICMP error quotes the packet it answers: `[SRC=... SPT=... DPT=... ]`
        start = rest.index("[")
        end = rest.find("]", start)
        rest = rest[:start] + (rest[end + 1 :] if end > 0 else "")
    # The IP header's keys, then from `PROTO=` on the transport's: both may have `LEN=` and `ID=`
    header: dict[str, str] = {}
    transport: dict[str, str] = {}
    fields = header
    flags: list[str] = []
    fragment: list[str] = []
    for token in ("IN=" + rest).split():
        key, pair, value = token.partition("=")
        if pair:  # `KEY=value` with KEY in [A-Z]+; string tests, a third cheaper than a regex
            if key.isupper() and key.isalpha() and key.isascii():
                fields.setdefault(key, value)
                if key == "PROTO":
                    fields = transport
        elif token in _FLAGS:
            flags.append(token)
        elif token in _FRAGMENT_FLAGS:
            fragment.append(token)
    source, destination = ip_or_none(header.get("SRC")), ip_or_none(header.get("DST"))
    if not source or not destination:
        return None
    doc: Event = {
        "event": {"module": "iptables", "dataset": DATASET, "kind": "event",
                  "category": ["network"], "type": ["connection"]},
        "source": {"ip": source},
        "destination": {"ip": destination},
        "related": {"ip": sorted({source, destination})},
    }  # fmt: skip
    iptables = _details(header, transport, flags, fragment)
    _network(doc, header, iptables)
    for side, key in (("source", "SPT"), ("destination", "DPT")):
        if port := int_or_none(transport.get(key)):
            doc[side]["port"] = port
    _prefix(doc, prefix.strip(), iptables)
    doc["iptables"] = iptables
    return doc


def _details(
    header: dict[str, str], transport: dict[str, str], flags: list[str], fragment: list[str]
) -> dict[str, object]:
    iptables: dict[str, object] = {}
    for key, name in (("IN", "input_device"), ("OUT", "output_device")):
        if header.get(key):
            iptables[name] = header[key]
    for key, name in (("LEN", "length"), ("TTL", "ttl"), ("ID", "id"), ("HOPLIMIT", "ttl"),
                      ("FLOWLBL", "flow_label")):  # fmt: skip
        if (number := int_or_none(header.get(key))) is not None:
            iptables[name] = number
    if (tos := int_or_none(header.get("TOS") or header.get("TC"), base=16)) is not None:
        iptables["tos"] = tos
    if (precedence := int_or_none(header.get("PREC"), base=16)) is not None:
        iptables["precedence_bits"] = precedence
    if fragment:
        iptables["fragment_flags"] = fragment
    proto = header.get("PROTO", "").upper()
    if proto == "TCP":
        tcp: dict[str, object] = {}
        if flags:
            tcp["flags"] = flags
        for key, name in (("WINDOW", "window"), ("SEQ", "seq"), ("ACK", "ack")):
            if (number := int_or_none(transport.get(key))) is not None:
                tcp[name] = number
        if (reserved := int_or_none(transport.get("RES"), base=16)) is not None:
            tcp["reserved_bits"] = reserved
        if tcp:
            iptables["tcp"] = tcp
    elif proto in ("UDP", "UDPLITE"):
        if (length := int_or_none(transport.get("LEN"))) is not None:
            iptables["udp"] = {"length": length}
    elif icmp := {
        name: number
        for key, name in (("TYPE", "type"), ("CODE", "code"), ("ID", "id"), ("SEQ", "seq"))
        if (number := int_or_none(transport.get(key))) is not None
    }:
        iptables["icmp"] = icmp
    return iptables


def _network(doc: Event, fields: dict[str, str], iptables: dict[str, object]) -> None:
    proto = fields.get("PROTO", "")
    network: dict[str, str] = {}
    if proto.isdigit():
        network["iana_number"] = proto
        if proto in IANA_TRANSPORTS:
            network["transport"] = IANA_TRANSPORTS[proto]
    elif proto:
        network["transport"] = "ipv6-icmp" if proto.lower() == "icmpv6" else proto.lower()
    mac = fields.get("MAC", "")
    parts = mac.split(":")
    if len(parts) >= 14:
        doc["destination"]["mac"] = mac_or_none(":".join(parts[:6]))
        doc["source"]["mac"] = mac_or_none(":".join(parts[6:12]))
        ether_type = ":".join(parts[12:14]).lower()
        if (number := int_or_none(ether_type.replace(":", ""), base=16)) is not None:
            iptables["ether_type"] = number
        if ether_type in _ETHER_TYPES:
            network["type"] = _ETHER_TYPES[ether_type]
    if "type" not in network:
        network["type"] = "ipv6" if ":" in doc["source"]["ip"] else "ipv4"
    doc["network"] = network


def _prefix(doc: Event, prefix: str, iptables: dict[str, object]) -> None:
    """The log prefix: EdgeOS `[RULESET-NUMBER-A|D|R]`, else the first action word in it."""
    if not prefix:
        return
    iptables["log_prefix"] = prefix
    if match := _UBIQUITI.search(prefix):
        action = _ACTIONS[match["action"].lower()]
        iptables["ubiquiti"] = {"rule_set": match["set"], "rule_number": match["number"]}
        doc["rule"] = {"name": match["set"], "id": match["number"]}
    elif match := _ACTION_WORDS.search(prefix):
        word = match[1].lower()
        action = _ACTIONS.get(word, word)
    else:
        return
    event = doc["event"]
    event["action"] = action
    denied = action in _DENIED
    event["type"].append("denied" if denied else "allowed")
    event["outcome"] = "failure" if denied else "success"  # as the other firewalls' verdicts
