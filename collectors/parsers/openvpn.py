"""OpenVPN server lines (Linux, pfSense, OPNsense over syslog) to ECS (`event.dataset:
openvpn.log`), field names after Elastic's pfSense integration where it has them.

OpenVPN names the client a line is about before the text: `203.0.113.5:51234` until the client
has a common name, then `alice/203.0.113.5:51234` (IPv6 peers as `2001:db8::5:51234`, IPv4 peers
of a dual-stack socket as `::ffff:203.0.113.5:51234`; 2.7 adds the socket, `udp4-server:` or
`tcp6-server:[2001:db8::5]:51234`). Run without `--syslog` under systemd or a supervisor that
forwards its output, OpenVPN puts its own clock first (`Tue Mar  3 10:00:00 2026 us=123456 `, or
`2026-03-03 10:00:00 `), which is passed over. Log-ins and failures are `authentication`
events a brute-force rule can count per `source.ip`; a session's start and end are `network`
connection events; any other line about a client is a connection `info` event, so that the
client's address is searchable. pfSense's and OPNsense's user/password script logs under the
same tag without a client: `user 'bob' authenticated`, `user 'bob' could not authenticate.`.
"""

from __future__ import annotations

import ipaddress
import re

from collectors.parsers.values import ip_or_none
from soc.model.event import Event

DATASET = "openvpn.log"
# `ovpn-server`: Debian's init script runs each configuration as `--daemon ovpn-<name>`.
_PREFIXES = ("openvpn_", "ovpn-")

# The client the line is about (`[user/]address:port `), lazily up to the last colon of the
# address so that an IPv6 address keeps its own colons; the address is checked afterwards.
_PEER = re.compile(
    r"(?:(?P<user>[^/]+?)/)?(?:(?:udp|tcp)[46]?(?:-server|-client)?:)?"
    r"\[?(?P<ip>[0-9A-Fa-f:.]+?)\]?:(?P<port>\d{1,5}) (?P<text>.+)"
)
_CLOCK = re.compile(
    r"(?:[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
    r"(?: us=\d+)? "
)
# `succeeded`, or `deferred` to a plugin, a script or the management interface, whose verdict
# comes later: a `TLS Auth Error`, or only the `AUTH_FAILED` sent to the client.
_USER_PASS = re.compile(r"TLS: Username/Password authentication (\w+) for username '([^']*)'")
_AUTH_FAILED = re.compile(r"SENT CONTROL \[([^\]]*)\]: '(AUTH_FAILED[^']*)'")
_SIGNAL = re.compile(r"SIG\w+\[\w+,(?P<reason>[^\]]+)\] received, client-instance \w+")
_POOL = re.compile(r"MULTI(?:_sva)?: pool returned IPv4=(?P<v4>[^,]+), IPv6=(?P<v6>\S+)")
_USER_SCRIPT = re.compile(r"user '(?P<user>[^']+)' (?P<verb>authenticated|could not authenticate)")
_FROM = re.compile(r"\[AF_INET6?\](?P<ip>[0-9A-Fa-f:.]+?):(?P<port>\d{1,5})$")
_UNNAMED = frozenset({"UNDEF", "undef"})


