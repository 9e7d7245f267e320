"""PAN-OS log types about people and the device rather than sessions: GLOBALPROTECT (9.1+),
SYSTEM, CONFIG, AUTHENTICATION, USERID and HIPMATCH, for `panos` to fill its documents with.

The field orders are Palo Alto's "Syslog Field Descriptions" (PAN-OS 9.1 to 11.x and the current
Next-Generation Firewall pages); columns after the seven `panos._HEAD` ones. The VPN log-ins of a
firewall are what password spraying aims at: before 9.1 GlobalProtect wrote them as SYSTEM logs
whose description holds the client's address and user (`Login from: ..., User name: ...`), read
here into the same fields as a GLOBALPROTECT log's columns.
"""

from __future__ import annotations

import re

from collectors.parsers.values import endpoint, ip_or_none, mac_or_none
from soc.model.event import Event

_DEVICE = ("sequence_number", "action_flags", "device_group_hierarchy1",
           "device_group_hierarchy2", "device_group_hierarchy3", "device_group_hierarchy4",
           "vsys_name", "device_name")  # fmt: skip
_GLOBALPROTECT = ("virtual_sys", "event_id", "stage", "auth_method", "tunnel_type", "source_user",
                  "source_region", "machine_name", "public_ip", "public_ipv6", "private_ip",
                  "private_ipv6", "host_id", "endpoint_serial_number", "client_version",
                  "client_os", "client_os_version", "repeat_count", "reason", "error",
                  "description", "status", "location", "login_duration", "connect_method",
                  "error_code", "portal", "sequence_number", "action_flags", "high_res_timestamp",
                  "selection_type", "response_time", "priority", "attempted_gateways", "gateway",
                  *_DEVICE[2:], "vsys_id", "cluster_name")  # fmt: skip
_SYSTEM = ("virtual_sys", "event_id", "object", None, None, "module", "severity", "description",
           *_DEVICE, None, None, "high_res_timestamp")  # fmt: skip
_CONFIG = ("host", "virtual_sys", "command", "admin", "client", "result", "path",
           "before_change_detail", "after_change_detail", *_DEVICE, "device_group",
           "audit_comment", None, "high_res_timestamp")  # fmt: skip
_AUTHENTICATION = ("virtual_sys", "source_ip", "source_user", "normalize_user", "object",
                   "auth_policy", "repeat_count", "auth_id", "vendor", "log_action",
                   "server_profile", "description", "client_type", "event_type", "factor_number",
                   *_DEVICE, "vsys_id", "auth_protocol", "rule_uuid", "high_res_timestamp",
                   "source_device_category", "source_device_profile", "source_device_model",
                   "source_device_vendor", "source_device_os_family", "source_device_os_version",
                   "source_hostname", "source_mac", "region", None, "user_agent", "session_id",
                   "cluster_name")  # fmt: skip
_USERID = ("virtual_sys", "source_ip", "source_user", "data_source_name", "event_id",
           "repeat_count", "timeout", "source_port", "destination_port", "data_source",
           "data_source_type", *_DEVICE, "vsys_id", "factor_type", "factor_completion_time",
           "factor_number", "user_group_flags", "user_by_source", "tag_name",
           "high_res_timestamp", "origin_data_source", None, "cluster_name")  # fmt: skip
_HIPMATCH = ("source_user", "virtual_sys", "machine_name", "os", "source_ip", "hip",
             "repeat_count", "hip_type", None, None, *_DEVICE, "vsys_id", "source_ipv6",
             "host_id", "user_device_serial_number", "device_mac",
             "high_res_timestamp")  # fmt: skip
FIELDS: dict[str, tuple[str | None, ...]] = {
    "GLOBALPROTECT": _GLOBALPROTECT,
    "SYSTEM": _SYSTEM,
    "CONFIG": _CONFIG,
    "AUTHENTICATION": _AUTHENTICATION,
    "AUTH": _AUTHENTICATION,  # the type as Strata Logging Service forwards it
    "USERID": _USERID,
    "HIPMATCH": _HIPMATCH,
}
# A CONFIG line written without the before/after columns (older releases' default format): the
# sequence number and the action flags (`0x...`) right after the path.
_CONFIG_SHORT = (*_CONFIG[:7], *_DEVICE)
MINIMUM_COLUMNS = 3
"""Columns a line must have after the seven common ones to be read; fewer is not a PAN-OS log."""
SEVERITIES = {"critical": 1, "high": 2, "medium": 3, "low": 4, "informational": 5}
# `Key: value` pairs of a SYSTEM description (`Login from: 203.0.113.9, User name: alice`); a
# value may hold `, ` (`Microsoft Windows 10 Pro , 64-bit`) but no `, Key: `.
_PAIR = re.compile(r"[.,]\s+([A-Z][A-Za-z]*(?: [A-Za-z]+){0,3}): ")
_QUOTED_USER = re.compile(r"\buser '([^']*)'")
_ADMIN_SESSION = re.compile(r"User (\S+) logged (in|out) via (\S+) from (\S+?)\.?(?: using |$)")
_RESULTS = {"succeeded": "success", "failed": "failure", "unauthorized": "failure"}


