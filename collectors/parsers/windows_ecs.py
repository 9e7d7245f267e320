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
_IMAGE_LOAD_EVENTS = frozenset({"6", "7"})  # driver, image (DLL) loaded: the file is ImageLoaded
_SOURCE_PROCESS_EVENTS = frozenset({"8", "10"})  # remote thread, process access: Source* acts
_PIPE_EVENTS = frozenset({"17", "18"})
_REGISTRY_VALUE_TYPES = frozenset({"SetValue", "DeleteValue"})
# Security events about a logon by the account in Target*, from the address in IpAddress.
_LOGON_EVENTS = frozenset({"4624", "4625", "4634", "4647", "4648", "4672", "4768", "4769",
                           "4771", "4776"})  # fmt: skip
_FAILURE_EVENTS = frozenset({"4625", "4771"})
# Kerberos TGT and service tickets (4768, 4769) and NTLM validation (4776) log success and
# failure under one id, `Status` 0x0 for success: what tells them apart when a sender left out
# the audit keywords (a JSON export of EventData and a few System fields).
_STATUS_EVENTS = frozenset({"4768", "4769", "4776"})
# Account management: Subject* changed the account in Target* (4740: TargetDomainName is the
# caller's computer, not the account's domain).
_USER_ACCOUNT_EVENTS = frozenset({"4720", "4722", "4723", "4724", "4725", "4726", "4738", "4740",
                                  "4741", "4742", "4743", "4767"})  # fmt: skip
# Security group management: Target* is the group (Member* the account added or removed).
_GROUP_EVENTS = frozenset({*map(str, range(4727, 4738)), *map(str, range(4744, 4765)), "4799"})
_NULL_SID = "S-1-0-0"
_ACCOUNT_CREATED = frozenset({"4720", "4741", "4727", "4731", "4744", "4749", "4754", "4759"})
_ACCOUNT_DELETED = frozenset({"4726", "4743", "4730", "4734", "4748", "4753", "4758", "4763"})
_CONFIGURATION = ("configuration", "registry"), ("change",)
# Sysmon event id -> ECS event.category and event.type.
_SYSMON_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "1": (("process",), ("start",)),
    "2": (("file",), ("change",)),
    "3": (("network",), ("connection", "start")),
    "4": (("process",), ("change",)),
    "5": (("process",), ("end",)),
    "6": (("driver",), ("start",)),
    "7": (("process",), ("change",)),
    "8": (("process",), ("change",)),
    "9": (("process",), ("access",)),
    "10": (("process",), ("access",)),
    "11": (("file",), ("creation",)),
    "12": _CONFIGURATION,
    "13": _CONFIGURATION,
    "14": _CONFIGURATION,
    "15": (("file",), ("creation",)),
    "16": (("configuration",), ("change",)),
    "17": (("file",), ("creation",)),
    "18": (("file",), ("access",)),
    "22": (("network",), ("connection", "protocol", "info")),
    "23": (("file",), ("deletion",)),
    "25": (("process",), ("change",)),
    "26": (("file",), ("deletion",)),
    "29": (("file",), ("creation",)),
}
# Windows PowerShell's classic log and operational log, and PowerShell 7's (same events).
POWERSHELL_CHANNELS = frozenset(
    {"windows powershell", "microsoft-windows-powershell/operational", "powershellcore/operational"}
)


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
        else:
            _security_other(doc, event_id, data)
    elif channel in POWERSHELL_CHANNELS:
        _powershell(doc, data)


def _sysmon(doc: Event, event_id: str, data: Mapping[str, Any], *, linux: bool) -> None:
    path = PurePosixPath if linux else PureWindowsPath
    if kind := _SYSMON_KINDS.get(event_id):
        _kind(doc, *kind)
    if event_id == "1":
        _sysmon_process_creation(doc, data, path)
    elif event_id in _SOURCE_PROCESS_EVENTS:
        merge(
            doc,
            "process",
            _process(
                path,
                executable=data.get("SourceImage"),
                pid=int_or_none(data.get("SourceProcessId")),
                # Sysmon spells it SourceProcessGuid in 8, SourceProcessGUID in 10.
                entity_id=data.get("SourceProcessGuid") or data.get("SourceProcessGUID"),
            ),
        )
        _user(doc, data.get("SourceUser"))
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
        _sysmon_network(doc, data)
    elif event_id == "22" and data.get("QueryName"):
        dns: dict[str, Any] = {"question": {"name": data["QueryName"]}}
        if resolved := _resolved_ips(data.get("QueryResults")):
            dns["resolved_ip"] = resolved
        merge(doc, "dns", dns)
    elif event_id in _FILE_EVENTS and isinstance(target := data.get("TargetFilename"), str):
        merge(doc, "file", _file(path, target, data.get("Hashes") or data.get("Hash")))
    elif event_id in _IMAGE_LOAD_EVENTS and isinstance(loaded := data.get("ImageLoaded"), str):
        file = _file(path, loaded, data.get("Hashes"))
        if data.get("OriginalFileName"):
            file.setdefault("pe", {})["original_file_name"] = data["OriginalFileName"]
        merge(doc, "file", file)
    elif event_id in _REGISTRY_EVENTS and isinstance(target := data.get("TargetObject"), str):
        merge(doc, "registry", _registry(target, data))
    elif event_id in _PIPE_EVENTS and isinstance(pipe := data.get("PipeName"), str) and pipe:
        merge(doc, "file", {"name": pipe})


