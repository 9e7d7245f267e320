"""People's side of detection rules: who may look at them, switch them, retry and hunt with them.

Detection's side (checkpoints, what the scheduler reads each pass) is in `checkpoints.py`.
Rules are not tenant data, but their states and hit counts span every agency, so only province
staff see them; changing them is the SOC's job (analysts and admins). Every change is audited
as object type "rule", and a retro-hunt too: it fills the queue on someone's request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from soc.cases.audit import SYSTEM, record
from soc.cases.checkpoints import locked_state
from soc.cases.convert import audit_view, rule_state_view
from soc.cases.models import AuditLog, RuleState
from soc.cases.scope import require_triage
from soc.cases.views import AuditView, RuleStateView
from soc.errors import Forbidden, NotFound, ValidationError
from soc.model.agency import Principal
from soc.model.event import isoformat

OBJECT_TYPE = "rule"
MAX_RULE_ID = 64  # the audit log's object id column
MAX_REASON = 2000
HISTORY_LIMIT = 100


def require_rule_reader(principal: Principal) -> None:
    """Province staff (admins, analysts, managers) only."""
    if principal.agency_scope is not None:
        raise Forbidden("rules are visible to province staff only", where=principal.username)


def rule_state(session: Session, rule_id: str) -> RuleStateView | None:
    state = session.get(RuleState, rule_id)
    return rule_state_view(state) if state is not None else None


def set_enabled(
    session: Session, principal: Principal, rule_id: str, enabled: bool, *, reason: str
) -> RuleStateView:
    """Switch a rule on or off; switching it to what it already is changes and records nothing.

    The scheduler sees the switch on its next pass (see `soc.detection.scheduler` for what
    happens to the events ingested while a rule is off).
    """
    require_triage(principal, "switch rules on or off")
    _check_rule_id(rule_id)
    if len(reason) > MAX_REASON:
        raise ValidationError(f"reason longer than {MAX_REASON} characters", where="reason")
    state = locked_state(session, rule_id)
    if state.enabled != enabled:
        after: dict[str, object] = {"enabled": enabled}
        if reason:
            after["reason"] = reason
        record(
            session,
            actor=principal.username,
            action="rule.enabled" if enabled else "rule.disabled",
            object_type=OBJECT_TYPE,
            object_id=rule_id,
            agency_id=None,
            before={"enabled": state.enabled},
            after=after,
        )
        state.enabled = enabled
    return rule_state_view(state)


def retry(session: Session, principal: Principal, rule_id: str) -> RuleStateView:
    """Clear a failing rule's error, which lets the scheduler run it again on its next pass.

    Its checkpoint did not move while it failed, so the retried run covers what it missed.
    """
    require_triage(principal, "retry rules")
    state = session.get(RuleState, rule_id, with_for_update=True)
    if state is None:
        raise NotFound("no such rule state", where=f"rule {rule_id}")
    if state.last_error is not None:
        record(
            session,
            actor=principal.username,
            action="rule.retried",
            object_type=OBJECT_TYPE,
            object_id=rule_id,
            agency_id=None,
            before={"last_error": state.last_error},
            after={"last_error": None},
        )
        state.last_error = None
    return rule_state_view(state)


def record_retro_hunt(
    session: Session,
    principal: Principal | None,
    rule_ids: Sequence[str],
    *,
    start: datetime,
    end: datetime,
) -> None:
    """One audit row per rule, written before the hunt runs: who asked for which window.

    `principal=None` is the local operator (the CLI and the token API), audited as "system".
    """
    if principal is not None:
        require_triage(principal, "run retro-hunts")
    for rule_id in dict.fromkeys(rule_ids):
        _check_rule_id(rule_id)
        record(
            session,
            actor=principal.username if principal is not None else SYSTEM,
            action="rule.retro_hunt",
            object_type=OBJECT_TYPE,
            object_id=rule_id,
            agency_id=None,
            after={"from": isoformat(start), "to": isoformat(end)},
        )


def history(session: Session, rule_id: str) -> list[AuditView]:
    """The rule's audit rows, newest first (the most recent switch is what people look for)."""
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.object_type == OBJECT_TYPE, AuditLog.object_id == rule_id)
        .order_by(AuditLog.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [audit_view(row) for row in rows]


def _check_rule_id(rule_id: str) -> None:
    if not rule_id or len(rule_id) > MAX_RULE_ID:
        raise ValidationError(f"a rule id has 1 to {MAX_RULE_ID} characters", where="rule id")
