"""DHCP server logs (ISC dhcpd, as on Linux, pfSense and OPNsense; ISC Kea's `kea-dhcp4`) to
ECS: which MAC address and host name held an IP address at a given time, the first question of
an investigation.

ISC dhcpd writes one line per message it handles, in `server/dhcp.c`'s wording:
`DHCPDISCOVER from <mac> [(<host>) ]via <if>`, `DHCPOFFER|DHCPACK on <ip> to <mac> [(<host>) ]via
<if>`, `DHCPREQUEST for <ip> [(<server>) ]from <mac> [(<host>) ]via <if>`, `DHCPRELEASE of <ip>
from <mac> [(<host>) ]via <if> (found)`, `DHCPDECLINE of <ip> from ...`, `DHCPNAK on <ip> to <mac>
via <if>`, `DHCPINFORM from <ip> via <if>` and its answer `DHCPACK to <ip> (<mac>) via <if>`;
anything after `via <if>` (`: network 192.0.2.0/24: no free leases`, `: lease ... unavailable.`)
is the server's comment on it. `via` names the interface, or the relay agent's address when the
message came through one. In DHCPv6 a lease goes to a DUID: `Reply NA: address <ip6> to client
with duid <duid> iaid = <n> valid for <s> seconds`. Kea writes `DHCP4_<EVENT> [hwtype=1 <mac>],
cid=[...], tid=0x...: lease <ip> has been allocated for <n> seconds` (its message catalogue's
ids and wording).
"""

from __future__ import annotations

import re
from typing import Any

from collectors.parsers.values import int_or_none, ip_or_none, mac_or_none
from soc.model.event import Event

DATASET = "dhcpd.log"
PROGRAMS = ("dhcpd", "kea-dhcp4")

_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_ISC = re.compile(
    rf"(?P<type>DHCP[A-Z]+|BOOTREQUEST|BOOTREPLY) "
    rf"(?:(?:on|of|for|to|from) (?P<ip>{_IPV4}) (?:\((?P<paren>[^)]*)\) )?)?"
    r"(?:(?:from|to) (?P<mac>\S*) (?:\((?P<host>[^)]*)\) )?)?"
    r"via (?P<via>[^\s:]+)(?P<rest>.*)"
)
_DUPLICATE = re.compile(
    rf"uid lease (?P<ip>{_IPV4}) for client (?P<mac>[0-9A-Fa-f:]+) is duplicate on (?P<net>\S+)"
)
_NETWORK = re.compile(r"(?:network|subnet) ([^\s:]+)")
# DHCPv6 (`dhcpd -6`): the address leased to a client, known by its DUID (no MAC in DHCPv6)
_NA = re.compile(
    r"(?P<kind>Advertise|Reply) NA: address (?P<ip>[0-9A-Fa-f:.]+) to client with duid "
    r"(?P<duid>[0-9A-Fa-f:]+) iaid = (?P<iaid>-?\d+) valid for (?P<secs>\d+) seconds"
)
# The client is `[hwtype=1 <mac>], cid=[...], tid=0x...`, mostly right after the id, inside the
# text for DHCP4_DECLINE_LEASE (`Received DHCPDECLINE for addr <ip> from client [hwtype=...`).
_KEA = re.compile(
    r"(?P<id>(?:DHCP4|ALLOC_ENGINE_V4)_[A-Z0-9_]+) [^[]*\[hwtype=\d+ (?P<mac>[0-9A-Fa-f:]*)\]"
    r"(?:, cid=\[(?P<cid>[^\]]*)\])?(?:, tid=(?P<tid>0x[0-9A-Fa-f]+))?"
)
# `lease <ip>`, `address <ip>`, `addr <ip>` and `requested-ip-address <ip>`, never `ciaddr <ip>`
_KEA_LEASE = re.compile(rf"\b(?:lease|address|addr) (?P<ip>{_IPV4})")
_KEA_SECONDS = re.compile(r"(?:allocated|reused) for (\d+) s")
# What makes a handled message a failure: the server refused or could not serve the client.
_FAILED_TYPES = frozenset({"dhcpnak", "dhcpdecline"})
_KEA_FAILED = ("NAK", "DECLINE", "FAIL", "DROP")


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a DHCP server's lease message; None for its other lines (start-up, config)."""
    if "DHCP4_" in message or "ALLOC_ENGINE_V4_" in message:
        return _kea(message)
    start = message.find("DHCP")
    if start < 0:
        start = message.find("BOOT")
    if start >= 0 and (match := _ISC.match(message, start)):
        return _isc(match)
    if " NA: address " in message and (match := _NA.match(message)):
        doc = _doc(f"{match['kind'].lower()}-na", match["ip"], None, None)
        doc["network"]["protocol"] = "dhcpv6"
        doc["dhcpd"].update(duid=match["duid"], iaid=match["iaid"],
                            lease_seconds=int(match["secs"]))  # fmt: skip
        return doc
    if message.startswith("uid lease") and (match := _DUPLICATE.match(message)):
        doc = _doc("duplicate_uid_lease", match["ip"], match["mac"], None)
        doc["dhcpd"]["network"] = match["net"]
        return doc
    if "no free leases" in message:
        doc = _doc("no_free_leases", None, None, None)
        _no_free_leases(doc, message)
        return doc
    return None


