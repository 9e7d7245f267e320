"""What the case service hands out: frozen snapshots, never ORM objects.

The UI renders these after the database session is gone, so nothing here may lazy-load; a view
is built inside the transaction that read it and is safe to pass between threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AlertView:
    id: str
    rule_id: str
    rule_title: str
    severity: str
    status: str
    verdict: str | None
    timestamp: datetime
    entity: str
    agency_id: str | None  # primary agency (the source's)
    agency_ids: tuple[str, ...]  # every agency that sees this alert
    event_ids: tuple[str, ...]
    tags: tuple[str, ...]
    summary: str
    details: Mapping[str, Any]
    case_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CaseView:
    id: int
    title: str
    description: str
    severity: str
    status: str
    assignee_id: int | None
    assignee: str | None  # the assignee's username
    agency_id: str | None
    rule_id: str | None
    entity: str | None
    tlp: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    alert_count: int
    # The linked alerts the caller may see; filled by `get_case`, empty in `list_cases`.
    alerts: tuple[AlertView, ...] = ()


@dataclass(frozen=True)
class CommentView:
    id: int
    case_id: int
    author_id: int | None
    author: str  # username at read time; "deleted user" if the author row is gone
    body: str  # as typed: escaping is the renderer's job
    created_at: datetime


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str  # username, or "system" for detection and grouping
    action: str  # e.g. "alert.acknowledged", "case.updated", "comment.added"
    object_type: str  # "alert" | "case" | "rule" | ...
    object_id: str
    agency_id: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    role: str
    agency_id: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class RuleStateView:
    rule_id: str
    checkpoint: datetime | None
    last_run_at: datetime | None
    last_matches: int
    total_matches: int
    last_error: str | None
    enabled: bool
