"""Alerts arriving from detection: stored once, then grouped into cases.

Grouping keeps one incident in one case: an alert joins the open case of the same rule, entity
and agency whose newest alert is within the window of it, otherwise it opens a new case. The
agency is part of the key so that one attacker hitting two agencies gives each agency its own
case (each agency admin works and sees their own incident).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soc.cases.audit import SYSTEM, record
from soc.cases.casework import open_case
from soc.cases.models import ENTITY_LENGTH, TITLE_LENGTH, Alert, AlertAgency, Case
from soc.cases.vocab import OPEN_CASE_STATUSES, SEVERITIES
from soc.errors import ValidationError
from soc.model.alert import Alert as DetectedAlert
from soc.model.event import utcnow

_ID_CHUNK = 500  # keeps `IN (...)` far below every database's bound-parameter limit


def _check(alert: DetectedAlert) -> None:
    where = f"alert {alert.id or '?'} of rule {alert.rule_id}"
    if not alert.id or len(alert.id) > 64:
        raise ValidationError("an alert id has 1 to 64 characters", where=where)
    if alert.severity not in SEVERITIES:
        raise ValidationError(f"unknown severity {alert.severity!r}", where=where)
    if alert.timestamp.tzinfo is None:
        raise ValidationError("alert timestamp without time zone", where=where)


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _ID_CHUNK):
        yield ids[start : start + _ID_CHUNK]


def _unseen(session: Session, alerts: Sequence[DetectedAlert]) -> list[DetectedAlert]:
    """The alerts not stored yet, first copy of each id, oldest first (so grouping is stable)."""
    by_id: dict[str, DetectedAlert] = {}
    for alert in alerts:
        by_id.setdefault(alert.id, alert)
    known: set[str] = set()
    for chunk in _chunks(list(by_id)):
        known.update(session.scalars(select(Alert.id).where(Alert.id.in_(chunk))))
    fresh = [alert for alert_id, alert in by_id.items() if alert_id not in known]
    return sorted(fresh, key=lambda a: (a.timestamp, a.id))


def _group_case(session: Session, row: Alert, window: timedelta) -> Case | None:
    newest = func.max(Alert.timestamp)
    return session.scalar(
        select(Case)
        .join(Alert, Alert.case_id == Case.id)
        .where(
            Case.rule_id == row.rule_id,
            Case.entity == row.entity,
            Case.agency_id.is_not_distinct_from(row.agency_id),
            Case.status.in_(OPEN_CASE_STATUSES),
        )
        .group_by(Case.id)
        .having(newest >= row.timestamp - window, newest <= row.timestamp + window)
        .order_by(newest.desc(), Case.id.desc())
        .limit(1)
    )


def _row(alert: DetectedAlert) -> Alert:
    agency_ids = list(dict.fromkeys(a for a in alert.agency_ids if a))
    now = utcnow()
    return Alert(
        id=alert.id,
        rule_id=alert.rule_id,
        rule_title=alert.rule_title[:TITLE_LENGTH],
        severity=alert.severity,
        status="new",
        verdict=None,
        timestamp=alert.timestamp,
        # A long entity (a URL, a command line) is cut rather than failing the batch on
        # PostgreSQL; cut the same way every time, it still groups.
        entity=alert.entity[:ENTITY_LENGTH],
        agency_id=agency_ids[0] if agency_ids else None,
        event_ids=list(alert.event_ids),
        tags=list(alert.tags),
        summary=alert.summary,
        details=dict(alert.details),
        created_at=now,
        updated_at=now,
        agencies=[AlertAgency(agency_id=a) for a in agency_ids],
    )


def add_alerts(session: Session, alerts: Sequence[DetectedAlert], window: timedelta) -> int:
    for alert in alerts:
        _check(alert)
    fresh = _unseen(session, alerts)
    # The case each group key joined last in this batch, and that alert's time: a burst of
    # alerts about one entity (a brute force) then costs one grouping query, not one each.
    recent: dict[tuple[str, str, str | None], tuple[Case, datetime]] = {}
    for alert in fresh:
        row = _row(alert)
        session.add(row)
        key = (row.rule_id, row.entity, row.agency_id)
        cached = recent.get(key)
        if cached is not None and row.timestamp - cached[1] <= window:
            case = cached[0]
        else:
            case = _group_case(session, row, window) or _open_for(session, row)
        case.updated_at = utcnow()
        row.case_id = case.id
        recent[key] = (case, row.timestamp)
        record(
            session,
            actor=SYSTEM,
            action="alert.grouped",
            object_type="alert",
            object_id=row.id,
            agency_id=row.agency_id,
            after={"case_id": case.id},
        )
    session.flush()
    return len(fresh)


def _open_for(session: Session, row: Alert) -> Case:
    return open_case(
        session,
        actor=SYSTEM,
        title=f"{row.rule_title}: {row.entity}" if row.entity else row.rule_title,
        severity=row.severity,
        agency_id=row.agency_id,
        rule_id=row.rule_id,
        entity=row.entity,
    )
