"""The audit trail: one row per state change, written in the changing transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from soc.cases.convert import audit_view
from soc.cases.models import Alert, AuditLog, Case
from soc.cases.scope import alert_in
from soc.cases.views import AuditView
from soc.model.event import utcnow

SYSTEM = "system"  # the actor of detection and automatic grouping


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    agency_id: str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            at=utcnow(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            agency_id=agency_id,
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
        )
    )


def changes(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as (before, after): the audit keeps only what changed."""
    keys = [key for key in new if old.get(key) != new[key]]
    return {key: old.get(key) for key in keys}, {key: new[key] for key in keys}


def case_trail(session: Session, case: Case, scope: tuple[str, ...] | None) -> list[AuditView]:
    """The case's rows and those of the alerts it holds now that `scope` sees, oldest first."""
    alert_ids = select(Alert.id).where(Alert.case_id == case.id, alert_in(scope)).scalar_subquery()
    rows = session.scalars(
        select(AuditLog)
        .where(
            or_(
                and_(AuditLog.object_type == "case", AuditLog.object_id == str(case.id)),
                and_(AuditLog.object_type == "alert", AuditLog.object_id.in_(alert_ids)),
            )
        )
        .order_by(AuditLog.id)
    )
    return [audit_view(row) for row in rows]
