"""Rows of a rule run turned into alerts with ids that do not change when a window is re-run.

An event rule's alert is keyed by (rule, event); a correlation's by (rule, group, window start).
Running an overlapping window again, or seeing a burst again after more of it arrived, produces
the same ids, and the case store keeps the first copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from soc.model.alert import Alert, alert_id
from soc.model.event import isoformat
from soc.model.plural import counted
from soc.rules import CompiledRule


def alerts_from_rows(
    rule: CompiledRule, rows: Iterable[Mapping[str, Any]], *, ran_at: datetime
) -> list[Alert]:
    """One alert per row; `ran_at` stands in for a missing event time."""
    build = _correlation_alert if rule.kind == "correlation" else _event_alert
    return [build(rule, row, ran_at) for row in rows]


def _event_alert(rule: CompiledRule, row: Mapping[str, Any], ran_at: datetime) -> Alert:
    event_id = str(row["event_id"])
    entity = row.get("entity") or ""
    return Alert(
        id=alert_id(rule.id, event_id),
        rule_id=rule.id,
        rule_title=rule.title,
        severity=rule.level,
        timestamp=_when(row, ran_at),
        entity=entity,
        agency_ids=_agencies(row),
        event_ids=(event_id,),
        tags=rule.tags,
        summary=f"{rule.title}: {entity}" if entity else rule.title,
        details={"kind": "event", "entity_fields": list(rule.entity_fields)},
    )


def _correlation_alert(rule: CompiledRule, row: Mapping[str, Any], ran_at: datetime) -> Alert:
    group_key = str(row["group_key"])
    window_start = isoformat(_aware(row["window_start"]))
    count = int(row.get("match_count") or 0)
    details: dict[str, Any] = {
        "kind": "correlation",
        "group_by": list(rule.entity_fields),
        "group_key": group_key,
        "window_start": window_start,
        "window_seconds": rule.timespan_seconds,
        "match_count": count,
    }
    if row.get("value_count"):
        details["value_count"] = int(row["value_count"])
    if row.get("measure") is not None:
        details["measure"] = float(row["measure"])
    if row.get("rule_ids"):
        details["rule_ids"] = [str(r) for r in row["rule_ids"]]
    return Alert(
        id=alert_id(rule.id, group_key, window_start),
        rule_id=rule.id,
        rule_title=rule.title,
        severity=rule.level,
        timestamp=_when(row, ran_at),
        entity=group_key,
        agency_ids=_agencies(row),
        event_ids=tuple(str(e) for e in row.get("event_ids") or ()),
        tags=rule.tags,
        summary=f"{rule.title}: {group_key} ({counted(count, 'event')})",
        details=details,
    )


def _agencies(row: Mapping[str, Any]) -> tuple[str, ...]:
    """The event's agency first, then every other agency it concerns (either side may see it)."""
    listed = [row.get("organization_id"), *(row.get("organization_ids") or ())]
    return tuple(dict.fromkeys(a for a in listed if a))


def _when(row: Mapping[str, Any], ran_at: datetime) -> datetime:
    """When the matched activity happened; the run time if the event had no usable time."""
    return _aware(row["timestamp"]) if row.get("timestamp") else ran_at


def _aware(moment: datetime) -> datetime:
    """The store returns naive UTC; alerts carry aware times."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