def _sysmon_network(doc: Event, data: Mapping[str, Any]) -> None:
    """Endpoints with their host names (`-` when Sysmon resolved none); `Initiated` says whether
    this host opened the connection."""
    _endpoint(doc, "source", data.get("SourceIp"), data.get("SourcePort"))
    _endpoint(doc, "destination", data.get("DestinationIp"), data.get("DestinationPort"))
    for key, name in (("source", "SourceHostname"), ("destination", "DestinationHostname")):
        if _meaningful(host := data.get(name)):
            merge(doc, key, {"domain": host})
    network: dict[str, str] = {}
    if isinstance(protocol := data.get("Protocol"), str) and protocol:
        network["transport"] = protocol.lower()
    initiated = str(data.get("Initiated", "")).lower()
    if initiated in ("true", "false"):
        network["direction"] = "egress" if initiated == "true" else "ingress"
    merge(doc, "network", network)


def _file(path: Callable[[str], Any], target: str, hashes: Any) -> dict[str, Any]:
    """A Sysmon file (created, deleted, loaded) with the hashes Sysmon computed of it."""
    file: dict[str, Any] = {"path": target, "name": path(target).name}
    if digests := _hashes(hashes):
        if "imphash" in digests:
            file["pe"] = {"imphash": digests.pop("imphash")}
        if digests:
            file["hash"] = digests
    return file


