"""Logging in, staying logged in, and changing one's own password.

A login session carries the `session_epoch` its user had when it began. Changing the password
or deactivating the account bumps the epoch, and `session_principal` then refuses every older
session at its next request: a stolen or forgotten session dies with the old password.

Passwords are verified outside any transaction: argon2 is slow on purpose, and on SQLite a write
transaction held meanwhile would stall detection's writes behind every login.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from soc.cases.db import Database
from soc.cases.models import User
from soc.cases.passwords import Passwords, check_new_password
from soc.cases.users import audit_user, end_sessions, principal_of
from soc.errors import NotFound, ValidationError
from soc.model.agency import Principal
from soc.model.event import utcnow


@dataclass(frozen=True)
class SignIn:
    """Who logged in, and the session epoch to keep in their session."""

    principal: Principal
    session_epoch: int


def sign_in(db: Database, passwords: Passwords, username: str, password: str) -> SignIn | None:
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
    if user is None:
        passwords.burn(password)
        return None
    if not passwords.verify(user.password_hash, password) or not user.active:
        return None
    new_hash = passwords.hash(password) if passwords.needs_rehash(user.password_hash) else None
    with db.write() as session:
        current = session.get(User, user.id)
        # The epoch is read in the same transaction as the check: a password changed after the
        # verification above has bumped it, so a session from the old password never starts.
        if current is None or not current.active or current.session_epoch != user.session_epoch:
            return None
        if new_hash is not None:
            current.password_hash = new_hash
        current.last_login_at = utcnow()
        return SignIn(principal_of(current), current.session_epoch)


def session_principal(db: Database, user_id: int, epoch: int) -> Principal | None:
    """The caller of a session, each request; None once deactivated or its epoch has passed."""
    with db.read() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.session_epoch != epoch:
            return None
        return principal_of(user)


def change_own_password(
    db: Database, passwords: Passwords, principal: Principal, current: str, new: str
) -> int:
    """Set the caller's password after checking `current`; returns the new session epoch.

    The current password is checked here, not only by a form: a session left open on a shared
    workstation must not be enough to take the account over. A wrong one is audited.
    """
    check_new_password(new)
    with db.read() as session:
        user = session.get(User, principal.user_id)
        if user is None or not user.active:
            raise NotFound("no such user", where=f"user {principal.user_id}")
        stored_hash = user.password_hash
    if not passwords.verify(stored_hash, current):
        with db.write() as session:
            row = session.get(User, principal.user_id)
            if row is not None:
                audit_user(session, principal, row, "user.password_change_refused", None)
        raise ValidationError("the current password is wrong", where="current_password")
    new_hash = passwords.hash(new)
    with db.write() as session:
        row = session.get(User, principal.user_id)
        if row is None or row.password_hash != stored_hash:
            # Changed by someone else since we verified: the `current` we checked is stale.
            raise ValidationError("the current password is wrong", where="current_password")
        row.password_hash = new_hash
        end_sessions(row)
        audit_user(session, principal, row, "user.password_set", {"own": True})
        return row.session_epoch
