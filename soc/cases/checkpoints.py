"""Detection's per-rule progress (implements detection's `CheckpointStore`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from soc.cases.convert import rule_state_view
from soc.cases.models import RuleState
from soc.cases.views import RuleStateView
from soc.errors import ValidationError
from soc.model.event import utcnow


def get_checkpoint(session: Session, rule_id: str) -> datetime | None:
    state = session.get(RuleState, rule_id)
    return state.checkpoint if state is not None else None


def set_checkpoint(
    session: Session, rule_id: str, until: datetime, *, matches: int, error: str | None
) -> None:
    """Record a run. A failed run (`error` set) keeps the old checkpoint, so that its window is
    run again once the rule works instead of being skipped silently."""
    if until.tzinfo is None:
        raise ValidationError("checkpoint without time zone", where=f"rule {rule_id}")
    state = locked_state(session, rule_id)
    if error is None:
        state.checkpoint = until
    state.last_run_at = utcnow()
    state.last_matches = matches
    state.total_matches += matches
    state.last_error = error


def rule_states(session: Session) -> list[RuleStateView]:
    rows = session.scalars(select(RuleState).order_by(RuleState.rule_id))
    return [rule_state_view(row) for row in rows]


def disabled_rules(session: Session) -> frozenset[str]:
    query = select(RuleState.rule_id).where(RuleState.enabled.is_(False))
    return frozenset(session.scalars(query))


def failing_rules(session: Session) -> frozenset[str]:
    query = select(RuleState.rule_id).where(RuleState.last_error.is_not(None))
    return frozenset(session.scalars(query))


def pass_over(session: Session, rule_id: str, until: datetime) -> None:
    """A disabled rule's checkpoint follows detection; its last run and error stay as they were."""
    if until.tzinfo is None:
        raise ValidationError("checkpoint without time zone", where=f"rule {rule_id}")
    state = locked_state(session, rule_id)
    state.checkpoint = until


def locked_state(session: Session, rule_id: str) -> RuleState:
    """The rule's state, locked for an update; a new one (added) for a rule nobody ran yet."""
    state = session.get(RuleState, rule_id, with_for_update=True)
    if state is None:
        state = new_state(rule_id)
        session.add(state)
    return state


def new_state(rule_id: str) -> RuleState:
    """The state of a rule nobody has run or touched yet: enabled, nothing counted."""
    return RuleState(rule_id=rule_id, last_matches=0, total_matches=0, enabled=True)
