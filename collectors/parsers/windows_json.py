"""Windows events sent as JSON: Winlogbeat documents, NXLog's flat `to_json()` records, or the
event XML rendered as JSON (`evtx_dump -o json`, the `evtx` package, SigmaHQ's regression samples).

NXLog (im_msvistalog) writes the event's system fields and its EventData side by side at the top
level; the system names are known, so everything else is EventData, kept under the exact name
Windows uses (Sigma rules match on those names). NXLog's `EventTime` is the Windows host's local
time with no zone (NXLog CE's `to_json()` writes `2024-03-05 14:02:11`) unless NXLog was
configured to add one. Read as UTC, a province's events sat seven hours in the future, so a
zoneless time is read in the syslog listener's `timezone` setting (files: UTC), and a Sysmon
event's own `UtcTime` comes first, right whatever that setting says.

The same records often come through Logstash, which adds its envelope: the OTRF Security-Datasets
(Mordor) that detection engineers test with are NXLog records with Logstash's `@timestamp`,
`@version`, `host`, `port` and `tags`, plus `TimeCreated` and `ExecutionProcessID`. Those are not
EventData: left there, the event had no time of its own and was stamped when it was read, which
put a whole dataset inside one correlation window.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson

from collectors.parsers.windows_event import finish_windows_event
from collectors.parsers.windows_xml import keyword_names, winlog_document
from soc.model.event import Event, isoformat

# NXLog system field -> ECS path (Winlogbeat's names).
_NXLOG_SYSTEM: dict[str, tuple[str, ...]] = {
    "EventID": ("winlog", "event_id"),
    "Channel": ("winlog", "channel"),
    "Hostname": ("winlog", "computer_name"),
    "SourceName": ("winlog", "provider_name"),
    "ProviderGuid": ("winlog", "provider_guid"),
    "RecordNumber": ("winlog", "record_id"),
    "Category": ("winlog", "task"),
    "Opcode": ("winlog", "opcode"),
    "Version": ("winlog", "version"),
    "ActivityID": ("winlog", "activity_id"),
    "RelatedActivityID": ("winlog", "related_activity_id"),
    "ProcessID": ("winlog", "process", "pid"),
    "ExecutionProcessID": ("winlog", "process", "pid"),
    "ThreadID": ("winlog", "process", "thread", "id"),
    "Domain": ("winlog", "user", "domain"),
    "AccountName": ("winlog", "user", "name"),
    "UserID": ("winlog", "user", "identifier"),
    "AccountType": ("winlog", "user", "type"),
    "Message": ("message",),
    "tags": ("tags",),
}
_SYSMON = "Microsoft-Windows-Sysmon"
_NXLOG_TIMES = ("EventTime", "TimeCreated", "@timestamp")
"""When the event happened, best first: NXLog's own field, the event's creation time as OTRF
exports it, then Logstash's stamp (the same time in OTRF's records)."""
_NXLOG_DROPPED = frozenset(
    {"EventType", "SeverityValue", "OpcodeValue", "Task", "Keywords", "EventReceivedTime",
     "SourceModuleName", "SourceModuleType", *_NXLOG_TIMES, "@version", "host", "port"}
)  # fmt: skip
"""NXLog's numeric twins of named fields and its own bookkeeping, the times (read apart), and
Logstash's `@version`, `host` and `port`: its format version and the forwarder that connected to
it, not the event's host (that is `Hostname`). None of them is part of the event."""
_AUDIT_RESULTS = {"AUDIT_SUCCESS": ("Audit Success",), "AUDIT_FAILURE": ("Audit Failure",)}
"""NXLog's `EventType` for a security audit's result, as the keywords Winlogbeat names."""
_UNSIGNED_64 = 0xFFFF_FFFF_FFFF_FFFF


def parse(
    message: str, *, program: str | None = None, pid: str | None = None, zone: tzinfo = UTC
) -> Event | None:
    """ECS fields for a JSON Windows event; None when the message is not one. `zone`: where a
    time naming no zone was written."""
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return from_object(data, zone=zone) if isinstance(data, dict) else None


def from_object(data: dict[str, Any], *, zone: tzinfo = UTC) -> Event | None:
    """ECS fields for a decoded JSON object (Winlogbeat, NXLog or the event XML as JSON); None
    when it is none of them.

    File ingestion decodes JSON itself (arrays, NDJSON) and hands each object here, so a file
    and a syslog stream give the same document.
    """
    if isinstance(data.get("winlog"), dict):
        return finish_windows_event(data)
    if "EventID" in data and ("Channel" in data or "SourceName" in data):
        return finish_windows_event(_from_nxlog(data, zone))
    event = data.get("Event")
    if isinstance(event, dict) and isinstance(event.get("System"), dict):
        return finish_windows_event(winlog_document(data))
    return None


def _from_nxlog(data: dict[str, Any], zone: tzinfo) -> Event:
    doc: Event = {}
    event_data: dict[str, Any] = {}
    for name, value in data.items():
        if name in _NXLOG_SYSTEM:
            *parents, leaf = _NXLOG_SYSTEM[name]
            node = doc
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value
        elif name == "Severity" and isinstance(value, str):
            doc["log"] = {"level": value.lower()}
        elif name == "Level":  # Windows' own level number (OTRF), as EVTX gives it
            doc.setdefault("winlog", {})["level"] = str(value)
        elif name not in _NXLOG_DROPPED:
            event_data[name] = value
    if event_data:
        doc.setdefault("winlog", {})["event_data"] = event_data
    if keywords := _nxlog_keywords(data):
        doc.setdefault("winlog", {})["keywords"] = keywords
    when = next((data[name] for name in _NXLOG_TIMES if data.get(name)), None)
    if when is not None:
        doc["@timestamp"] = _zoned(when, zone, data)
    return doc


def _nxlog_keywords(data: dict[str, Any]) -> list[str]:
    """The record's keywords by name, which say a security audit's success or failure: an
    event id such as 4656, 4776 or 5145 is logged both ways. NXLog writes the mask as a signed
    decimal number (or its text), else its `EventType` names the audit result."""
    mask = data.get("Keywords")
    if type(mask) is str:
        try:
            mask = int(mask)
        except ValueError:
            mask = None
    if type(mask) is int:
        return list(keyword_names(mask & _UNSIGNED_64))
    return list(_AUDIT_RESULTS.get(data.get("EventType"), ()))


def _zoned(when: Any, zone: tzinfo, data: dict[str, Any]) -> Any:
    """The event's time with its zone: as written when it names one (or cannot be read: the
    normalization after decides); else Sysmon's `UtcTime`, else the time read in `zone`."""
    moment = _naive_or_none(when)
    if moment is None:
        return when
    if data.get("SourceName") == _SYSMON and (utc := _naive_or_none(data.get("UtcTime"))):
        moment, zone = utc, UTC
    try:
        return isoformat(moment.replace(tzinfo=zone))
    except OverflowError:  # year 1 or 9999 read east or west of UTC: left to normalization
        return when


def _naive_or_none(value: Any) -> datetime | None:
    """An ISO 8601 text naming no zone, read; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is None else None
