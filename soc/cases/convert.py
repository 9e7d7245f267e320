"""ORM rows to views. Called inside the transaction, so every attribute is loaded here."""

from __future__ import annotations

from collections.abc import Sequence

from soc.cases.models import Alert, AuditLog, Case, Comment, RuleState, User
from soc.cases.views import (
    AlertView,
    AuditView,
    CaseView,
    CommentView,
    RuleStateView,
    UserView,
)


def alert_view(row: Alert) -> AlertView:
    return AlertView(
        id=row.id,
        rule_id=row.rule_id,
        rule_title=row.rule_title,
        severity=row.severity,
        status=row.status,
        verdict=row.verdict,
        timestamp=row.timestamp,
        entity=row.entity,
        agency_id=row.agency_id,
        agency_ids=tuple(link.agency_id for link in row.agencies),
        event_ids=tuple(row.event_ids),
        tags=tuple(row.tags),
        summary=row.summary,
        details=dict(row.details),
        case_id=row.case_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def case_view(row: Case, *, alert_count: int, alerts: Sequence[Alert] = ()) -> CaseView:
    return CaseView(
        id=row.id,
        title=row.title,
        description=row.description,
        severity=row.severity,
        status=row.status,
        assignee_id=row.assignee_id,
        assignee=row.assignee.username if row.assignee is not None else None,
        agency_id=row.agency_id,
        rule_id=row.rule_id,
        entity=row.entity,
        tlp=row.tlp,
        tags=tuple(row.tags),
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        alert_count=alert_count,
        alerts=tuple(alert_view(a) for a in alerts),
    )


def comment_view(row: Comment) -> CommentView:
    return CommentView(
        id=row.id,
        case_id=row.case_id,
        author_id=row.author_id,
        author=row.author.username if row.author is not None else "deleted user",
        body=row.body,
        created_at=row.created_at,
    )


def audit_view(row: AuditLog) -> AuditView:
    return AuditView(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        agency_id=row.agency_id,
        before=row.before,
        after=row.after,
    )


def user_view(row: User) -> UserView:
    return UserView(
        id=row.id,
        username=row.username,
        role=row.role,
        agency_id=row.agency_id,
        active=row.active,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def rule_state_view(row: RuleState) -> RuleStateView:
    return RuleStateView(
        rule_id=row.rule_id,
        checkpoint=row.checkpoint,
        last_run_at=row.last_run_at,
        last_matches=row.last_matches,
        total_matches=row.total_matches,
        last_error=row.last_error,
        enabled=row.enabled,
    )
