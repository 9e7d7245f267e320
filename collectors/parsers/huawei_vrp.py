"""Huawei VRP router, switch and firewall messages (`%%01MODULE/SEVERITY/BRIEF(l)[seq]:text`) to
ECS (`event.dataset: huawei.vrp`).

VRP's information centre writes a module, a severity and a brief name per message, then a
sentence and, in parentheses, `Key=Value` parameters (`(Ip=10.1.1.5, User=admin,
Command="undo info-center enable")`); VRP 8 puts a `CID=0x...;` before the sentence. The
parameters are kept as `huawei.vrp.parameters`, and the user and address that name the actor
go to ECS. `event.original` keeps the message from the `%%` on, as SigmaHQ's Huawei rules search
the whole line for brief names such as `BGP_AUTH_FAILED`.

Management log-ins become ECS authentication events, as Cisco IOS's SEC_LOGIN lines do: the SSH
server's `SSH/5/SSH_USER_LOGIN`, `SSH_USER_LOGIN_FAIL` and `SSH_USER_LOGOUT` (VRP 8 and the
USG firewalls; `(ServiceType=..., UserName=..., UserAddress=... | IPAddress=...)`) and the
command line's `LOGIN`, `LOGINFAILED` and `LOGOUT` (module `SHELL` on VRP 5, `CLI` on VRP 8,
which log Telnet and console log-ins too: `UserType`/`AccessType` name the way in). The
brute-force rules count them per client address.
"""

from __future__ import annotations

import re

from collectors.parsers.values import endpoint
from soc.model.event import Event

DATASET = "huawei.vrp"
_TAG = re.compile(
    r"\s*%%(?P<version>\d{2})(?P<module>[A-Za-z0-9_-]+)/(?P<severity>[0-7])/(?P<brief>[A-Za-z0-9_]+)"
    r"(?:\((?P<kind>[a-z])\))?(?:\[(?P<sequence>\d+)\])?:\s?(?:CID=0x[0-9A-Fa-f]+;)?"
)
_PAIR = r"([\w.-]+)=(\"(?:[^\"\\]|\\.)*\"|[^,()\"]*)"
# Pairs separated by commas (a value holds none unless quoted): one way to split a list, so no
# backtracking blow-up on a hostile line.
_PARAMETERS = re.compile(rf"\(\s*({_PAIR}(?:\s*,\s*{_PAIR})*)\s*\)\s*$")
_PAIRS = re.compile(_PAIR)
_LEVELS = ("emergency", "alert", "critical", "error", "warning", "notification",
           "informational", "debug")  # fmt: skip
_KINDS = {"l": "log", "s": "security", "d": "diagnostic", "t": "trap"}
_USER_KEYS = ("User", "UserName", "Username", "USER")
_ADDRESS_KEYS = ("Ip", "IP", "IpAddress", "IPAddress", "SourceIP", "SrcIp", "UserAddress",
                 "RemoteIp")  # fmt: skip
_UNKNOWN = frozenset({"", "**"})
"""What VRP writes for a user or address it does not know (password-only and console log-ins)."""
# Log-in brief -> (event.type, event.outcome), in the modules below only (other modules have
# briefs named LOGIN too: a portal's, a routing peer's).
_LOGINS: dict[str, tuple[str, str]] = {
    "SSH_USER_LOGIN": ("start", "success"), "SSH_USER_LOGIN_FAIL": ("start", "failure"),
    "SSH_USER_LOGOUT": ("end", "success"), "LOGIN": ("start", "success"),
    "LOGINFAILED": ("start", "failure"), "LOGOUT": ("end", "success"),
}  # fmt: skip
_LOGIN_MODULES = frozenset({"SSH", "SHELL", "CLI"})
_ACCESS_KEYS = ("UserType", "AccessType")
# The command line's names for the way in, as ECS `network.protocol` names protocols.
_PROTOCOLS = {"ssh": "ssh", "stelnet": "ssh", "telnet": "telnet", "web": "http", "http": "http",
              "https": "https"}  # fmt: skip


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a VRP message; None when it does not start with the `%%` tag."""
    tag = _TAG.match(message)
    if tag is None:
        return None
    text = message[tag.end() :].strip()
    severity = int(tag["severity"])
    code = f"{tag['module']}/{severity}/{tag['brief']}"
    vrp: dict[str, object] = {"module": tag["module"], "brief": tag["brief"]}
    if tag["kind"]:
        vrp["type"] = _KINDS.get(tag["kind"], tag["kind"])
    doc: Event = {
        "event": {"module": "huawei", "dataset": DATASET, "kind": "event", "code": code,
                  "severity": severity, "original": message.strip()},
        "log": {"level": _LEVELS[severity]},
        "observer": {"vendor": "Huawei", "product": "VRP"},
        "huawei": {"vrp": vrp},
        "message": text,
    }  # fmt: skip
    if tag["sequence"]:
        doc["event"]["sequence"] = int(tag["sequence"])
    parameters = _parameters(text)
    if parameters:
        vrp["parameters"] = parameters
        if user := _known(parameters, _USER_KEYS):
            doc["user"] = {"name": user}
        if address := _known(parameters, _ADDRESS_KEYS):
            doc["source"] = endpoint(address)
    if (login := _LOGINS.get(tag["brief"])) and tag["module"] in _LOGIN_MODULES:
        _login(doc, tag["module"], tag["brief"], login, parameters)
    return doc


def _known(parameters: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((parameters[k] for k in keys if parameters.get(k, "") not in _UNKNOWN), None)


def _login(
    doc: Event, module: str, brief: str, login: tuple[str, str], parameters: dict[str, str]
) -> None:
    kind, outcome = login
    doc["event"].update(category=["authentication"], type=[kind], outcome=outcome, action=brief)
    if reason := parameters.get("FailedReason") or parameters.get("Reason"):
        doc["event"]["reason"] = reason
    access = "ssh" if module == "SSH" else (_known(parameters, _ACCESS_KEYS) or "").lower()
    if protocol := _PROTOCOLS.get(access):
        doc["network"] = {"protocol": protocol}
    related: dict[str, list[str]] = {}
    if user := doc.get("user", {}).get("name"):
        related["user"] = [user]
    if address := doc.get("source", {}).get("ip"):
        related["ip"] = [address]
    if related:
        doc["related"] = related


def _parameters(text: str) -> dict[str, str]:
    """The trailing `(Key=Value, ...)` list, quotes taken off."""
    found = _PARAMETERS.search(text)
    if found is None:
        return {}
    pairs = {}
    for key, value in _PAIRS.findall(found.group(1)):
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"')
        pairs[key] = value
    return pairs
