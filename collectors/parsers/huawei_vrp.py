"""Huawei VRP router, switch and firewall messages (`%%01MODULE/SEVERITY/BRIEF(l)[seq]:text`) to
ECS (`event.dataset: huawei.vrp`).

VRP's information centre writes a module, a severity and a brief name per message, then a
sentence and, in parentheses, `Key=Value` parameters (`(Ip=10.1.1.5, User=admin,
Command="undo info-center enable")`); VRP 8 puts a `CID=0x...;` before the sentence. The
parameters are kept as `huawei.vrp.parameters`, and the user and address that name the actor
go to ECS. `event.original` keeps the message from the `%%` on, as SigmaHQ's Huawei rules search
the whole line for brief names such as `BGP_AUTH_FAILED`.
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
_ADDRESS_KEYS = ("Ip", "IP", "IpAddress", "IPAddress", "SourceIP", "SrcIp", "UserAddress")


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
    if parameters := _parameters(text):
        vrp["parameters"] = parameters
        if user := next((parameters[k] for k in _USER_KEYS if parameters.get(k)), None):
            doc["user"] = {"name": user}
        if address := next((parameters[k] for k in _ADDRESS_KEYS if parameters.get(k)), None):
            doc["source"] = endpoint(address)
    return doc


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
