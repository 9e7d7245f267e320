"""The Windows event fields every source agrees on, filled from a Winlogbeat-shaped document.

Winlogbeat JSON, NXLog JSON and EVTX files all end up as `winlog.*` (channel, event_id,
event_data, ...); this module derives the rest once, so a Sigma rule matches the same fields
whichever way the event travelled.

Some events (log cleared 104/1102, RDP 1149, print spooler, ...) carry their data in a
provider-defined UserData element instead of EventData; Winlogbeat keeps it as
`winlog.user_data`. Sigma rules name those fields like any other event data field, so when an
event has no EventData its UserData fields are also its `winlog.event_data`: one place for the
rule pipelines to look.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from collectors.parsers.values import object_field
from collectors.parsers.windows_ecs import derive_ecs
from soc.model.event import Event, isoformat, parse_timestamp

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_USER_DATA_NAME = "xml_name"


@functools.lru_cache(maxsize=1024)
def channel_slug(channel: str) -> str:
    """`Microsoft-Windows-Sysmon/Operational` -> `sysmon_operational`, `Security` -> `security`.

    Cached: every event asks, of a handful of channels (a tenth of a microsecond against
    two, ~0.03 s of reading the 16,801 EVTX samples); bounded, as senders name channels."""
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
    event.update(module="windows", dataset=f"windows.{channel_slug(channel)}", kind="event")
    event_id = winlog.get("event_id")
    if event_id is not None:
        winlog["event_id"] = event["code"] = event_id = str(event_id)
    if winlog.get("provider_name"):
        event.setdefault("provider", winlog["provider_name"])
    if winlog.get("computer_name"):
        object_field(doc, "host").setdefault("name", winlog["computer_name"])
    _outcome(event, winlog.get("keywords"))
    _normalize_timestamp(doc)
    _expose_user_data(winlog)
    data = winlog.get("event_data")
    if isinstance(data, dict) and event_id is not None:
        derive_ecs(doc, channel, event_id, data)
    return doc


def _expose_user_data(winlog: dict) -> None:
    user_data = winlog.get("user_data")
    if isinstance(user_data, dict) and not isinstance(winlog.get("event_data"), dict):
        winlog["event_data"] = {k: v for k, v in user_data.items() if k != _USER_DATA_NAME}


def _outcome(event: dict, keywords: object) -> None:
    """Security auditing says success or failure in its keywords, as Winlogbeat reads them."""
    if isinstance(keywords, list):
        if "Audit Failure" in keywords:
            event.setdefault("outcome", "failure")
        elif "Audit Success" in keywords:
            event.setdefault("outcome", "success")


def _normalize_timestamp(doc: Event) -> None:
    """ISO 8601 UTC with `Z`, like every other event; an unreadable value gives way to the
    receive time rather than a string the store cannot sort."""
    value = doc.pop("@timestamp", None)
    if isinstance(value, str):
        # Not `contextlib.suppress`: an object per event, a third of this function's time
        # (0.07 -> 0.05 s over the 16,801 EVTX samples).
        try:
            normalized = _utc_milliseconds(value)
        except (ValueError, OverflowError):
            return
        doc["@timestamp"] = normalized


_SYSTEM_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", re.ASCII)
"""How EVTX files write `SystemTime` (UTC, microseconds)."""


def _utc_milliseconds(value: str) -> str:
    """`isoformat(parse_timestamp(value))`; for EVTX's own shape, the valid date cut to
    milliseconds without the round trip through an aware datetime (same text: `isoformat`
    truncates, it does not round)."""
    if len(value) == 27 and _SYSTEM_TIME.fullmatch(value):
        datetime.fromisoformat(value[:26])  # ValueError for a date that does not exist
        return value[:23] + "Z"
    return isoformat(parse_timestamp(value))
