"""Citrix NetScaler ADC and Gateway syslog (the appliance's native format) to ECS, under
Elastic's Citrix ADC dataset name (`citrix_adc.log`).

Every native line has one layout (NetScaler's syslog message reference): the appliance's clock
(`03/05/2024:10:00:01 GMT`, month or day first as `dateFormat` sets it, `GMT` or local time), its
name, the packet engine (`0-PPE-0`, `PPE-0` before 12.0), an optional admin partition
(`default`), the feature and message name (`SSLVPN LOGIN`, `AAA LOGIN_FAILED`, `UI
CMD_EXECUTED`), a sequence number and a body of `Key value` pairs separated by ` - `. The
appliance writes no RFC 3164 header of its own (`<134> 03/05/2024:...`); a relay may add one.
Gateway and AAA-TM log-ins, failures and log-outs are `authentication` events that the
brute-force rules count per `source.ip` (the client's public address, `Client_ip`); the
administrators' commands (`UI CMD_EXECUTED`) are configuration events, their `login` an
administrator's log-in. Any other native line keeps its feature, message name, client and
virtual server. CEF (`CEF:0|Citrix|NetScaler|...`, the web application firewall's option) is
the CEF parser's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from collectors.parsers.values import int_or_none, ip_or_none
from soc.model.event import Event, isoformat

DATASET = "citrix_adc.log"
# The packet engine's mark, present in every native line; the dispatcher's test.
MARK = "PPE-"

_HEADER = re.compile(
    r"\s*(?P<clock>\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d)(?: (?P<zone>[A-Z]{2,5}))? +(?P<host>\S+) +"
    r"(?:\d+-)?PPE-\d+ : +(?:(?P<partition>\S+) )?(?P<feature>[A-Z][A-Z0-9_]*) "
    r"(?P<name>[A-Z][A-Z0-9_]*) (?P<seq>\d+)(?: \d+)? : *(?P<body>.*)"
)
# `Key value` or `Key: value` pairs between ` - `; a value is one word or a quoted text.
# Pre-12.0 lines run `SessionId: 651173- User ...` together.
_PAIR = re.compile(
    r"(?:^|\s-\s*|(?<=\d)-\s)(?P<key>[A-Z][A-Za-z_()]*):? +"
    r'(?P<value>"(?:[^"\\]|\\.)*"|\S*[^\s-]|\S)'
)
# Commands that only read: not a change of the configuration.
_READING = ("show ", "sh ", "stat ", "login", "logout", "exit", "help")
_LOGINS = {"LOGIN": "success", "LOGIN_FAILED": "failure", "LOGOUT": "success"}
_LOGIN_FEATURES = frozenset({"SSLVPN", "AAA", "AAATM"})


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a native NetScaler line; None for any other text."""
    header = _HEADER.match(message)
    if header is None:
        return None
    fields = {m["key"]: _unquote(m["value"]) for m in _PAIR.finditer(header["body"])}
    feature, name = header["feature"], header["name"]
    doc: Event = {
        "event": {"module": "citrix_adc", "dataset": DATASET, "kind": "event"},
        "observer": {
            "vendor": "Citrix",
            "product": "NetScaler",
            "type": "vpn",
            "name": header["host"],
        },
        "citrix_adc": {"log": {"feature": feature, "message_name": name}},
    }
    if moment := _moment(header["clock"], header["zone"]):
        doc["@timestamp"] = moment
    vendor = doc["citrix_adc"]["log"]
    if header["partition"]:
        vendor["partition"] = header["partition"]
    if session := fields.get("SessionId"):
        vendor["session_id"] = session
    related_ip: list[str] = []
    client = ip_or_none(fields.get("Client_ip") or fields.get("Remote_ip"))
    if client:
        doc["source"] = {"ip": client}
        related_ip.append(client)
        if nat := ip_or_none(fields.get("Nat_ip")):
            doc["source"]["nat"] = {"ip": nat}
            related_ip.append(nat)
    if vserver := _endpoint(fields.get("Vserver")):
        doc["destination"] = vserver
        related_ip.append(vserver["ip"])
    user = fields.get("User")
    if user and user not in ("-", "N/A"):
        doc["user"] = _user(user)
        doc["related"] = {"user": [doc["user"]["name"]]}
    if related_ip:
        doc.setdefault("related", {})["ip"] = list(dict.fromkeys(related_ip))
    agent = fields.get("Browser_type") or fields.get("Browser")
    if agent and agent not in ("-", "N/A"):
        doc["user_agent"] = {"original": agent}
    event = doc["event"]
    event["action"] = name
    if feature in _LOGIN_FEATURES and name in _LOGINS:
        event.update(category=["authentication"], type=["end" if name == "LOGOUT" else "start"],
                     outcome=_LOGINS[name])  # fmt: skip
        if reason := fields.get("Failure_reason"):
            event["reason"] = reason
            doc["error"] = {"message": reason}
    elif feature == "UI" and name == "CMD_EXECUTED" and (command := fields.get("Command")):
        _command(doc, command, fields.get("Status"))
    return doc


def _command(doc: Event, command: str, status: str | None) -> None:
    """An administrator's command (CLI, GUI or NITRO API); `login` is their log-in, refused
    with a Status of `ERROR: ...`."""
    doc["citrix_adc"]["log"]["command"] = command
    event = doc["event"]
    if status:
        event["outcome"] = "success" if status == "Success" else "failure"
        if status.startswith("ERROR"):
            reason = status.removeprefix("ERROR:").strip()
            event["reason"] = reason
            doc["error"] = {"message": reason}
    verb = command.split(" ", 1)[0].lower()
    if verb == "login":
        event.update(category=["authentication"], type=["start"], action="admin-login")
    elif verb == "logout":
        event.update(category=["authentication"], type=["end"], action="admin-logout")
    elif command.lower().startswith(_READING):
        event.update(category=["configuration"], type=["access"])
    else:
        event.update(category=["configuration"], type=["change"])


def _moment(clock: str, zone: str | None) -> str | None:
    """The appliance's clock when it is written in GMT (month first unless the day cannot be a
    month); local time is left to the syslog header, which knows the sender's zone."""
    if zone != "GMT":
        return None
    first, second = int(clock[:2]), int(clock[3:5])
    layout = "%d/%m/%Y:%H:%M:%S" if first > 12 >= second else "%m/%d/%Y:%H:%M:%S"
    try:
        return isoformat(datetime.strptime(clock, layout).replace(tzinfo=UTC))
    except ValueError:
        return None


def _endpoint(text: str | None) -> dict | None:
    """`192.0.2.10:443` (a virtual server) as an address and a port."""
    if not text:
        return None
    address, _, port = text.rpartition(":")
    if (ip := ip_or_none(address.strip("[]"))) is None:
        return None
    doc: dict = {"ip": ip}
    if (number := int_or_none(port)) is not None and number <= 65535:
        doc["port"] = number
    return doc


def _user(text: str) -> dict[str, str]:
    """`DOMAIN\\user` or `user@domain` as the name and its domain."""
    domain, sep, name = text.partition("\\")
    if sep and domain and name:
        return {"name": name, "domain": domain}
    name, sep, domain = text.partition("@")
    if sep and name and domain:
        return {"name": name, "domain": domain}
    return {"name": text}


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value
