"""Users, login and agencies: the people side of the case store."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from soc.cases.audit import SYSTEM, record
from soc.cases.convert import user_view
from soc.cases.models import Agency as AgencyRow
from soc.cases.models import User
from soc.cases.passwords import Passwords, check_new_password
from soc.cases.scope import require_admin, require_triage
from soc.cases.views import UserView
from soc.cases.vocab import ROLES, TRIAGE_ROLES
from soc.errors import NotFound, ValidationError
from soc.model.agency import Agency, Principal
from soc.model.event import utcnow

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,63}")
_AGENCY_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def audit_user(
    session: Session,
    actor: Principal | None,
    user: User,
    action: str,
    after: dict[str, Any] | None,
) -> None:
    record(
        session,
        actor=actor.username if actor is not None else SYSTEM,
        action=action,
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
        after=after,
    )


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id, username=user.username, role=user.role, agency_id=user.agency_id
    )


def add_user(
    session: Session,
    passwords: Passwords,
    *,
    username: str,
    password: str,
    role: str,
    agency_id: str | None,
    by: Principal | None,
) -> UserView:
    if by is not None:
        require_admin(by, "add users")
    if not _USERNAME.fullmatch(username):
        raise ValidationError(
            "a username has 2-64 letters, digits or . _ @ - and starts with a letter or digit",
            where="username",
        )
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r} (one of {', '.join(ROLES)})", where="role")
    if role == "agency_admin" and not agency_id:
        raise ValidationError("an agency admin needs an agency", where="agency_id")
    if agency_id is not None and session.get(AgencyRow, agency_id) is None:
        raise ValidationError(f"unknown agency {agency_id!r}", where="agency_id")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"username {username!r} is taken", where="username")
    check_new_password(password)
    user = User(
        username=username,
        password_hash=passwords.hash(password),
        role=role,
        agency_id=agency_id,
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit_user(session, by, user, "user.created", {"role": role, "agency_id": agency_id})
    return user_view(user)


def get_principal(session: Session, user_id: int) -> Principal | None:
    user = session.get(User, user_id)
    return principal_of(user) if user is not None and user.active else None


def list_users(session: Session, principal: Principal | None) -> list[UserView]:
    if principal is not None:
        require_admin(principal, "list users")
    return [user_view(u) for u in session.scalars(select(User).order_by(User.username))]


def set_password(
    session: Session, passwords: Passwords, principal: Principal, user_id: int, new_password: str
) -> None:
    """Admins set a password without knowing the old one; everyone else changes their own
    through `logins.change_own_password`, which asks for the current password first."""
    require_admin(principal, "set a password without the current one")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", where=f"user {user_id}")
    check_new_password(new_password)
    user.password_hash = passwords.hash(new_password)
    end_sessions(user)
    audit_user(session, principal, user, "user.password_set", None)


def reset_password(
    session: Session, passwords: Passwords, username: str, new_password: str
) -> None:
    """The operator's path (CLI on the server), for a forgotten password: no principal."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no such user", where=f"user {username}")
    check_new_password(new_password)
    user.password_hash = passwords.hash(new_password)
    end_sessions(user)
    audit_user(session, None, user, "user.password_set", None)


def set_user_active(session: Session, principal: Principal, user_id: int, active: bool) -> UserView:
    """Users are deactivated, never deleted, so that comments and the audit keep their author."""
    require_admin(principal, "activate or deactivate users")
    if user_id == principal.user_id and not active:
        raise ValidationError("you cannot deactivate yourself", where=f"user {user_id}")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", where=f"user {user_id}")
    return _set_active(session, principal, user, active)


def set_active_by_name(session: Session, username: str, active: bool) -> UserView:
    """The operator's path (CLI on the server): no principal, audited as "system"."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no such user", where=f"user {username}")
    return _set_active(session, None, user, active)


def _set_active(session: Session, by: Principal | None, user: User, active: bool) -> UserView:
    if user.active != active:
        user.active = active
        if not active:
            # Sessions begun before stay dead after a later reactivation, too.
            end_sessions(user)
        audit_user(
            session,
            by,
            user,
            "user.activated" if active else "user.deactivated",
            {"active": active},
        )
    return user_view(user)


def end_sessions(user: User) -> None:
    """Every login session of `user` begun before now stops working at its next request."""
    user.session_epoch = (user.session_epoch or 0) + 1


def assignable_users(session: Session, principal: Principal) -> list[UserView]:
    require_triage(principal, "assign cases")
    query = (
        select(User)
        .where(User.active.is_(True), User.role.in_(TRIAGE_ROLES))
        .order_by(User.username)
    )
    return [user_view(u) for u in session.scalars(query)]


def upsert_agency(session: Session, agency: Agency) -> None:
    if not _AGENCY_ID.fullmatch(agency.id):
        raise ValidationError(
            "an agency id is a slug: lower-case letters, digits, . _ -", where="agency.id"
        )
    if not agency.name.strip():
        raise ValidationError("an agency needs a name", where=f"agency {agency.id}")
    for cidr in agency.cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise ValidationError(str(exc), where=f"agency {agency.id}") from exc
    row = session.get(AgencyRow, agency.id)
    if row is None:
        session.add(AgencyRow(id=agency.id, name=agency.name, cidrs=list(agency.cidrs)))
    else:
        row.name = agency.name
        row.cidrs = list(agency.cidrs)


def list_agencies(session: Session, scope: tuple[str, ...] | None) -> list[Agency]:
    query = select(AgencyRow).order_by(AgencyRow.id)
    if scope is not None:
        query = query.where(AgencyRow.id.in_(scope))
    return [
        Agency(id=row.id, name=row.name, cidrs=tuple(row.cidrs)) for row in session.scalars(query)
    ]
