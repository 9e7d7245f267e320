"""Persisted source states (`soc.model.source_state`): the silence checker's memory.

The checker writes every tick; operators set a per-source interval or forget a source that was
retired on purpose. A source's return after a silence is audited and noted on the alert that the
silence raised, so the analyst sees how long the gap lasted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from soc.cases.audit import SYSTEM, record
from soc.cases.db import Database
from soc.cases.ingest_models import SourceStateRow
from soc.cases.models import Alert
from soc.cases.operators import admin_actor
from soc.errors import NotFound, ValidationError
from soc.model.agency import Principal
from soc.model.event import isoformat, utcnow
from soc.model.source_state import SourceState

_KEY_LENGTH = 200


def _state(row: SourceStateRow) -> SourceState:
    return SourceState(
        kind=row.kind,
        key=row.key,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        agency_id=row.agency_id,
        interval_seconds=row.interval_seconds,
        silent_since=row.silent_since,
        alert_id=row.alert_id,
    )


def _existing(session: Session, kind: str, key: str) -> SourceStateRow:
    row = session.get(SourceStateRow, (kind, key))
    if row is None:
        raise NotFound("no such source", where=f"{kind} {key}")
    return row


def _record(
    session: Session,
    actor: str,
    action: str,
    kind: str,
    key: str,
    agency_id: str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """An audit row about the source `kind:key`."""
    record(
        session,
        actor=actor,
        action=action,
        object_type="source",
        object_id=f"{kind}:{key}"[:64],
        agency_id=agency_id,
        before=before,
        after=after,
    )


class SourceStates:
    """`CaseService.sources`; implements `soc.detection.silence.SourceStateStore`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self) -> list[SourceState]:
        with self._db.read() as session:
            rows = session.scalars(select(SourceStateRow).order_by("kind", "key"))
            return [_state(row) for row in rows]

    def visible_to(self, principal: Principal) -> list[SourceState]:
        """The sources of the caller's agencies (all for province staff), for the UI."""
        query = select(SourceStateRow).order_by("kind", "key")
        if principal.agency_scope is not None:
            query = query.where(SourceStateRow.agency_id.in_(principal.agency_scope))
        with self._db.read() as session:
            return [_state(row) for row in session.scalars(query)]

    def save(self, states: Sequence[SourceState], *, returned: Sequence[SourceState] = ()) -> None:
        """Upsert `states`; `returned` are sources whose silence just ended (audited, and the
        silence's alert notes when the source came back)."""
        with self._db.write() as session:
            for state in states:
                if len(state.key) > _KEY_LENGTH:
                    continue  # a key this long is not an address or a site id: never stored
                row = session.get(SourceStateRow, (state.kind, state.key))
                if row is None:
                    row = SourceStateRow(kind=state.kind, key=state.key)
                    session.add(row)
                row.agency_id = state.agency_id
                row.first_seen = state.first_seen
                row.last_seen = state.last_seen
                row.interval_seconds = state.interval_seconds
                row.silent_since = state.silent_since
                row.alert_id = state.alert_id
            for state in returned:
                self._note_return(session, state)

    def _note_return(self, session: Session, state: SourceState) -> None:
        after = {"last_seen": isoformat(state.last_seen)}
        _record(
            session, SYSTEM, "source.returned", state.kind, state.key, state.agency_id, None, after
        )
        if state.alert_id is None:
            return
        alert = session.get(Alert, state.alert_id)
        if alert is not None:
            alert.details = {**alert.details, "returned_at": isoformat(state.last_seen)}
            alert.updated_at = utcnow()

    def set_interval(
        self, principal: Principal | None, kind: str, key: str, interval_seconds: int | None
    ) -> SourceState:
        """The expected interval of one source; None: its kind's default; 0: not monitored."""
        if interval_seconds is not None and interval_seconds < 0:
            raise ValidationError("an interval must not be negative", where=f"{kind} {key}")
        with self._db.write() as session:
            actor = admin_actor(principal, "set source intervals")
            row = _existing(session, kind, key)
            before = {"interval_seconds": row.interval_seconds}
            after = {"interval_seconds": interval_seconds}
            row.interval_seconds = interval_seconds
            _record(session, actor, "source.interval_set", kind, key, row.agency_id, before, after)
            return _state(row)

    def forget(self, principal: Principal | None, kind: str, key: str) -> None:
        """Drop a retired source so that its silence is not reported again."""
        with self._db.write() as session:
            actor = admin_actor(principal, "forget sources")
            row = _existing(session, kind, key)
            session.delete(row)
            _record(session, actor, "source.forgotten", kind, key, row.agency_id)
