"""Alerts as produced by detection, before the case store gives them a workflow."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITIES = ("informational", "low", "medium", "high", "critical")  # Sigma's levels, in order


def severity_rank(level: str) -> int:
    """Position in SEVERITIES; an unknown level counts as medium (pySigma's default)."""
    return SEVERITIES.index(level) if level in SEVERITIES else SEVERITIES.index("medium")


@dataclass(frozen=True)
class Alert:
    """One detection: a rule matched one event, or a correlation matched a group.

    `id` is deterministic (see `alert_id`) so re-running a detection window never duplicates.
    `entity` is what the alert is about (a source IP, a user, a host): alerts of the same rule
    and entity inside the grouping window become one case.
    """

    id: str
    rule_id: str
    rule_title: str
    severity: str  # informational | low | medium | high | critical (Sigma levels)
    timestamp: datetime  # when the matched activity happened (first event)
    entity: str
    agency_ids: tuple[str, ...]
    event_ids: tuple[str, ...]
    tags: tuple[str, ...] = ()
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def alert_id(rule_id: str, *key_parts: str) -> str:
    """Deterministic id from rule id and event id (or group key and window)."""
    digest = hashlib.sha256("\x1f".join((rule_id, *key_parts)).encode()).hexdigest()
    return digest[:32]
