"""ECS fields derived from a Windows event's data, as Winlogbeat's Sysmon and Security modules
derive them.

Sigma rules read `winlog.event_data.*` (and `process.*` for process creation); these ECS fields
serve everything else: alert entities (`source.ip`, `user.name`), agency tagging, searches and
the UI show the same `process.executable` or `source.ip` whether the event came from Windows, a
firewall or a flow. Fields the sender already set (Winlogbeat's own modules) are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from collectors.parsers.values import int_or_none, ip_or_none, object_field
from soc.model.event import Event

SYSMON_CHANNELS = frozenset({"microsoft-windows-sysmon/operational", "linux-sysmon/operational"})
_HASH_NAMES = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "imphash": "imphash"}
_FILE_EVENTS = frozenset({"2", "11", "15", "23", "26", "27", "28", "29"})
_REGISTRY_EVENTS = frozenset({"12", "13", "14"})
# Security events about a logon by the account in Target*, from the address in IpAddress.
_LOGON_EVENTS = frozenset({"4624", "4625", "4634", "4647", "4648", "4672", "4768", "4769",
                           "4771", "4776"})  # fmt: skip
_FAILURE_EVENTS = frozenset({"4625", "4771"})


def derive_ecs(doc: Event, channel: str, event_id: str, data: Mapping[str, Any]) -> None:
    """Fill the ECS fields this event's data implies (see the module docstring)."""
    channel = channel.lower()
    if channel in SYSMON_CHANNELS:
        _sysmon(doc, event_id, data, linux=channel.startswith("linux"))
    elif channel == "security":
        if event_id == "4688":
            _security_process_creation(doc, data)
        elif event_id in _LOGON_EVENTS:
            _security_logon(doc, event_id, data)


def _sysmon(doc: Event, event_id: str, data: Mapping[str, Any], *, linux: bool) -> None:
    path = PurePosixPath if linux else PureWindowsPath
    if event_id == "1":
        _sysmon_process_creation(doc, data, path)
    else:
        merge(
            doc,
            "process",
            _process(
                path,
                executable=data.get("Image"),
                pid=int_or_none(data.get("ProcessId")),
                entity_id=data.get("ProcessGuid"),
            ),
        )
    _user(doc, data.get("User"))
    if event_id == "3":
        _endpoint(doc, "source", data.get("SourceIp"), data.get("SourcePort"))
        _endpoint(doc, "destination", data.get("DestinationIp"), data.get("DestinationPort"))
        if isinstance(protocol := data.get("Protocol"), str) and protocol:
            merge(doc, "network", {"transport": protocol.lower()})
    elif event_id == "22" and data.get("QueryName"):
        merge(doc, "dns", {"question": {"name": data["QueryName"]}})
    elif event_id in _FILE_EVENTS and isinstance(target := data.get("TargetFilename"), str):
        merge(doc, "file", {"path": target, "name": path(target).name})
    elif event_id in _REGISTRY_EVENTS and data.get("TargetObject"):
        merge(doc, "registry", {"path": data["TargetObject"]})


def _sysmon_process_creation(doc: Event, data: Mapping[str, Any], path: type[Any]) -> None:
    process = _process(
        path,
        executable=data.get("Image"),
        command_line=data.get("CommandLine"),
        pid=int_or_none(data.get("ProcessId")),
        entity_id=data.get("ProcessGuid"),
        working_directory=data.get("CurrentDirectory"),
    )
    parent = _process(
        path,
        executable=data.get("ParentImage"),
        command_line=data.get("ParentCommandLine"),
        pid=int_or_none(data.get("ParentProcessId")),
        entity_id=data.get("ParentProcessGuid"),
    )
    if parent:
        process["parent"] = parent
    pe = {"original_file_name": data["OriginalFileName"]} if data.get("OriginalFileName") else {}
    hashes = _hashes(data.get("Hashes"))
    if "imphash" in hashes:
        pe["imphash"] = hashes.pop("imphash")
    if hashes:
        process["hash"] = hashes
    if pe:
        process["pe"] = pe
    merge(doc, "process", process)