def _registry(target: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """`HKLM\\SOFTWARE\\...\\Run\\Updater`: the hive, the key and, for a value event, the value's
    name (the last part of the path) and the data Sysmon shows of it."""
    registry: dict[str, Any] = {"path": target}
    hive, _, key = target.partition("\\")
    if key:
        registry["hive"] = hive
        if data.get("EventType") in _REGISTRY_VALUE_TYPES:
            key, _, registry["value"] = key.rpartition("\\")
        if key:
            registry["key"] = key
    if isinstance(details := data.get("Details"), str) and details:
        registry["data"] = {"strings": [details]}
    return registry


def _resolved_ips(results: Any) -> list[str]:
    """Sysmon 22's `type:  5 cdn.example.net;::ffff:192.0.2.7;...`: the addresses answered."""
    addresses: list[str] = []
    for item in str(results or "").split(";"):
        ip = ip_or_none(item.strip().removeprefix("::ffff:")) if item[:5] != "type:" else None
        if ip is not None and ip not in addresses:
            addresses.append(ip)
    return addresses


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
    merge(doc, "user", _account(data, "Subject"))
    _kind(doc, ("process",), ("start",))


def _security_logon(doc: Event, event_id: str, data: Mapping[str, Any]) -> None:
    """The account logging on (Target*) and where from: what brute-force and lateral-movement
    alerts are about. 4672 (special privileges) has no Target* and names it Subject*; a Target*
    of `-` (4625 for a name Windows did not take) stays no user: the Subject* there is the
    machine that processed the logon, and a brute-force count by user must not see it."""
    if "TargetUserName" in data:
        # Kerberos' 4768 and 4771 call the account's SID TargetSid, the logons TargetUserSid.
        sid = "TargetUserSid" if "TargetUserSid" in data else "TargetSid"
        merge(doc, "user", _account(data, "Target", sid=sid))
    else:
        merge(doc, "user", _account(data, "Subject"))
    _security_actor_process(doc, data)
    _endpoint(doc, "source", data.get("IpAddress"), data.get("IpPort"))
    # 4776 (NTLM credential validation) calls the client `Workstation`.
    if _meaningful(workstation := data.get("WorkstationName") or data.get("Workstation")):
        merge(doc, "source", {"domain": workstation.removeprefix("\\\\")})
    event = object_field(doc, "event")
    event.setdefault("category", ["authentication"])
    failed = event_id in _FAILURE_EVENTS or (
        event_id in _STATUS_EVENTS and str(data.get("Status", "0x0")).lower() not in ("0x0", "0")
    )
    event.setdefault("outcome", "failure" if failed else "success")


def _security_other(doc: Event, event_id: str, data: Mapping[str, Any]) -> None:
    """The account that acted (Subject*: who created the account, cleared the log, opened the
    share), the account or group it acted on, and the client's address (shares, 5140/5145)."""
    merge(doc, "user", _account(data, "Subject"))
    if event_id in _USER_ACCOUNT_EVENTS:
        target = _account(data, "Target", sid="TargetSid")
        # 4740's Caller Computer Name: where the failed log-ons that locked the account came from.
        if event_id == "4740" and (caller := target.pop("domain", None)):
            merge(doc, "source", {"domain": caller})
        if target:
            object_field(doc, "user").setdefault("target", target)
        _kind(doc, ("iam",), ("user", _account_change(event_id)))
    elif event_id in _GROUP_EVENTS:
        merge(doc, "group", _account(data, "Target", sid="TargetSid"))
        _kind(doc, ("iam",), ("group", _account_change(event_id)))
    elif event_id == "4689":
        _kind(doc, ("process",), ("end",))
    _security_actor_process(doc, data)
    _endpoint(doc, "source", data.get("IpAddress"), data.get("IpPort"))


def _security_actor_process(doc: Event, data: Mapping[str, Any]) -> None:
    """The process that logged on, accessed the object or used the privilege (ProcessName,
    ProcessId in hex; `-` and 0x0 when none). 4688 is apart: its ProcessId is the parent."""
    executable = data.get("ProcessName")
    pid = int_or_none(data.get("ProcessId"), base=16)
    merge(
        doc,
        "process",
        _process(
            PureWindowsPath,
            executable=executable if _meaningful(executable) else None,
            pid=pid or None,
        ),
    )


def _account_change(event_id: str) -> str:
    if event_id in _ACCOUNT_CREATED:
        return "creation"
    return "deletion" if event_id in _ACCOUNT_DELETED else "change"


def _kind(doc: Event, category: tuple[str, ...], types: tuple[str, ...]) -> None:
    """ECS event.category and event.type, unless the sender set them."""
    event = object_field(doc, "event")
    event.setdefault("category", list(category))
    event.setdefault("type", list(types))


def _account(data: Mapping[str, Any], prefix: str, *, sid: str = "") -> dict[str, Any]:
    """`SubjectUserName`, `SubjectDomainName`, `SubjectUserSid` as ECS name, domain and id;
    empty without a name (a domain or SID alone says no account). Kerberos (4769) and a logon
    typed as a UPN name the account `kim@CORP.EXAMPLE`: the name is `kim`, as in the account's
    other events, and the realm its domain when the event gives none."""
    if not _meaningful(name := data.get(f"{prefix}UserName")):
        return {}
    name, _, realm = name.partition("@")
    account = {"name": name or realm}
    if _meaningful(domain := data.get(f"{prefix}DomainName")):
        account["domain"] = domain
    elif name and realm:
        account["domain"] = realm
    if _meaningful(ident := data.get(sid or f"{prefix}UserSid")) and ident != _NULL_SID:
        account["id"] = ident
    return account


def _powershell(doc: Event, data: Mapping[str, Any]) -> None:
    """The host program's command line, the user and the script, from the context PowerShell
    writes as text: `HostApplication=...` lines in the classic log's 400/403/600/800,
    `Host Application = ...` in 4103's ContextInfo. 4104's script is its `Path`."""
    context = _powershell_context(data)
    if _meaningful(command_line := context.get("hostapplication")):
        merge(doc, "process", {"command_line": command_line})
    _user(doc, context.get("userid") or context.get("user"))
    script = context.get("scriptname") or data.get("Path")
    if _meaningful(script):
        merge(doc, "file", {"path": script, "name": PureWindowsPath(script).name})


def _powershell_context(data: Mapping[str, Any]) -> dict[str, str]:
    text = data.get("ContextInfo")
    if not isinstance(text, str):
        text = next(
            (v for v in data.values() if isinstance(v, str) and "HostApplication=" in v), ""
        )
    separator = "=" if "ContextInfo" not in data else " = "
    context: dict[str, str] = {}
    for line in text.splitlines():
        name, found, value = line.partition(separator)
        if found:
            context[name.strip().replace(" ", "").lower()] = value.strip()
    return context


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
    if not _meaningful(value):
        return
    domain, _, name = str(value).rpartition("\\")
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