def _isc(match: re.Match[str]) -> Event:
    kind = match["type"].lower()
    mac, host, server, via = match["mac"], match["host"], None, match["via"]
    if host and not mac_or_none(mac) and mac_or_none(host):
        mac, host = host, mac  # `BOOTREPLY for <ip> to <host> (<mac>)`
    if paren := match["paren"]:
        # `DHCPREQUEST for <ip> (<server>)`; `DHCPACK to <ip> (<mac>)` answering a DHCPINFORM
        if ip_or_none(paren):
            server = paren
        elif mac is None and mac_or_none(paren):
            mac = paren
    relay = via if ip_or_none(via) else None
    doc = _doc(kind, match["ip"], mac, host, others=(server, relay))
    dhcpd = doc["dhcpd"]
    dhcpd["via"] = via
    if relay:
        dhcpd["relay_ip"] = relay
    else:
        doc["observer"] = {"ingress": {"interface": {"name": via}}}
    if server:
        doc["server"] = {"ip": server}
        doc["destination"] = {"ip": server}
        dhcpd["server_ip"] = server
    if rest := match["rest"].strip().lstrip(":").strip():
        dhcpd["info"] = rest
        if "no free leases" in rest:
            _no_free_leases(doc, rest)
    if kind in _FAILED_TYPES:
        doc["event"]["outcome"] = "failure"
    return doc


def _no_free_leases(doc: Event, text: str) -> None:
    """The pool is exhausted (or an attacker exhausted it): the client got no address."""
    doc["event"]["outcome"] = "failure"
    if network := _NETWORK.search(text):
        doc["dhcpd"]["network"] = network[1]


def _kea(message: str) -> Event | None:
    match = _KEA.search(message)
    if match is None:
        return None
    lease = _KEA_LEASE.search(message, match.start())
    doc = _doc(match["id"].lower(), lease["ip"] if lease else None, match["mac"], None)
    dhcpd = doc["dhcpd"]
    dhcpd["message_id"] = match["id"]
    for key in ("cid", "tid"):
        if (value := match[key]) and value != "no info":
            dhcpd[key] = value
    if seconds := _KEA_SECONDS.search(message, match.end()):
        dhcpd["lease_seconds"] = int_or_none(seconds[1])
    if any(word in match["id"] for word in _KEA_FAILED):
        doc["event"]["outcome"] = "failure"
    return doc


def _doc(
    action: str,
    ip: str | None,
    mac: str | None,
    host: str | None,
    others: tuple[str | None, ...] = (),
) -> Event:
    """The fields every lease message has: the client as Elastic's pfSense integration maps it
    (`client` and `source` both the leased address, the MAC and host name)."""
    client: dict[str, Any] = {}
    dhcpd: dict[str, Any] = {}
    related: dict[str, list[str]] = {}
    if ip and (address := ip_or_none(ip)) and address != "0.0.0.0":  # 0.0.0.0: none yet
        client["ip"] = address
        dhcpd["ip"] = ip
    if addresses := sorted({a for a in (client.get("ip"), *others) if a}):
        related["ip"] = addresses
    if mac:
        dhcpd["mac"] = mac
        if ecs_mac := mac_or_none(mac):
            client["mac"] = ecs_mac
    if host:
        client["domain"] = host
        dhcpd["hostname"] = host
        related["hosts"] = [host]
    doc: Event = {
        "event": {
            "module": "dhcpd",
            "dataset": DATASET,
            "kind": "event",
            "category": ["network"],
            "type": ["protocol", "info"],
            "action": action,
        },
        "network": {"protocol": "dhcp", "transport": "udp"},
        "dhcpd": dhcpd,
    }
    if related:
        doc["related"] = related
    if client:
        doc["client"] = client
        doc["source"] = dict(client)
    return doc
