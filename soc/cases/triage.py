"""The alert queue: listing, acknowledging, closing with a verdict, escalating into a case."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soc.cases.audit import record
from soc.cases.casework import get_case, open_case
from soc.cases.convert import alert_view
from soc.cases.models import Alert, Case
from soc.cases.paging import check_page
from soc.cases.scope import alert_in, load_alert, load_case, require_triage
from soc.cases.views import AlertView, CaseView
from soc.cases.vocab import ALERT_STATUSES, OPEN_CASE_STATUSES, SEVERITIES, VERDICTS
from soc.errors import ValidationError
from soc.model.agency import Principal
from soc.model.event import utcnow

MAX_REASON = 2000
MAX_ESCALATE = 1000


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    agency_id: str | None,
    severity: str | None,
    rule_id: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[AlertView], int]:
    check_page(limit, offset)
    conditions = [alert_in(principal.agency_scope)]
    if agency_id is not None:
        conditions.append(alert_in((agency_id,)))
    if severity is not None:
        conditions.append(Alert.severity == severity)
    if rule_id is not None:
        conditions.append(Alert.rule_id == rule_id)
    if status is not None:
        conditions.append(Alert.status == status)
    total = session.scalar(select(func.count(Alert.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(Alert)
        .where(*conditions)
        .order_by(Alert.timestamp.desc(), Alert.id)
        .limit(limit)
        .offset(offset)
    )
    return [alert_view(row) for row in rows], total


def get_alert(session: Session, principal: Principal, alert_id: str) -> AlertView:
    return alert_view(load_alert(session, principal, alert_id))


def alert_facets(session: Session, principal: Principal) -> dict[str, Any]:
    """What the filter drop-downs offer: only values present in the caller's alerts."""
    scoped = alert_in(principal.agency_scope)
    rules = session.execute(
        select(Alert.rule_id, func.max(Alert.rule_title))
        .where(scoped)
        .group_by(Alert.rule_id)
        .order_by(func.max(Alert.rule_title), Alert.rule_id)
    )
    severities = set(session.scalars(select(Alert.severity).where(scoped).distinct()))
    statuses = set(session.scalars(select(Alert.status).where(scoped).distinct()))
    return {
        "rules": [(rule_id, title) for rule_id, title in rules],
        "severities": [s for s in reversed(SEVERITIES) if s in severities],
        "statuses": [s for s in ALERT_STATUSES if s in statuses],
    }


def _audit_alert(
    session: Session,
    principal: Principal,
    row: Alert,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    row.updated_at = utcnow()
    record(
        session,
        actor=principal.username,
        action=action,
        object_type="alert",
        object_id=row.id,
        agency_id=row.agency_id,
        before=before,
        after=after,
    )


def acknowledge_alert(session: Session, principal: Principal, alert_id: str) -> AlertView:
    """new -> acknowledged; acknowledging twice is harmless, later states are kept."""
    require_triage(principal, "acknowledge alerts")
    row = load_alert(session, principal, alert_id, for_update=True)
    if row.status in ("escalated", "closed"):
        raise ValidationError(f"the alert is already {row.status}", where=f"alert {alert_id}")
    if row.status == "new":
        row.status = "acknowledged"
        _audit_alert(
            session,
            principal,
            row,
            "alert.acknowledged",
            {"status": "new"},
            {"status": "acknowledged"},
        )
    return alert_view(row)


def close_alert(
    session: Session, principal: Principal, alert_id: str, *, verdict: str, reason: str
) -> AlertView:
    """Close from any state; closing again with another verdict corrects the verdict."""
    require_triage(principal, "close alerts")
    if verdict not in VERDICTS:
        raise ValidationError(f"verdict must be one of {', '.join(VERDICTS)}", where="verdict")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"a reason has at most {MAX_REASON} characters", where="reason")
    row = load_alert(session, principal, alert_id, for_update=True)
    before = {"status": row.status, "verdict": row.verdict}
    after = {"status": "closed", "verdict": verdict}
    if before != after:
        row.status = "closed"
        row.verdict = verdict
        _audit_alert(session, principal, row, "alert.closed", before, after | {"reason": reason})
    return alert_view(row)


def escalate_alerts(
    session: Session,
    principal: Principal,
    alert_ids: Sequence[str],
    *,
    case_id: int | None,
    title: str | None,
) -> CaseView:
    """Move alerts into an existing case, or into a new one named `title`."""
    require_triage(principal, "escalate alerts")
    ids = list(dict.fromkeys(alert_ids))
    if not 1 <= len(ids) <= MAX_ESCALATE:
        raise ValidationError(f"escalate 1 to {MAX_ESCALATE} alerts", where="alert_ids")
    if title is not None and not title.strip():
        raise ValidationError("a case title must not be blank", where="title")
    rows = [load_alert(session, principal, alert_id, for_update=True) for alert_id in ids]
    if case_id is not None:
        case = load_case(session, principal, case_id, for_update=True)
        if case.status == "closed":
            raise ValidationError("the case is closed", where=f"case {case_id}")
        case.updated_at = utcnow()
    else:
        first = rows[0]
        same_rule = all(r.rule_id == first.rule_id for r in rows)
        same_entity = all(r.entity == first.entity for r in rows)
        case = open_case(
            session,
            actor=principal.username,
            title=(title or f"{first.rule_title}: {first.entity}").strip(),
            severity=max((r.severity for r in rows), key=SEVERITIES.index),
            agency_id=first.agency_id,
            rule_id=first.rule_id if same_rule else None,
            entity=first.entity if same_entity else None,
        )
    left = {row.case_id for row in rows if row.case_id is not None and row.case_id != case.id}
    for row in rows:
        before = {"status": row.status, "case_id": row.case_id}
        row.status = "escalated"
        row.case_id = case.id
        _audit_alert(
            session,
            principal,
            row,
            "alert.escalated",
            before,
            {"status": "escalated", "case_id": case.id},
        )
    session.flush()
    _close_emptied(session, principal, left, into=case.id)
    return get_case(session, principal, case.id)


def _close_emptied(
    session: Session, principal: Principal, case_ids: set[int], *, into: int
) -> None:
    """Close the open cases that escalation took every alert out of: merged into `into`.

    Otherwise an automatically opened case lingers in the open queue with nothing in it, and
    grouping would keep adding the next alerts of its rule and entity to it instead of the case
    the analyst chose.
    """
    for case_id in sorted(case_ids):
        remaining = session.scalar(select(func.count()).where(Alert.case_id == case_id))
        old = session.get(Case, case_id)
        if remaining or old is None or old.status not in OPEN_CASE_STATUSES:
            continue
        now = utcnow()
        before = {"status": old.status}
        old.status, old.updated_at, old.closed_at = "closed", now, now
        record(
            session,
            actor=principal.username,
            action="case.merged",
            object_type="case",
            object_id=old.id,
            agency_id=old.agency_id,
            before=before,
            after={"status": "closed", "merged_into": into},
        )
    session.flush()
