"""Who may see and do what: role checks and the SQL filters that enforce tenant scope.

Scope is applied inside the query (never by filtering results in Python), so a missing filter
shows up as a wrong SQL statement in one place rather than as a leak in many. An object outside
the caller's scope is reported as `NotFound`, exactly like one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from soc.cases.models import Alert, AlertAgency, Case
from soc.errors import Forbidden, NotFound
from soc.model.agency import Principal


def require_triage(principal: Principal, action: str) -> None:
    """Changing alert and case state is the province SOC's job (analysts and admins)."""
    if not principal.can_triage:
        raise Forbidden(f"role {principal.role!r} may not {action}", where=principal.username)


def require_comment(principal: Principal) -> None:
    """Agency admins talk to the SOC through comments; managers only read."""
    if principal.role not in ("admin", "analyst", "agency_admin"):
        raise Forbidden(f"role {principal.role!r} may not comment", where=principal.username)


def require_admin(principal: Principal, action: str) -> None:
    if principal.role != "admin":
        raise Forbidden(f"only an admin may {action}", where=principal.username)


def alert_in(agency_ids: tuple[str, ...] | None) -> ColumnElement[bool]:
    """Alerts that concern any of `agency_ids` (None: every alert)."""
    if agency_ids is None:
        return true()
    if not agency_ids:
        return false()
    return exists().where(AlertAgency.alert_id == Alert.id, AlertAgency.agency_id.in_(agency_ids))


def case_in(agency_ids: tuple[str, ...] | None) -> ColumnElement[bool]:
    """Cases owned by, or holding an alert of, any of `agency_ids` (None: every case).

    A case opened for one agency may hold an alert between two agencies; the second agency then
    sees the case too, though `get_case` shows it only the alerts in its own scope.
    """
    if agency_ids is None:
        return true()
    if not agency_ids:
        return false()
    linked = (
        select(AlertAgency.alert_id)
        .join(Alert, Alert.id == AlertAgency.alert_id)
        .where(Alert.case_id == Case.id, AlertAgency.agency_id.in_(agency_ids))
        .exists()
    )
    return or_(Case.agency_id.in_(agency_ids), linked)


def load_alert(
    session: Session, principal: Principal, alert_id: str, *, for_update: bool = False
) -> Alert:
    """`for_update` locks the row (PostgreSQL) so that the audit's "before" is what was changed."""
    query = select(Alert).where(Alert.id == alert_id, alert_in(principal.agency_scope))
    found = session.scalar(query.with_for_update() if for_update else query)
    if found is None:
        raise NotFound("no such alert", where=f"alert {alert_id}")
    return found


def load_case(
    session: Session, principal: Principal, case_id: int, *, for_update: bool = False
) -> Case:
    query = select(Case).where(Case.id == case_id, case_in(principal.agency_scope))
    found = session.scalar(query.with_for_update(of=Case) if for_update else query)
    if found is None:
        raise NotFound("no such case", where=f"case {case_id}")
    return found