def fill(doc: Event, raw: dict[str, str], kind: str) -> None:
    """The ECS fields of a line of `kind` (a key of FIELDS) into `doc`, from its named columns."""
    _FILLERS[kind](doc, raw)
    if severity := raw.get("severity"):
        doc["log"] = {"level": severity}
        if severity in SEVERITIES:
            doc["event"]["severity"] = SEVERITIES[severity]
    if description := raw.get("description"):
        doc["message"] = description
    _relate(doc)


def config_names(row: list[str]) -> tuple[str | None, ...]:
    """CONFIG column names for this row, with the before/after columns or without them."""
    if len(row) > 15 and row[14].isdigit() and row[15].startswith("0x"):
        return _CONFIG_SHORT
    return _CONFIG


def _globalprotect(doc: Event, raw: dict[str, str]) -> None:
    event_id = raw.get("event_id", "").lower()
    doc["event"].update(kind="event", **_gp_category(event_id))
    if event_id:
        doc["event"]["action"] = event_id
    if (status := raw.get("status", "").lower()) in ("success", "failure"):
        doc["event"]["outcome"] = status
    _source(doc, raw.get("public_ip") or raw.get("public_ipv6"),
            raw.get("private_ip") or raw.get("private_ipv6"))  # fmt: skip
    _user(doc, raw.get("source_user"))
    _host(doc, raw.get("machine_name"), raw.get("client_os"), raw.get("client_os_version"))
    if raw.get("reason"):
        doc["event"]["reason"] = raw["reason"]
    error = {"message": raw["error"]} if raw.get("error") else {}
    if raw.get("error_code", "0") != "0":
        error["code"] = raw["error_code"]
    if error:
        doc["error"] = error


def _gp_category(event_id: str) -> dict[str, list[str]]:
    """`portal-auth`/`gateway-auth` (before 9.1 `globalprotectgateway-auth-fail`) are log-ins; a
    gateway's `register`/`connected` the tunnel coming up, `logout` it going down."""
    if event_id.endswith("-auth") or "-auth-" in event_id:
        return {"category": ["authentication"], "type": ["start"]}
    if "logout" in event_id:
        return {"category": ["session"], "type": ["end"]}
    if "regist" in event_id or event_id.endswith("-connected"):
        return {"category": ["session"], "type": ["start"]}
    return {"category": ["session"], "type": ["info"]}


def _system(doc: Event, raw: dict[str, str]) -> None:
    event_id = raw.get("event_id", "").lower()
    description = raw.get("description", "")
    event = doc["event"]
    event.update(kind="event", category=["host"], type=["info"])
    if event_id:
        event["action"] = event_id
    if event_id.startswith("globalprotect"):  # before 9.1: `globalprotectgateway-auth-fail`
        event.update(_gp_category(event_id))
        if event_id.endswith(("-succ", "-fail")):
            event["outcome"] = "success" if event_id.endswith("-succ") else "failure"
        pairs = _pairs(description)
        _source(doc, pairs.get("login from"), pairs.get("private ip"))
        _user(doc, pairs.get("user name"))
        _host(doc, pairs.get("device name"), None, pairs.get("client os version"))
        if pairs.get("reason"):
            event["reason"] = pairs["reason"]
    elif event_id in ("auth-success", "auth-fail"):  # an administrator's log-in
        event.update(category=["authentication"], type=["start"],
                     outcome="success" if event_id == "auth-success" else "failure")  # fmt: skip
        pairs = _pairs(description)
        _source(doc, pairs.get("from"), None)
        if user := _QUOTED_USER.search(description):
            _user(doc, user[1])
        if pairs.get("reason"):  # then `auth profile '...', vsys '...'` in 10.x
            event["reason"] = pairs["reason"].split(". ", 1)[0]
    elif session := _ADMIN_SESSION.match(description):  # `User admin logged in via Web from ...`
        event.update(category=["authentication"], outcome="success",
                     type=["start"] if session[2] == "in" else ["end"])  # fmt: skip
        _user(doc, session[1])
        _source(doc, session[4], None)


def _config(doc: Event, raw: dict[str, str]) -> None:
    doc["event"].update(kind="event", category=["configuration"], type=["change"])
    if command := raw.get("command"):
        doc["event"]["action"] = command.lower()
    if outcome := _RESULTS.get(raw.get("result", "").lower()):
        doc["event"]["outcome"] = outcome
    if host := endpoint(raw.get("host")):
        doc["source"] = host
    _user(doc, raw.get("admin"))


