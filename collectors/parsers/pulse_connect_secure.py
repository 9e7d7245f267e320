"""Ivanti Connect Secure (formerly Pulse Connect Secure, Juniper SSL VPN) syslog to ECS, under
Elastic's dataset name for it (`pulse_connect_secure.log`).

The appliance sends its event, user access and admin access logs in one of two layouts (Ivanti's
"Logging and Monitoring" guide): the Standard one, `2024-03-05 10:00:01 - ive - [203.0.113.5]
alice(Users)[Staff] - <text>` (clock, node, the session's address, user, realm and roles), and
WELF, `id=firewall time="..." pri=6 fw=<appliance> vpn=<node> user=... realm="..." roles="..."
src=<client> ... msg="AUT24414: <text>"` with the message id before the text. The tag is
`PulseSecure:` (`Juniper:` before 8.2; Ivanti's releases keep it). Log-ins are read from the
text, which is the same in both layouts: `Login succeeded for user/realm (session:...) from
<client> with <agent>.` (AUT24414; ADM... for administrators), `Primary authentication
failed|successful for user/realm from <client>` (AUT24327, AUT24326; `Secondary` for the second
factor), `Login failed using auth server <name> (<type>).  Reason: <reason>` (AUT23457, logged
beside the primary or secondary failure for the same attempt), `Logout from <client> (session:...)`
(AUT22673), `Session timed out ...`. Any other line keeps its message id, user and address.
"""

from __future__ import annotations

import ipaddress
import re

from collectors.parsers.values import ip_or_none
from soc.model.event import Event

DATASET = "pulse_connect_secure.log"
PROGRAMS = frozenset({"pulsesecure", "juniper", "ivanti"})

# An address, not the full stop of the sentence it ends.
_IP = r"(?P<ip>[0-9A-Fa-f:.]*[0-9A-Fa-f])"
_STANDARD = re.compile(
    r"\s*(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - (?P<node>\S+) - \[" + _IP + r"\] "
    r"(?P<user>[^\[]*?)\((?P<realm>[^)]*)\)\[(?P<roles>[^\]]*)\] - (?P<text>.*)"
)
_PAIR = re.compile(r"(\w+)=(\"[^\"]*\"|\S*)")
_CODE = re.compile(r"(?P<code>[A-Z]{3}\d{5}): (?P<text>.*)", re.DOTALL)
_LOGIN = re.compile(
    r"(?:Agent )?[Ll]ogin succeeded for (?P<user>.+?)/(?P<realm>.+?)"
    r"(?: \(session:(?P<session>[^)]*)\))? from " + _IP + r"(?: with (?P<agent>.*?))?\.?$"
)
_STEP = re.compile(
    r"(?P<step>Primary|Secondary) authentication (?P<verdict>successful|failed) for "
    r"(?P<user>.+?)/(?P<realm>.+?) from " + _IP
)
_SERVER_FAILED = re.compile(
    r"Login failed using auth server (?P<server>.*?)\.\s+Reason: (?P<reason>.*)"
)
_LOGIN_FAILED = re.compile(r"Login failed\.\s+Reason: (?P<reason>.*)")
_LOGOUT = re.compile(r"Logout from " + _IP + r"(?: \(session:(?P<session>[^)]*)\))?")
_TIMEOUT = re.compile(
    r"(?:Session timed out|Max session timeout) for (?P<user>.+?)/(?P<realm>.+?) "
)
_SYSTEM = frozenset({"", "System"})