def claims(program: str) -> bool:
    """Tags of one OpenVPN instance each: OPNsense's `openvpn_server1`, Debian's `ovpn-server`
    (plain `openvpn` is in the dispatcher's table)."""
    return program.startswith(_PREFIXES)


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an OpenVPN line about a client or a log-in; None for the server's own
    lines (start-up, routes, options), which stay plain syslog events."""
    text = message.strip()
    if clock := _CLOCK.match(text):
        text = text[clock.end() :]
    peer = _PEER.match(text)
    if peer is None or (ip := _address(peer["ip"])) is None:
        return _without_client(text)
    doc = _event(["network"], ["connection", "info"])
    doc["source"] = {"ip": ip, "port": int(peer["port"])}
    related: dict = {"ip": [ip]}
    doc["related"] = related
    user = peer["user"]
    rest = peer["text"]
    if verdict := _USER_PASS.match(rest):
        user = verdict[2] or user
        if verdict[1] == "succeeded":
            _login(doc, success=True)
    elif sent := _AUTH_FAILED.match(rest):
        user = sent[1]
        doc["event"].update(category=["authentication"], type=["info"], action="auth-failed",
                            outcome="failure", reason=sent[2])  # fmt: skip
    elif rest.startswith("TLS Auth Error: "):
        _login(doc, success=False, reason=rest[16:])
    elif rest.startswith("["):
        named, _, after = rest[1:].partition("] ")
        if after.startswith("Peer Connection Initiated with "):
            user = named
            doc["event"]["type"] = ["connection", "start"]
    elif rest.startswith("VERIFY "):
        user = _verify(doc, rest) or user
    elif rest.startswith("TLS Error: "):
        doc["event"].update(outcome="failure", reason=rest[11:])
    elif signal := _SIGNAL.match(rest):
        doc["event"].update(type=["connection", "end"], reason=signal["reason"])
    elif rest.startswith("Connection reset, restarting"):
        doc["event"].update(type=["connection", "end"], reason="connection-reset")
    elif pool := _POOL.match(rest):
        assigned = [a for a in (_address(pool["v4"]), _address(pool["v6"])) if a]
        if assigned:
            doc["source"]["nat"] = {"ip": assigned[0]}
            related["ip"] = [ip, *assigned]
    elif rest.startswith("peer info: "):
        doc["openvpn"] = {"peer_info": rest[11:]}
    if user and user not in _UNNAMED:
        doc["user"] = {"name": user}
        related["user"] = [user]
    return doc


def _without_client(text: str) -> Event | None:
    """The user/password script's verdict, or a packet refused before any client existed."""
    if script := _USER_SCRIPT.match(text):
        doc = _event(["authentication"], ["start"])
        _login(doc, success=script["verb"] == "authenticated")
        doc["user"] = {"name": script["user"]}
        doc["related"] = {"user": [script["user"]]}
        return doc
    if text.startswith("TLS Error: ") and (sender := _FROM.search(text)):
        if (ip := _address(sender["ip"])) is None:
            return None
        doc = _event(["network"], ["connection", "info"])
        doc["event"].update(outcome="failure", reason=text[11:])
        doc["source"] = {"ip": ip, "port": int(sender["port"])}
        doc["related"] = {"ip": [ip]}
        return doc
    return None


def _event(category: list[str], kind: list[str]) -> Event:
    return {
        "event": {
            "module": "openvpn",
            "dataset": DATASET,
            "kind": "event",
            "category": category,
            "type": kind,
        },
        "network": {"protocol": "openvpn"},
    }


def _login(doc: Event, *, success: bool, reason: str | None = None) -> None:
    event = doc["event"]
    event.update(
        category=["authentication"],
        type=["start"],
        action="logged-in" if success else "logon-failed",
        outcome="success" if success else "failure",
    )
    if reason:
        event["reason"] = reason


def _verify(doc: Event, text: str) -> str | None:
    """`VERIFY OK: depth=0, CN=alice` / `VERIFY ERROR: depth=0, error=...: CN=bob`: the client's
    certificate (depth 0; higher depths are its issuers) checked. The certificate's common name,
    which OpenVPN takes as the client's name."""
    verdict, _, detail = text[7:].partition(": depth=")
    depth, _, rest = detail.partition(", ")
    if verdict == "ERROR" and rest.startswith("error="):
        reason, _, subject = rest[6:].partition(": ")
        _login(doc, success=False, reason=reason)
        doc["event"]["action"] = "certificate-rejected"
    elif verdict == "OK":
        subject = rest
        doc["event"].update(category=["authentication"], type=["info"], outcome="success")
        doc["event"]["action"] = "certificate-verified"
    else:
        return None
    return _common_name(subject) if depth == "0" else None


def _common_name(subject: str) -> str | None:
    """The CN of `C=US, O=Example, CN=alice` (OpenVPN 2.4+) or `/C=US/O=Example/CN=alice`."""
    start = subject.rfind("CN=")
    if start < 0:
        return None
    name = re.split(r", |/", subject[start + 3 :], maxsplit=1)[0]
    return name or None


def _address(text: str) -> str | None:
    """The client's address; an IPv4 client of a dual-stack socket as its IPv4 address."""
    ip = ip_or_none(text)
    if ip is not None and ip.startswith("::ffff:"):
        mapped = ipaddress.IPv6Address(ip).ipv4_mapped
        return str(mapped) if mapped else ip
    return ip
