"""Site tokens: shown once, stored hashed, bound to one agency, revocable, audited."""

from __future__ import annotations

import sqlite3

import pytest

from soc.cases import CaseService
from soc.cases.sites import TOKEN_PREFIX
from soc.errors import Forbidden, NotFound, ValidationError


def _audit(case_url: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(case_url.removeprefix("sqlite:///")) as db:
        rows = db.execute(
            "SELECT actor, action, object_id FROM audit_log WHERE object_type = 'site' ORDER BY id"
        )
        return list(rows)


def test_a_token_is_shown_once_and_stored_only_as_a_hash(
    service: CaseService, people, case_url
) -> None:
    issued = service.sites.create(people.admin, "yte-hq", "Sở Y tế, trụ sở", "so-a")
    assert issued.token.startswith(TOKEN_PREFIX) and len(issued.token) > 40
    assert issued.site.agency_id == "so-a" and issued.site.agency_name == "Sở A"
    with sqlite3.connect(case_url.removeprefix("sqlite:///")) as db:
        dump = "\n".join(db.iterdump())
    assert issued.token not in dump
    found = service.sites.authenticate(issued.token)
    assert found is not None and found.id == "yte-hq" and found.agency_id == "so-a"
    for wrong in (issued.token + "x", issued.token[:-1], "", "not-a-site-token", TOKEN_PREFIX):
        assert service.sites.authenticate(wrong) is None
    assert _audit(case_url) == [("admin", "site.created", "yte-hq")]


def test_revoke_and_rotate(service: CaseService, people, case_url) -> None:
    first = service.sites.create(None, "yte-hq", "HQ", "so-a")  # the CLI operator
    rotated = service.sites.rotate_token(people.admin, "yte-hq")
    assert service.sites.authenticate(first.token) is None
    assert service.sites.authenticate(rotated.token) is not None
    revoked = service.sites.revoke(people.admin, "yte-hq")
    assert not revoked.active
    assert service.sites.authenticate(rotated.token) is None
    again = service.sites.rotate_token(people.admin, "yte-hq")  # a new token re-activates
    assert service.sites.authenticate(again.token) is not None
    assert [action for _, action, _ in _audit(case_url)] == [
        "site.created",
        "site.token_issued",
        "site.revoked",
        "site.token_issued",
    ]
    assert _audit(case_url)[0][0] == "system"


def test_only_admins_manage_sites_and_agencies_see_their_own(service: CaseService, people) -> None:
    service.sites.create(people.admin, "a-hq", "A", "so-a")
    service.sites.create(people.admin, "b-hq", "B", "so-b")
    for who in (people.analyst, people.manager, people.admin_a):
        with pytest.raises(Forbidden):
            service.sites.create(who, "x", "X", "so-a")
    with pytest.raises(Forbidden):
        service.sites.revoke(people.admin_a, "a-hq")
    assert [s.id for s in service.sites.visible_to(people.admin_a)] == ["a-hq"]
    assert [s.id for s in service.sites.visible_to(people.manager)] == ["a-hq", "b-hq"]
    with pytest.raises(Forbidden):
        service.sites.rotate_token(people.admin_b, "a-hq")


def test_bad_input_is_refused_with_a_reason(service: CaseService, people) -> None:
    service.sites.create(people.admin, "a-hq", "A", "so-a")
    cases = [
        ("A HQ", "A", "so-a", "slug"),
        ("a-hq", "A", "so-a", "exists"),
        ("a-2", "  ", "so-a", "name"),
        ("a-3", "A", "so-zz", "unknown agency"),
    ]
    for site_id, name, agency, reason in cases:
        with pytest.raises(ValidationError, match=reason):
            service.sites.create(people.admin, site_id, name, agency)
    with pytest.raises(NotFound):
        service.sites.revoke(people.admin, "nope")
