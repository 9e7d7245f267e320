"""A migrated case store on a real SQLite file, two agencies and one user of every role."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soc.cases import CaseService
from soc.model.agency import Agency, Principal
from soc.model.alert import Alert

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PASSWORD = "a long enough password"


@dataclass(frozen=True)
class People:
    admin: Principal
    analyst: Principal
    manager: Principal
    admin_a: Principal  # agency_admin of so-a
    admin_b: Principal  # agency_admin of so-b


_ROLES = {
    "admin": ("admin", None),
    "analyst": ("analyst", None),
    "manager": ("manager", None),
    "admin_a": ("agency_admin", "so-a"),
    "admin_b": ("agency_admin", "so-b"),
}


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, People]:
    """Migrated once, with agencies and users: argon2 is slow on purpose, so hash only once."""
    path = tmp_path_factory.mktemp("template") / "cases.sqlite"
    svc = CaseService(f"sqlite:///{path}")
    svc.migrate()
    svc.upsert_agency(Agency("so-a", "Sở A", ("10.1.0.0/16",)))
    svc.upsert_agency(Agency("so-b", "Sở B", ("10.2.0.0/16",)))
    principals = {}
    for name, (role, agency_id) in _ROLES.items():
        user = svc.add_user(name.replace("_", "-"), PASSWORD, role, agency_id)
        principals[name] = Principal(user.id, user.username, user.role, user.agency_id)
    svc.close()  # the last connection closing folds the WAL into the file
    return path, People(**principals)


@pytest.fixture
def case_url(tmp_path: Path, template_db: tuple[Path, People]) -> str:
    """A fresh copy of the template database for each test."""
    path = tmp_path / "var" / "cases.sqlite"
    path.parent.mkdir()
    shutil.copyfile(template_db[0], path)
    return f"sqlite:///{path}"


@pytest.fixture
def service(case_url: str) -> Iterator[CaseService]:
    svc = CaseService(case_url)
    svc.migrate()
    yield svc
    svc.close()


@pytest.fixture
def people(template_db: tuple[Path, People]) -> People:
    return template_db[1]


MakeAlert = Callable[..., Alert]


@pytest.fixture
def make_alert() -> MakeAlert:
    def make(
        alert_id: str,
        *,
        minutes: float = 0,
        rule_id: str = "rule-ssh",
        entity: str = "203.0.113.7",
        agencies: tuple[str, ...] = ("so-a",),
        severity: str = "high",
    ) -> Alert:
        return Alert(
            id=alert_id,
            rule_id=rule_id,
            rule_title=f"Title of {rule_id}",
            severity=severity,
            timestamp=T0 + timedelta(minutes=minutes),
            entity=entity,
            agency_ids=agencies,
            event_ids=(f"ev-{alert_id}",),
            tags=("attack.t1110",),
            summary=f"summary {alert_id}",
            details={"count": 1},
        )

    return make


@pytest.fixture
def t0() -> datetime:
    """The time `make_alert(minutes=0)` happens at."""
    return T0


@pytest.fixture
def password() -> str:
    """The password every `people` user was created with."""
    return PASSWORD
