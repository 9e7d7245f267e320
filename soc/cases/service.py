"""`CaseService`: the one door to cases, alerts, users and audit, for the UI, CLI and detection.

Each method is one transaction: the change, its audit rows and the view it returns are all
made inside it, so callers never hold a session and never see half a change. Every method that
touches tenant data takes the caller's `Principal` first and filters by its agency scope in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import func, select

from soc.cases import casework, checkpoints, intake, logins, rules, triage, users
from soc.cases.db import Database
from soc.cases.intel_store import IntelStore
from soc.cases.logins import SignIn
from soc.cases.models import Alert, Case
from soc.cases.passwords import Passwords
from soc.cases.schema import upgrade
from soc.cases.sites import Sites
from soc.cases.source_store import SourceStates
from soc.cases.views import (
    AlertView,
    AuditView,
    CaseView,
    CommentView,
    RuleStateView,
    UserView,
)
from soc.errors import ConfigError
from soc.model.agency import Agency, Principal
from soc.model.alert import Alert as DetectedAlert


class CaseService:
    """Cases over SQLAlchemy: SQLite (`sqlite:///var/cases.sqlite`) or PostgreSQL
    (`postgresql+psycopg://...`). Safe to share between threads."""

    def __init__(self, url: str, *, group_window_minutes: int = 60) -> None:
        if group_window_minutes < 0:
            raise ConfigError("must not be negative", where="detection.case_grouping_minutes")
        self._db = Database(url)
        self._window = timedelta(minutes=group_window_minutes)
        self._passwords = Passwords()

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration; cheap and safe on every start."""
        with self._db.translate_errors():
            upgrade(self._db.writer)

    def close(self) -> None:
        self._db.dispose()

    # -- users and login -----------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        agency_id: str | None = None,
        *,
        by: Principal | None = None,
    ) -> UserView:
        """`by`: the admin doing it (the UI passes it; checked and audited). None: the CLI,
        which creates the first admin; audited as "system"."""
        with self._db.write() as s:
            return users.add_user(
                s,
                self._passwords,
                username=username,
                password=password,
                role=role,
                agency_id=agency_id,
                by=by,
            )

    def authenticate(self, username: str, password: str) -> Principal | None:
        found = self.sign_in(username, password)
        return found.principal if found else None

    def sign_in(self, username: str, password: str) -> SignIn | None:
        """A login: the principal and the session epoch its session must carry."""
        return logins.sign_in(self._db, self._passwords, username, password)

    def get_principal(self, user_id: int) -> Principal | None:
        """The user, if still active; for code that holds no login session."""
        with self._db.read() as s:
            return users.get_principal(s, user_id)

    def session_principal(self, user_id: int, epoch: int) -> Principal | None:
        """The logged-in user again, for each request; None once deactivated, removed, or
        their password changed since the session began (its `epoch` has passed)."""
        return logins.session_principal(self._db, user_id, epoch)

    def change_own_password(self, principal: Principal, current: str, new: str) -> int:
        """Everyone's own password, after proving the current one; returns the new session
        epoch (the caller's other sessions end). A wrong `current` is audited and refused."""
        return logins.change_own_password(self._db, self._passwords, principal, current, new)

    def list_users(self, principal: Principal | None) -> list[UserView]:
        """Admins only; None is the local operator (the CLI), like `add_user` without `by`."""
        with self._db.read() as s:
            return users.list_users(s, principal)

    def set_password(self, principal: Principal, user_id: int, new_password: str) -> None:
        with self._db.write() as s:
            users.set_password(s, self._passwords, principal, user_id, new_password)

    def reset_password(self, username: str, new_password: str) -> None:
        """The CLI's reset of a forgotten password (no principal); audited as "system"."""
        with self._db.write() as s:
            users.reset_password(s, self._passwords, username, new_password)

    def set_user_active(self, principal: Principal, user_id: int, active: bool) -> UserView:
        """Admins only; a deactivated user can no longer log in or stay logged in."""
        with self._db.write() as s:
            return users.set_user_active(s, principal, user_id, active)

    def set_user_active_by_name(self, username: str, active: bool) -> UserView:
        """The CLI's (de)activation on the server (no principal); audited as "system"."""
        with self._db.write() as s:
            return users.set_active_by_name(s, username, active)

    # -- agencies ------------------------------------------------------------------------------

    def upsert_agency(self, agency: Agency) -> None:
        with self._db.write() as s:
            users.upsert_agency(s, agency)

    def list_agencies(self, principal: Principal | None = None) -> list[Agency]:
        """The caller's agencies (all of them for province staff, or with no principal)."""
        with self._db.read() as s:
            return users.list_agencies(s, principal.agency_scope if principal else None)

    def agencies(self) -> list[Agency]:
        """Every agency with its networks, for the `AgencyTagger`."""
        return self.list_agencies()

    # -- alerts --------------------------------------------------------------------------------

    def add_alerts(self, alerts: Sequence[DetectedAlert]) -> int:
        """Store new alerts (known ids are ignored) and group them into cases; returns how many
        were new. Implements detection's `AlertSink`."""
        with self._db.write() as s:
            return intake.add_alerts(s, alerts, self._window)

    def list_alerts(
        self,
        principal: Principal,
        *,
        agency_id: str | None = None,
        severity: str | None = None,
        rule_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[AlertView], int]:
        """A page of alerts, newest first, and the total matching the filters."""
        with self._db.read() as s:
            return triage.list_alerts(
                s,
                principal,
                agency_id=agency_id,
                severity=severity,
                rule_id=rule_id,
                status=status,
                limit=limit,
                offset=offset,
            )

    def get_alert(self, principal: Principal, alert_id: str) -> AlertView:
        with self._db.read() as s:
            return triage.get_alert(s, principal, alert_id)

    def acknowledge_alert(self, principal: Principal, alert_id: str) -> AlertView:
        with self._db.write() as s:
            return triage.acknowledge_alert(s, principal, alert_id)

    def close_alert(
        self, principal: Principal, alert_id: str, *, verdict: str, reason: str = ""
    ) -> AlertView:
        """`verdict`: "true_positive" or "false_positive"; the reason goes to the audit log."""
        with self._db.write() as s:
            return triage.close_alert(s, principal, alert_id, verdict=verdict, reason=reason)

    def escalate_alerts(
        self,
        principal: Principal,
        alert_ids: Sequence[str],
        *,
        case_id: int | None = None,
        title: str | None = None,
    ) -> CaseView:
        """Into case `case_id`, or a new case (titled `title`, else after the first alert)."""
        with self._db.write() as s:
            return triage.escalate_alerts(s, principal, alert_ids, case_id=case_id, title=title)

    def alert_facets(self, principal: Principal) -> dict[str, Any]:
        """{"rules": [(rule_id, title)], "severities": [...], "statuses": [...]}, as present in
        the caller's alerts (severities most severe first)."""
        with self._db.read() as s:
            return triage.alert_facets(s, principal)

    # -- cases ---------------------------------------------------------------------------------

    def list_cases(
        self,
        principal: Principal,
        *,
        status: str | None = None,
        agency_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[CaseView], int]:
        """A page of cases, most recently changed first, and the total."""
        with self._db.read() as s:
            return casework.list_cases(
                s, principal, status=status, agency_id=agency_id, limit=limit, offset=offset
            )

    def get_case(self, principal: Principal, case_id: int) -> CaseView:
        """The case with the linked alerts the caller may see."""
        with self._db.read() as s:
            return casework.get_case(s, principal, case_id)

    def update_case(
        self,
        principal: Principal,
        case_id: int,
        *,
        status: str | None = None,
        severity: str | None = None,
        assignee_id: int | None = None,
        title: str | None = None,
        description: str | None = None,
    ) -> CaseView:
        """None leaves a field unchanged; `assignee_id=0` unassigns."""
        with self._db.write() as s:
            return casework.update_case(
                s,
                principal,
                case_id,
                status=status,
                severity=severity,
                assignee_id=assignee_id,
                title=title,
                description=description,
            )

    def add_comment(self, principal: Principal, case_id: int, body: str) -> CommentView:
        with self._db.write() as s:
            return casework.add_comment(s, principal, case_id, body)

    def list_comments(self, principal: Principal, case_id: int) -> list[CommentView]:
        with self._db.read() as s:
            return casework.list_comments(s, principal, case_id)

    def case_audit(self, principal: Principal, case_id: int) -> list[AuditView]:
        """The case's history and its alerts', oldest first."""
        with self._db.read() as s:
            return casework.case_audit(s, principal, case_id)

    def assignable_users(self, principal: Principal) -> list[UserView]:
        """Active analysts and admins; only callers who may assign (triage roles) ask."""
        with self._db.read() as s:
            return users.assignable_users(s, principal)

    # -- detection checkpoints -----------------------------------------------------------------

    def get_checkpoint(self, rule_id: str) -> datetime | None:
        with self._db.read() as s:
            return checkpoints.get_checkpoint(s, rule_id)

    def set_checkpoint(
        self, rule_id: str, until: datetime, *, matches: int, error: str | None = None
    ) -> None:
        """Implements detection's `CheckpointStore`; an `error` keeps the old checkpoint."""
        with self._db.write() as s:
            checkpoints.set_checkpoint(s, rule_id, until, matches=matches, error=error)

    def disabled_rules(self) -> frozenset[str]:
        """Implements detection's `RuleControls`, like the two methods below."""
        with self._db.read() as s:
            return checkpoints.disabled_rules(s)

    def failing_rules(self) -> frozenset[str]:
        with self._db.read() as s:
            return checkpoints.failing_rules(s)

    def pass_over(self, rule_id: str, until: datetime) -> None:
        with self._db.write() as s:
            checkpoints.pass_over(s, rule_id, until)

    # -- rule management -------------------------------------------------------------------------

    def rule_states(self, principal: Principal | None = None) -> list[RuleStateView]:
        """Every rule's state; province staff only (None: detection and the CLI)."""
        if principal is not None:
            rules.require_rule_reader(principal)
        with self._db.read() as s:
            return checkpoints.rule_states(s)

    def rule_state(self, principal: Principal, rule_id: str) -> RuleStateView | None:
        """None for a rule that never ran and was never switched."""
        rules.require_rule_reader(principal)
        with self._db.read() as s:
            return rules.rule_state(s, rule_id)

    def set_rule_enabled(
        self, principal: Principal, rule_id: str, enabled: bool, *, reason: str = ""
    ) -> RuleStateView:
        """Analysts and admins; audited with the reason. Detection follows on its next pass."""
        with self._db.write() as s:
            return rules.set_enabled(s, principal, rule_id, enabled, reason=reason)

    def retry_rule(self, principal: Principal, rule_id: str) -> RuleStateView:
        """Clear a quarantined rule's error so that detection runs it again; audited."""
        with self._db.write() as s:
            return rules.retry(s, principal, rule_id)

    def record_retro_hunt(
        self,
        principal: Principal | None,
        rule_ids: Sequence[str],
        *,
        start: datetime,
        end: datetime,
    ) -> None:
        """Check and audit a retro-hunt before it runs (None: the local operator)."""
        with self._db.write() as s:
            rules.record_retro_hunt(s, principal, rule_ids, start=start, end=end)

    def rule_history(self, principal: Principal, rule_id: str) -> list[AuditView]:
        """Switches, retries and retro-hunts of the rule, newest first."""
        rules.require_rule_reader(principal)
        with self._db.read() as s:
            return rules.history(s, rule_id)

    # -- what feeds the platform: remote sites, source states, threat intel -------------------

    @cached_property
    def sites(self) -> Sites:
        return Sites(self._db)

    @cached_property
    def sources(self) -> SourceStates:
        return SourceStates(self._db)

    @cached_property
    def intel(self) -> IntelStore:
        return IntelStore(self._db)

    # -- health --------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self._db.read() as s:
            return {
                "alerts": s.scalar(select(func.count(Alert.id))) or 0,
                "cases": s.scalar(select(func.count(Case.id))) or 0,
            }