def _authentication(doc: Event, raw: dict[str, str]) -> None:
    event_type = raw.get("event_type", "").lower()
    doc["event"].update(kind="event", category=["authentication"], type=["start"])
    if event_type:
        doc["event"]["action"] = event_type.replace(" ", "-")
    if "success" in event_type:
        doc["event"]["outcome"] = "success"
    elif "fail" in event_type or "timeout" in event_type:
        doc["event"]["outcome"] = "failure"
    else:  # a challenge sent, a factor asked for: a step of the log-in, not its verdict
        doc["event"]["type"] = ["info"]
    _source(doc, raw.get("source_ip"), None)
    if mac := mac_or_none(raw.get("source_mac")):
        doc.setdefault("source", {})["mac"] = mac
    _user(doc, raw.get("normalize_user") or raw.get("source_user"))
    if raw.get("auth_policy"):
        doc.setdefault("rule", {})["name"] = raw["auth_policy"]
    if raw.get("user_agent"):
        doc["user_agent"] = {"original": raw["user_agent"]}


def _userid(doc: Event, raw: dict[str, str]) -> None:
    """A mapping of an address to a user, learnt from a domain controller, a probe or a
    GlobalProtect log-in: a session of that user seen, not a log-in the firewall checked."""
    sub_type = raw["sub_type"].lower()
    types = {"login": ["start"], "logout": ["end"]}.get(sub_type, ["info"])
    doc["event"].update(kind="event", category=["session"], type=types)
    if sub_type:
        doc["event"]["action"] = sub_type
    _source(doc, raw.get("source_ip"), None)
    _user(doc, raw.get("source_user"))


def _hipmatch(doc: Event, raw: dict[str, str]) -> None:
    doc["event"].update(kind="event", category=["host"], type=["info"], action="hip-match")
    _source(doc, raw.get("source_ip") or raw.get("source_ipv6"), None)
    _user(doc, raw.get("source_user"))
    _host(doc, raw.get("machine_name"), raw.get("os"), None)
    if (mac := mac_or_none(raw.get("device_mac"))) and "host" in doc:
        doc["host"]["mac"] = [mac]
    if raw.get("hip"):
        doc["rule"] = {"name": raw["hip"]}


_FILLERS = {"GLOBALPROTECT": _globalprotect, "SYSTEM": _system, "CONFIG": _config,
            "AUTHENTICATION": _authentication, "AUTH": _authentication, "USERID": _userid,
            "HIPMATCH": _hipmatch}  # fmt: skip


def _pairs(text: str) -> dict[str, str]:
    """`Key: value` pairs of a description, keys in lower case, values without the final dot."""
    parts = _PAIR.split(f". {text}")
    return {key.lower(): value.strip().rstrip(".").strip()
            for key, value in zip(parts[1::2], parts[2::2], strict=True)}  # fmt: skip


def _source(doc: Event, address: str | None, tunnel: str | None) -> None:
    """The client's own (public) address, and the tunnel address the VPN gave it as `source.nat`,
    where the OpenVPN parser puts a client's pool address. A description may write the client
    as `address:port`."""
    ip = ip_or_none(address)
    if ip is None and address and address.count(":") == 1:
        ip = ip_or_none(address.partition(":")[0])
    source = {"ip": ip} if ip and ip not in ("0.0.0.0", "::") else {}
    if (nat := ip_or_none(tunnel)) and nat not in ("0.0.0.0", "::"):
        source["nat"] = {"ip": nat}
    if source:
        doc.setdefault("source", {}).update(source)


def _user(doc: Event, text: str | None) -> None:
    """`DOMAIN\\name` or `name@domain` (SAML and RADIUS users are often UPNs) as ECS name and
    domain, as the Windows parser reads accounts; `pre-logon` is GlobalProtect's, not a user."""
    if not text or text.lower() == "pre-logon":
        return
    domain, _, name = text.rpartition("\\")
    if not domain and "@" in name:
        name, _, domain = name.partition("@")
    if name:
        doc["user"] = {"name": name, **({"domain": domain} if domain else {})}


def _host(doc: Event, name: str | None, os_name: str | None, os_version: str | None) -> None:
    """The client's machine as `host`: only with its name, since `host.name` would otherwise be
    the firewall's (from the syslog header) and the OS would seem to be the firewall's. The OS
    version is a number (`10.15.7`) or, from Windows clients, the whole name
    (`Microsoft Windows 10 Pro , 64-bit`), which is ECS's `os.full`."""
    if not name:
        return
    os = {"name": os_name} if os_name else {}
    if os_version:
        os["version" if os_version[0].isdigit() else "full"] = os_version
    doc["host"] = {"name": name, **({"os": os} if os else {})}


def _relate(doc: Event) -> None:
    source = doc.get("source", {})
    ips = [ip for ip in (source.get("ip"), source.get("nat", {}).get("ip")) if ip]
    related = {"ip": ips} if ips else {}
    if "user" in doc:
        related["user"] = [doc["user"]["name"]]
    if related:
        doc["related"] = related
