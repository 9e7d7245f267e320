"""Cases: opening, reading, updating, commenting; each change audited in its transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from soc.cases.audit import case_trail, changes, record
from soc.cases.convert import case_view, comment_view
from soc.cases.models import TITLE_LENGTH, Alert, Case, Comment, User
from soc.cases.paging import check_page
from soc.cases.scope import alert_in, case_in, load_case, require_comment, require_triage
from soc.cases.views import AuditView, CaseView, CommentView
from soc.cases.vocab import CASE_STATUSES, SEVERITIES, TRIAGE_ROLES
from soc.errors import ValidationError
from soc.model.agency import Principal
from soc.model.event import utcnow

MAX_DESCRIPTION = 20_000
MAX_COMMENT = 10_000
_DONE = ("resolved", "closed")


def open_case(
    session: Session,
    *,
    actor: str,
    title: str,
    severity: str,
    agency_id: str | None,
    rule_id: str | None,
    entity: str | None,
) -> Case:
    now = utcnow()
    case = Case(
        title=title[:TITLE_LENGTH],
        description="",
        severity=severity,
        status="open",
        agency_id=agency_id,
        rule_id=rule_id,
        entity=entity,
        tlp="AMBER",
        tags=[],
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    record(
        session,
        actor=actor,
        action="case.opened",
        object_type="case",
        object_id=case.id,
        agency_id=agency_id,
        after={
            "title": case.title,
            "severity": severity,
            "agency_id": agency_id,
            "rule_id": rule_id,
            "entity": entity,
        },
    )
    return case


def _visible_alert_count(scope: tuple[str, ...] | None) -> ColumnElement[int]:
    return (
        select(func.count(Alert.id))
        .where(Alert.case_id == Case.id, alert_in(scope))
        .scalar_subquery()
    )


def list_cases(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    agency_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[CaseView], int]:
    check_page(limit, offset)
    conditions = [case_in(principal.agency_scope)]
    if status is not None:
        conditions.append(Case.status == status)
    if agency_id is not None:
        conditions.append(case_in((agency_id,)))
    total = session.scalar(select(func.count(Case.id)).where(*conditions)) or 0
    rows = session.execute(
        select(Case, _visible_alert_count(principal.agency_scope))
        .where(*conditions)
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [case_view(case, alert_count=count) for case, count in rows], total


def get_case(session: Session, principal: Principal, case_id: int) -> CaseView:
    case = load_case(session, principal, case_id)
    alerts = list(
        session.scalars(
            select(Alert)
            .where(Alert.case_id == case.id, alert_in(principal.agency_scope))
            .order_by(Alert.timestamp, Alert.id)
        )
    )
    return case_view(case, alert_count=len(alerts), alerts=alerts)


def _case_fields(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "severity": case.severity,
        "assignee_id": case.assignee_id,
        "title": case.title,
        "description": case.description,
    }


def update_case(
    session: Session,
    principal: Principal,
    case_id: int,
    *,
    status: str | None,
    severity: str | None,
    assignee_id: int | None,
    title: str | None,
    description: str | None,
) -> CaseView:
    require_triage(principal, "change a case")
    if status is not None and status not in CASE_STATUSES:
        raise ValidationError(f"unknown case status {status!r}", where="status")
    if severity is not None and severity not in SEVERITIES:
        raise ValidationError(f"unknown severity {severity!r}", where="severity")
    if title is not None and not 1 <= len(title.strip()) <= TITLE_LENGTH:
        raise ValidationError(f"a title has 1 to {TITLE_LENGTH} characters", where="title")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise ValidationError(
            f"a description has at most {MAX_DESCRIPTION} characters", where="description"
        )
    if assignee_id:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.active or assignee.role not in TRIAGE_ROLES:
            raise ValidationError(
                "a case can only be assigned to an active analyst or admin", where="assignee_id"
            )
    case = load_case(session, principal, case_id, for_update=True)
    old = _case_fields(case)
    if status is not None:
        case.status = status
    if severity is not None:
        case.severity = severity
    if assignee_id is not None:
        case.assignee_id = assignee_id or None  # 0: unassign
    if title is not None:
        case.title = title.strip()
    if description is not None:
        case.description = description
    before, after = changes(old, _case_fields(case))
    if after:
        now = utcnow()
        case.updated_at = now
        if "status" in after:
            case.closed_at = now if case.status in _DONE else None
        record(
            session,
            actor=principal.username,
            action="case.updated",
            object_type="case",
            object_id=case.id,
            agency_id=case.agency_id,
            before=before,
            after=after,
        )
        session.flush()
        session.refresh(case, ["assignee"])
    return get_case(session, principal, case.id)


def add_comment(session: Session, principal: Principal, case_id: int, body: str) -> CommentView:
    require_comment(principal)
    if not body.strip() or len(body) > MAX_COMMENT:
        raise ValidationError(f"a comment has 1 to {MAX_COMMENT} characters", where="body")
    case = load_case(session, principal, case_id)
    now = utcnow()
    comment = Comment(case_id=case.id, author_id=principal.user_id, body=body, created_at=now)
    session.add(comment)
    case.updated_at = now
    session.flush()
    record(
        session,
        actor=principal.username,
        action="comment.added",
        object_type="case",
        object_id=case.id,
        agency_id=case.agency_id,
        after={"comment_id": comment.id},
    )
    session.refresh(comment, ["author"])
    return comment_view(comment)


def list_comments(session: Session, principal: Principal, case_id: int) -> list[CommentView]:
    case = load_case(session, principal, case_id)
    rows = session.scalars(select(Comment).where(Comment.case_id == case.id).order_by(Comment.id))
    return [comment_view(row) for row in rows]


def case_audit(session: Session, principal: Principal, case_id: int) -> list[AuditView]:
    return case_trail(session, load_case(session, principal, case_id), principal.agency_scope)
