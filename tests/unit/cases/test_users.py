"""Users and login: argon2 hashes, password rules, roles, who may manage whom."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, select, update

from soc.cases import CaseService
from soc.cases.models import AuditLog, User
from soc.errors import Forbidden, NotFound, ValidationError


def _stored_hash(case_url: str, username: str) -> str:
    engine = create_engine(case_url)
    with engine.connect() as connection:
        stored = connection.scalar(select(User.password_hash).where(User.username == username))
    engine.dispose()
    assert stored is not None
    return stored


def test_password_is_stored_as_argon2id(service: CaseService, case_url: str, password) -> None:
    service.add_user("new-analyst", "twelve chars!", "analyst")
    stored = _stored_hash(case_url, "new-analyst")
    assert stored.startswith("$argon2id$")
    assert "twelve chars!" not in stored
    assert PasswordHasher().verify(stored, "twelve chars!")


def test_authenticate_returns_principal_and_records_login(
    service: CaseService, people, password
) -> None:
    principal = service.authenticate("admin-a", password)
    assert principal == people.admin_a
    assert principal.agency_scope == ("so-a",)
    user = next(u for u in service.list_users(people.admin) if u.username == "admin-a")
    assert user.last_login_at is not None
    assert user.last_login_at.tzinfo is not None


def test_wrong_password_and_unknown_user_are_refused(service: CaseService, people) -> None:
    assert service.authenticate("analyst", "not the password at all") is None
    assert service.authenticate("nobody", "not the password at all") is None
    never = next(u for u in service.list_users(people.admin) if u.username == "analyst")
    assert never.last_login_at is None


def test_short_password_is_rejected(service: CaseService, people, password) -> None:
    with pytest.raises(ValidationError, match="at least 12"):
        service.add_user("shorty", "elevenchars", "analyst")
    with pytest.raises(ValidationError, match="at least 12"):
        service.change_own_password(people.analyst, password, "too short")
    assert "shorty" not in {u.username for u in service.list_users(people.admin)}


def test_login_rehashes_a_hash_made_with_old_parameters(
    service: CaseService, case_url: str, people, password
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)
    engine = create_engine(case_url)
    with engine.begin() as connection:  # an old row, as an older release would have left it
        connection.execute(
            update(User).where(User.username == "manager").values(password_hash=weak)
        )
    engine.dispose()

    assert service.authenticate("manager", password) == people.manager
    renewed = _stored_hash(case_url, "manager")
    assert renewed != weak
    assert not PasswordHasher().check_needs_rehash(renewed)
    assert service.authenticate("manager", password) == people.manager


@pytest.mark.parametrize(
    ("username", "role", "agency_id", "message"),
    [
        ("analyst", "analyst", None, "taken"),
        ("someone", "root", None, "unknown role"),
        ("someone", "agency_admin", None, "needs an agency"),
        ("someone", "agency_admin", "so-zzz", "unknown agency"),
        ("bad name!", "analyst", None, "username"),
    ],
)
def test_add_user_validation(
    service: CaseService, people, username, role, agency_id, message
) -> None:
    before = service.list_users(people.admin)
    with pytest.raises(ValidationError, match=message):
        service.add_user(username, "long enough password", role, agency_id)
    assert service.list_users(people.admin) == before


def test_only_admin_manages_users(service: CaseService, case_url: str, people) -> None:
    for principal in (people.analyst, people.manager, people.admin_a):
        with pytest.raises(Forbidden):
            service.list_users(principal)
        with pytest.raises(Forbidden):
            service.add_user("x-user", "long enough password", "analyst", by=principal)
        with pytest.raises(Forbidden):
            service.set_password(principal, people.admin.user_id, "long enough password")
        with pytest.raises(Forbidden):
            service.set_user_active(principal, people.admin.user_id, False)
    made = service.add_user("x-user", "long enough password", "analyst", by=people.admin)
    assert made.role == "analyst"
    assert made.active
    service.set_user_active(people.admin, made.id, False)

    engine = create_engine(case_url)
    with engine.connect() as connection:
        trail = connection.execute(
            select(AuditLog.actor, AuditLog.action)
            .where(AuditLog.object_type == "user", AuditLog.object_id == str(made.id))
            .order_by(AuditLog.id)
        ).all()
    engine.dispose()
    assert trail == [("admin", "user.created"), ("admin", "user.deactivated")]


def test_users_change_their_own_password(service: CaseService, people, password) -> None:
    service.change_own_password(people.manager, password, "a brand new passphrase")
    assert service.authenticate("manager", password) is None
    assert service.authenticate("manager", "a brand new passphrase") == people.manager
    service.set_password(people.admin, people.manager.user_id, "reset by the admin!")
    assert service.authenticate("manager", "reset by the admin!") == people.manager
    with pytest.raises(NotFound):
        service.set_password(people.admin, 9999, "long enough password")


def test_own_password_needs_the_current_one(
    service: CaseService, case_url: str, people, password
) -> None:
    with pytest.raises(ValidationError, match="current password is wrong"):
        service.change_own_password(people.analyst, "not the password at all", "a new passphrase")
    assert service.authenticate("analyst", password) == people.analyst
    with pytest.raises(Forbidden):  # no way round the check through the admin's door
        service.set_password(people.analyst, people.analyst.user_id, "a new passphrase")
    engine = create_engine(case_url)
    with engine.connect() as connection:
        trail = connection.execute(
            select(AuditLog.actor, AuditLog.action).where(AuditLog.object_type == "user")
        ).all()
    engine.dispose()
    assert ("analyst", "user.password_change_refused") in trail


def test_a_password_change_ends_the_other_sessions(service: CaseService, people, password) -> None:
    first = service.sign_in("analyst", password)
    assert first is not None
    uid = people.analyst.user_id
    assert service.session_principal(uid, first.session_epoch) == people.analyst
    epoch = service.change_own_password(people.analyst, password, "a brand new passphrase")
    assert service.session_principal(uid, first.session_epoch) is None
    assert service.session_principal(uid, epoch) == people.analyst
    service.set_password(people.admin, uid, "reset by the admin!")
    assert service.session_principal(uid, epoch) is None
    again = service.sign_in("analyst", "reset by the admin!")
    assert again is not None
    service.reset_password("analyst", "reset by the operator")
    assert service.session_principal(uid, again.session_epoch) is None


def test_sessions_of_a_deactivated_user_stay_dead_after_reactivation(
    service: CaseService, people, password
) -> None:
    signed_in = service.sign_in("analyst", password)
    assert signed_in is not None
    service.set_user_active(people.admin, people.analyst.user_id, False)
    service.set_user_active(people.admin, people.analyst.user_id, True)
    assert service.session_principal(people.analyst.user_id, signed_in.session_epoch) is None
    assert service.sign_in("analyst", password) is not None


def test_operator_deactivates_and_activates_by_name(
    service: CaseService, case_url: str, people, password
) -> None:
    assert not service.set_user_active_by_name("manager", False).active
    assert service.authenticate("manager", password) is None
    assert service.set_user_active_by_name("manager", True).active
    assert service.authenticate("manager", password) == people.manager
    with pytest.raises(NotFound):
        service.set_user_active_by_name("nobody", False)
    engine = create_engine(case_url)
    with engine.connect() as connection:
        trail = connection.execute(
            select(AuditLog.actor, AuditLog.action)
            .where(AuditLog.object_id == str(people.manager.user_id))
            .order_by(AuditLog.id)
        ).all()
    engine.dispose()
    assert trail[-2:] == [("system", "user.deactivated"), ("system", "user.activated")]


def test_deactivated_user_cannot_log_in_or_stay_logged_in(
    service: CaseService, people, password
) -> None:
    assert service.get_principal(people.analyst.user_id) == people.analyst
    view = service.set_user_active(people.admin, people.analyst.user_id, False)
    assert not view.active
    assert service.authenticate("analyst", password) is None
    assert service.get_principal(people.analyst.user_id) is None
    assert people.analyst.user_id not in {u.id for u in service.assignable_users(people.admin)}
    with pytest.raises(ValidationError):
        service.set_user_active(people.admin, people.admin.user_id, False)
    service.set_user_active(people.admin, people.analyst.user_id, True)
    assert service.authenticate("analyst", password) == people.analyst


def test_get_principal_of_unknown_user(service: CaseService) -> None:
    assert service.get_principal(424242) is None


def test_assignable_users_are_active_triage_staff(service: CaseService, people) -> None:
    names = {u.username for u in service.assignable_users(people.analyst)}
    assert names == {"admin", "analyst"}
    with pytest.raises(Forbidden):
        service.assignable_users(people.admin_a)


def test_operator_lists_users_and_resets_a_password(service: CaseService, people) -> None:
    assert {u.username for u in service.list_users(None)} == {
        "admin",
        "analyst",
        "manager",
        "admin-a",
        "admin-b",
    }
    service.reset_password("admin-b", "forgotten and reset")
    assert service.authenticate("admin-b", "forgotten and reset") == people.admin_b
    with pytest.raises(ValidationError):
        service.reset_password("admin-b", "short")
    with pytest.raises(NotFound):
        service.reset_password("nobody", "long enough password")