def _security_process_creation(doc: Event, data: Mapping[str, Any]) -> None:
    """4688 writes process ids in hex; the creator's `ProcessId` is the parent."""
    process = _process(
        PureWindowsPath,
        executable=data.get("NewProcessName"),
        command_line=data.get("CommandLine"),
        pid=int_or_none(data.get("NewProcessId"), base=16),
    )
    parent = _process(
        PureWindowsPath,
        executable=data.get("ParentProcessName"),
        pid=int_or_none(data.get("ProcessId"), base=16),
    )
    if parent:
        process["parent"] = parent
    merge(doc, "process", process)
    user = {"name": data.get("SubjectUserName"), "domain": data.get("SubjectDomainName")}
    merge(doc, "user", {k: v for k, v in user.items() if _meaningful(v)})


def _security_logon(doc: Event, event_id: str, data: Mapping[str, Any]) -> None:
    """The account logging on (Target*) and where from: what brute-force and lateral-movement
    alerts are about."""
    user = {"name": data.get("TargetUserName"), "domain": data.get("TargetDomainName")}
    merge(doc, "user", {k: v for k, v in user.items() if _meaningful(v)})
    _endpoint(doc, "source", data.get("IpAddress"), data.get("IpPort"))
    if _meaningful(workstation := data.get("WorkstationName")):
        merge(doc, "source", {"domain": workstation})
    event = object_field(doc, "event")
    event.setdefault("category", ["authentication"])
    event.setdefault("outcome", "failure" if event_id in _FAILURE_EVENTS else "success")


def _endpoint(doc: Event, key: str, address: Any, port: Any) -> None:
    """Windows writes `::ffff:10.1.2.3` for IPv4 peers and `-` for none."""
    text = str(address or "").removeprefix("::ffff:")
    if (ip := ip_or_none(text)) is None:
        return
    endpoint: dict[str, Any] = {"ip": ip}
    if (number := int_or_none(port)) is not None and 0 < number < 65536:
        endpoint["port"] = number
    merge(doc, key, endpoint)


def _user(doc: Event, value: Any) -> None:
    """Sysmon's `DOMAIN\\name` as ECS user.domain and user.name."""
    domain, _, name = str(value or "").rpartition("\\")
    merge(doc, "user", {k: v for k, v in (("name", name), ("domain", domain)) if v})


def _process(
    path: Callable[[str], Any], *, executable: Any = None, pid: int | None = None, **text: Any
) -> dict[str, Any]:
    """Every text the event carries, empty too: Sigma tells `CommandLine: ''` (4688 without
    command-line auditing writes that) from `CommandLine: null` (no such field), and rules read
    these ECS fields for CommandLine, Image and their parents'."""
    process: dict[str, Any] = {k: v for k, v in text.items() if isinstance(v, str)}
    if isinstance(executable, str):
        process["executable"] = executable
        if executable:
            process["name"] = path(executable).name
    if pid is not None:
        process["pid"] = pid
    return process


def _hashes(value: Any) -> dict[str, str]:
    """Sysmon's `SHA1=..,MD5=..,IMPHASH=..` to ECS hash names, lower case."""
    hashes: dict[str, str] = {}
    for item in str(value or "").split(","):
        name, _, digest = item.partition("=")
        if (ecs := _HASH_NAMES.get(name.strip().lower())) and digest.strip():
            hashes[ecs] = digest.strip().lower()
    return hashes


def _meaningful(value: Any) -> bool:
    """Windows writes `-` (or nothing) where a field does not apply."""
    return isinstance(value, str) and value not in ("", "-")


def merge(doc: Event, key: str, values: dict[str, Any]) -> None:
    """Fields the sender already set (Winlogbeat's own modules) are kept."""
    if not values:
        return
    target = object_field(doc, key)
    for name, value in values.items():
        if isinstance(value, dict) and isinstance(target.get(name), dict):
            for sub, sub_value in value.items():
                target[name].setdefault(sub, sub_value)
        else:
            target.setdefault(name, value)
