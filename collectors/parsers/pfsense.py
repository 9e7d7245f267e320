"""pfSense/OPNsense `filterlog` lines (the firewall's CSV log) to ECS, after Elastic's pfSense
integration (`event.dataset: pfsense.log`).

The layout is pfSense's "Filter Log Format": `rule,sub-rule,anchor,tracker,interface,reason,
action,direction,ip-version,` then for IPv4 `tos,ecn,ttl,id,offset,flags,proto-id,proto-text,
length,src,dst,` and for IPv6 `class,flow-label,hop-limit,proto-text,proto-id,length,src,dst,`,
then protocol data: TCP `srcport,dstport,datalen,tcp-flags,seq,ack,window,urg,options`, UDP
`srcport,dstport,datalen`, ICMP `type,...`. Unknown protocols keep the common fields.
"""

from __future__ import annotations

from collectors.parsers.values import endpoint, int_or_none
from soc.model.event import Event

DATASET = "pfsense.log"
_DIRECTIONS = {"in": "inbound", "out": "outbound"}
_DENIED = frozenset({"block", "reject"})


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a filterlog line; None when it is not one (too few fields, no IP version)."""
    fields = message.strip().split(",")
    if len(fields) < 9 or fields[8] not in ("4", "6"):
        return None
    rule, _sub, _anchor, tracker, interface, reason, action, direction, version = fields[:9]
    ip_fields, rest = (fields[9:20], fields[20:]) if version == "4" else (fields[9:17], fields[17:])
    ip = _ip(version, ip_fields)
    if ip is None:
        return None
    denied = action in _DENIED
    doc: Event = {
        "event": {
            "module": "pfsense",
            "dataset": DATASET,
            "kind": "event",
            "category": ["network"],
            "type": ["connection", "denied" if denied else "allowed"],
            "action": action,
            "outcome": "failure" if denied else "success",
        },
        "observer": {"type": "firewall", "ingress": {"interface": {"name": interface}}},
        "network": {"type": f"ipv{version}"},
        "pfsense": {"ip": ip["pfsense"]},
    }
    if reason:
        doc["event"]["reason"] = reason
    rule_fields = {k: v for k, v in (("id", tracker), ("name", rule)) if v}
    if rule_fields:
        doc["rule"] = rule_fields
    if direction in _DIRECTIONS:
        doc["network"]["direction"] = _DIRECTIONS[direction]
    transport = ip["transport"].lower()
    if transport == "icmpv6":
        transport = "ipv6-icmp"
    if transport:
        doc["network"]["transport"] = transport
    if ip["iana"]:
        doc["network"]["iana_number"] = ip["iana"]
    ports = rest[:2] if transport in ("tcp", "udp") else [None, None]
    doc["source"] = endpoint(ip["src"], ports[0])
    doc["destination"] = endpoint(ip["dst"], ports[1])
    doc["related"] = {"ip": sorted({ip["src"], ip["dst"]})}
    _protocol(doc, transport, rest)
    return doc


def _ip(version: str, values: list[str]) -> dict | None:
    if version == "4" and len(values) >= 11:
        tos, ecn, ttl, ident, offset, flags, iana, transport, length, src, dst = values[:11]
        details = {"tos": tos, "ecn": ecn, "ttl": ttl, "id": ident, "offset": offset,
                   "flags": flags, "length": length}  # fmt: skip
    elif version == "6" and len(values) >= 8:
        klass, flow, hops, transport, iana, length, src, dst = values[:8]
        details = {"class": klass, "flow_label": flow, "hlim": hops, "length": length}
    else:
        return None
    if not endpoint(src).get("ip") or not endpoint(dst).get("ip"):
        return None
    pfsense = {k: _number(v) for k, v in details.items() if v}
    return {"pfsense": pfsense, "transport": transport, "iana": iana, "src": src, "dst": dst}


def _protocol(doc: Event, transport: str, rest: list[str]) -> None:
    pfsense = doc["pfsense"]
    if transport == "tcp" and len(rest) >= 4:
        tcp = {"length": rest[2], "flags": rest[3]}
        for key, value in zip(("seq", "ack", "window", "urg", "options"), rest[4:9], strict=False):
            tcp[key] = value
        pfsense["tcp"] = {k: _number(v) for k, v in tcp.items() if v}
    elif transport == "udp" and len(rest) >= 3:
        pfsense["udp"] = {"length": _number(rest[2])}
    elif transport in ("icmp", "ipv6-icmp") and rest and rest[0] and "=" not in rest[0]:
        # `datalength=N` stands where filterlog does not decode the ICMP message (ICMPv6)
        icmp: dict[str, object] = {"type": rest[0]}
        if rest[0] in ("request", "reply") and len(rest) >= 3:
            icmp.update(id=_number(rest[1]), seq=_number(rest[2]))
        elif rest[0] == "unreach" and len(rest) >= 2:
            icmp["destination"] = {"ip": rest[1]}
        pfsense["icmp"] = icmp


def _number(value: str) -> int | str:
    number = int_or_none(value)
    return value if number is None else number
