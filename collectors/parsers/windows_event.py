"""The Windows event fields every source agrees on, filled from a Winlogbeat-shaped document.

Winlogbeat JSON, NXLog JSON and EVTX files all end up as `winlog.*` (channel, event_id,
event_data, ...); this module derives the rest once, so a Sigma rule matches the same fields
whichever way the event travelled. Process creation (Sysmon 1, Security 4688) also fills
`process.*` and `user.*` as Winlogbeat's modules do, because most Windows rules are about
processes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import PureWindowsPath
from typing import Any

from collectors.parsers.values import int_or_none, object_field
from soc.model.event import Event, isoformat, parse_timestamp

SYSMON_CHANNEL = "microsoft-windows-sysmon/operational"
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_HASH_NAMES = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "imphash": "imphash"}


def channel_slug(channel: str) -> str:
    """`Microsoft-Windows-Sysmon/Operational` -> `sysmon_operational`, `Security` -> `security`."""
    name = channel.lower().removeprefix("microsoft-windows-")
    return _SLUG_JUNK.sub("_", name).strip("_") or "unknown"


def finish_windows_event(doc: Event) -> Event:
    """Complete a document that carries `winlog.*`: event.*, host.name, process.*, @timestamp.

    Ids and agency fields the sender put in the document are removed: they are assigned here,
    and a forged `organization.id` would otherwise show the event to another agency.
    """
    doc.pop("organization", None)
    if isinstance(doc.get("related"), dict):
        doc["related"].pop("organization_ids", None)
    event = object_field(doc, "event")
    event.pop("id", None)
    event.pop("ingested", None)
    winlog = object_field(doc, "winlog")
    channel = str(winlog.get("channel") or "")
    event.update(module="windows", dataset=f"windows.{channel_slug(channel)}")
    if winlog.get("event_id") is not None:
        winlog["event_id"] = event["code"] = str(winlog["event_id"])
    if winlog.get("computer_name"):
        object_field(doc, "host").setdefault("name", winlog["computer_name"])
    _normalize_timestamp(doc)
    data = winlog.get("event_data")
    if isinstance(data, Mapping):
        if channel.lower() == SYSMON_CHANNEL and winlog.get("event_id") == "1":
            _sysmon_process_creation(doc, data)
        elif channel.lower() == "security" and winlog.get("event_id") == "4688":
            _security_process_creation(doc, data)
    return doc


def _normalize_timestamp(doc: Event) -> None:
    """ISO 8601 UTC with `Z`, like every other event; an unreadable value gives way to the
    receive time rather than a string the store cannot sort."""
    value = doc.pop("@timestamp", None)
    if isinstance(value, str):
        with contextlib.suppress(ValueError, OverflowError):
            doc["@timestamp"] = isoformat(parse_timestamp(value))


def _sysmon_process_creation(doc: Event, data: Mapping[str, Any]) -> None:
    process = _process(
        executable=data.get("Image"),
        command_line=data.get("CommandLine"),
        pid=int_or_none(data.get("ProcessId")),
        entity_id=data.get("ProcessGuid"),
        working_directory=data.get("CurrentDirectory"),
    )
    parent = _process(
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
    _merge(doc, "process", process)
    domain, _, name = str(data.get("User") or "").rpartition("\\")
    _merge(doc, "user", {k: v for k, v in (("name", name), ("domain", domain)) if v})


def _security_process_creation(doc: Event, data: Mapping[str, Any]) -> None:
    """4688 writes process ids in hex; the creator's `ProcessId` is the parent."""
    process = _process(
        executable=data.get("NewProcessName"),
        command_line=data.get("CommandLine"),
        pid=int_or_none(data.get("NewProcessId"), base=16),
    )
    parent = _process(
        executable=data.get("ParentProcessName"),
        pid=int_or_none(data.get("ProcessId"), base=16),
    )
    if parent:
        process["parent"] = parent
    _merge(doc, "process", process)
    user = {"name": data.get("SubjectUserName"), "domain": data.get("SubjectDomainName")}
    _merge(doc, "user", {k: v for k, v in user.items() if v})


def _process(*, executable: Any = None, pid: int | None = None, **text: Any) -> dict[str, Any]:
    process: dict[str, Any] = {k: v for k, v in text.items() if isinstance(v, str) and v}
    if isinstance(executable, str) and executable:
        process["executable"] = executable
        process["name"] = PureWindowsPath(executable).name
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


def _merge(doc: Event, key: str, values: dict[str, Any]) -> None:
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