def claims(message: str) -> bool:
    """A line of the appliance without its tag (behind a relay): Standard by its clock and
    ` - node - [`, WELF by its fixed start and `vpn=` node. Slices before any search: every
    untagged line starting with a digit or an `i` is asked."""
    text = message.lstrip() if message[:1] == " " else message
    if text[19:22] == " - ":
        return text[4:5] == "-" and " - [" in text[22:80]
    return text.startswith("id=firewall ") and " vpn=" in text and " realm=" in text


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a Standard or WELF line; None for any other text, which stays plain
    syslog."""
    text = message.strip()
    if text.startswith("id=firewall "):
        return _welf(text)
    if (standard := _STANDARD.match(text)) is None:
        return None
    doc, found = _event(standard["text"], standard["node"])
    _fill(doc, found, user=standard["user"], realm=standard["realm"], roles=standard["roles"],
          ip=standard["ip"])  # fmt: skip
    return doc


def _welf(text: str) -> Event | None:
    head, sep, body = text.partition(' msg="')
    if not sep:
        return None
    fields = {key: value.strip('"') for key, value in _PAIR.findall(head)}
    if "vpn" not in fields:
        return None
    doc, found = _event(body.removesuffix('"'), fields.get("vpn") or None)
    if appliance := ip_or_none(fields.get("fw")):
        doc["observer"]["ip"] = appliance
    if agent := fields.get("agent"):
        doc["user_agent"] = {"original": agent}
    _fill(doc, found, user=fields.get("user", ""), realm=fields.get("realm", ""),
          roles=fields.get("roles", ""), ip=fields.get("src", ""))  # fmt: skip
    return doc


def _event(text: str, node: str | None) -> tuple[Event, dict[str, str | None]]:
    """The event for a message's text (its id and what it says of a log-in), and the user,
    realm, session and client the text names."""
    doc: Event = {
        "event": {"module": "pulse_connect_secure", "dataset": DATASET, "kind": "event"},
        "observer": {"vendor": "Ivanti", "product": "Connect Secure", "type": "vpn"},
        "message": text,
    }
    if node:
        doc["observer"]["name"] = node
    event = doc["event"]
    if coded := _CODE.match(text):
        event["code"] = coded["code"]
        text = coded["text"]
    found: dict[str, str | None] = {}
    if login := _LOGIN.match(text):
        _login(doc, "logged-in", "success", ["start"])
        found = login.groupdict()
        if login["agent"]:
            doc["user_agent"] = {"original": login["agent"]}
    elif step := _STEP.match(text):
        passed = step["verdict"] == "successful"
        action = f"{step['step'].lower()}-authentication-{'succeeded' if passed else 'failed'}"
        _login(doc, action, "success" if passed else "failure", ["info"] if passed else ["start"])
        found = step.groupdict()
    elif failed := _SERVER_FAILED.match(text) or _LOGIN_FAILED.match(text):
        _login(doc, "login-failed", "failure", ["info"], failed["reason"].strip())
    elif logout := _LOGOUT.match(text):
        _login(doc, "logged-out", "success", ["end"])
        found = logout.groupdict()
    elif timeout := _TIMEOUT.match(text):
        _login(doc, "session-timeout", "success", ["end"])
        found = timeout.groupdict()
    return doc, found


def _login(
    doc: Event, action: str, outcome: str, kind: list[str], reason: str | None = None
) -> None:
    doc["event"].update(category=["authentication"], type=kind, action=action, outcome=outcome)
    if reason:
        doc["event"]["reason"] = reason
        doc["error"] = {"message": reason}


def _fill(doc: Event, found: dict[str, str | None], *, user: str, realm: str, roles: str,
          ip: str) -> None:  # fmt: skip
    """User, realm and client: the text's own (`for alice/Users from <client>`) before the
    layout's columns, which name `System` and the appliance itself for its own lines."""
    user = found.get("user") or user.strip()
    realm = found.get("realm") or realm.strip()
    client = _address(found.get("ip")) or _address(ip)
    vendor = {"realm": realm, "session_id": found.get("session")}
    if vendor := {key: value for key, value in vendor.items() if value}:
        doc["pulse_connect_secure"] = vendor
    related: dict[str, list[str]] = {}
    if user not in _SYSTEM:
        domain, sep, name = user.partition("\\")
        doc["user"] = (
            {"name": name, "domain": domain} if sep and domain and name else {"name": user}
        )
        if role_names := [r.strip() for r in roles.split(",") if r.strip()]:
            doc["user"]["roles"] = role_names
        related["user"] = [doc["user"]["name"]]
    if client:
        doc["source"] = {"ip": client}
        related["ip"] = [client]
    if related:
        doc["related"] = related


def _address(text: str | None) -> str | None:
    """The client's address; an IPv4 client written as `::ffff:a.b.c.d` as its IPv4 address."""
    ip = ip_or_none(text)
    if ip is not None and ip.startswith("::ffff:"):
        mapped = ipaddress.IPv6Address(ip).ipv4_mapped
        return str(mapped) if mapped else ip
    return ip
