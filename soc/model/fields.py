"""The ECS fields that stores keep as typed, indexed columns.

Rules and the UI read these often; everything else stays in the full document. Both the event
store and the rule compiler read this one catalogue so that they can never disagree.
"""

from __future__ import annotations

from typing import Literal

ColumnType = Literal["timestamp", "text", "ip", "int", "bigint", "keywords"]

TYPED_FIELDS: dict[str, ColumnType] = {
    "@timestamp": "timestamp",
    "event.ingested": "timestamp",
    "event.id": "text",
    "event.dataset": "text",
    "event.module": "text",
    "event.category": "text",
    "event.action": "text",
    "event.outcome": "text",
    "event.code": "text",
    "organization.id": "text",
    "organization.name": "text",
    "related.organization_ids": "keywords",
    "observer.ip": "ip",
    "observer.vendor": "text",
    "host.name": "text",
    "host.ip": "ip",
    "source.ip": "ip",
    "source.port": "int",
    "source.bytes": "bigint",
    "destination.ip": "ip",
    "destination.port": "int",
    "destination.bytes": "bigint",
    "network.transport": "text",
    "network.bytes": "bigint",
    "network.packets": "bigint",
    "user.name": "text",
    "process.name": "text",
    "process.command_line": "text",
    "process.executable": "text",
    "url.original": "text",
    "url.path": "text",
    "http.request.method": "text",
    "http.response.status_code": "int",
    "log.level": "text",
    "message": "text",
}


def column_name(field: str) -> str:
    """SQL-safe column name of a typed field (`source.ip` -> `source_ip`)."""
    return field.replace("@", "").replace(".", "_")
