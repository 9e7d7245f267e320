"""A real app over real stores: a DuckDB event file and a migrated SQLite case store.

Two agencies, a user of every role, events of both agencies and one alert per agency, so that
every test can check tenant isolation against data that really exists in the other agency.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from soc.cases import CaseService
from soc.config import Settings, StorageSettings
from soc.model.agency import Agency, Principal
from soc.model.alert import Alert, alert_id
from soc.model.event import stamp
from soc.services import Services
from soc.storage.duckdb_store import DuckDBEventStore
from ui import create_app

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
USERS = {
    "admin": ("admin", None),
    "analyst": ("analyst", None),
    "manager": ("manager", None),
    "admin-a": ("agency_admin", "so-a"),
    "admin-b": ("agency_admin", "so-b"),
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def template_cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once with agencies and users (argon2 is slow on purpose), copied per test."""
    path = tmp_path_factory.mktemp("ui-template") / "cases.sqlite"
    cases = CaseService(f"sqlite:///{path}")
    cases.migrate()
    cases.upsert_agency(Agency("so-a", "Sở Thông tin và Truyền thông", ("10.1.0.0/16",)))
    cases.upsert_agency(Agency("so-b", "Sở Tài chính", ("10.2.0.0/16",)))
    for username, (role, agency_id) in USERS.items():
        cases.add_user(username, PASSWORD, role, agency_id)
    cases.close()
    return path


def make_event(agency: str, *, user: str, source_ip: str, outcome: str = "failure") -> dict:
    return stamp(
        {
            "@timestamp": "2026-03-02T08:00:00.000Z",
            "event": {"outcome": outcome, "action": "ssh_login"},
            "organization": {"id": agency},
            "source": {"ip": source_ip},
            "user": {"name": user},
            "host": {"name": f"web.{agency}"},
            "message": f"Failed password for {user} from {source_ip}",
        },
        dataset="system.auth",
    )


def make_alert(agency: str, event_id: str, *, rule: str = "ssh-brute", entity: str) -> Alert:
    return Alert(
        id=alert_id(rule, event_id),
        rule_id=rule,
        rule_title=f"SSH brute force ({rule})",
        severity="high",
        timestamp=T0,
        entity=entity,
        agency_ids=(agency,),
        event_ids=(event_id,),
        summary=f"failed logins from {entity}",
    )


@dataclass
class Platform:
    services: Services
    app: Flask
    data_dir: Path
    alert_a: str  # an alert of agency so-a
    alert_b: str  # an alert of agency so-b
    case_a: int  # the case detection grouped alert_a into
    case_b: int
    people: dict[str, Principal]  # by username


def build_platform(tmp_path: Path, template_cases: Path, *, api_token: str | None) -> Platform:
    data_dir = tmp_path / "var"
    data_dir.mkdir(parents=True)
    shutil.copyfile(template_cases, data_dir / "cases.sqlite")
    if api_token is not None:
        (data_dir / "api.token").write_text(api_token + "\n", encoding="utf-8")
    settings = replace(Settings(), storage=StorageSettings(data_dir=str(data_dir)))
    cases = CaseService(settings.cases_url)
    cases.migrate()
    events = DuckDBEventStore(settings.events_path)
    event_a = make_event("so-a", user="root", source_ip="203.0.113.7")
    event_b = make_event("so-b", user="ketoan", source_ip="198.51.100.9")
    events.write_batch([event_a, event_b])
    alert_a = make_alert("so-a", event_a["event"]["id"], entity="203.0.113.7")
    alert_b = make_alert("so-b", event_b["event"]["id"], entity="198.51.100.9")
    cases.add_alerts([alert_a, alert_b])
    services = Services(settings=settings, events=events, cases=cases)
    app = create_app(services)
    app.config["TESTING"] = True
    found = (cases.get_principal(uid) for uid in range(1, len(USERS) + 1))
    people = {p.username: p for p in found if p is not None}
    analyst = people["analyst"]
    return Platform(
        services=services,
        app=app,
        data_dir=data_dir,
        alert_a=alert_a.id,
        alert_b=alert_b.id,
        case_a=cases.get_alert(analyst, alert_a.id).case_id,
        case_b=cases.get_alert(analyst, alert_b.id).case_id,
        people=people,
    )


API_TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
def api_token() -> str:
    return API_TOKEN


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def platform_factory(tmp_path: Path, template_cases: Path) -> Iterator[Callable[..., Platform]]:
    """`platform_factory(api_token=None)`: another platform, e.g. one without an API token."""
    built: list[Platform] = []

    def build(*, api_token: str | None) -> Platform:
        platform = build_platform(tmp_path / str(len(built)), template_cases, api_token=api_token)
        built.append(platform)
        return platform

    yield build
    for platform in built:
        platform.services.close()


@pytest.fixture
def platform(platform_factory: Callable[..., Platform]) -> Platform:
    return platform_factory(api_token=API_TOKEN)


class Browser:
    """A test client that behaves like a person with a browser: it reads the CSRF token from
    the last page it saw and sends it back with each form, as the real page does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token: str | None = None

    def get(self, url: str, **kwargs) -> TestResponse:
        response = self.client.get(url, **kwargs)
        self._remember(response)
        return response

    def post(self, url: str, data: dict | None = None, **kwargs) -> TestResponse:
        if self.token is None:
            self.get("/login")
        form = {"csrf_token": self.token, **(data or {})}
        response = self.client.post(url, data=form, **kwargs)
        self._remember(response)
        return response

    def login(
        self, username: str, password: str = PASSWORD, *, next_url: str | None = None
    ) -> TestResponse:
        self.get("/login")
        form = {"username": username, "password": password}
        if next_url is not None:
            form["next"] = next_url
        return self.post("/login", form)

    def _remember(self, response: TestResponse) -> None:
        found = _CSRF.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)


@pytest.fixture
def browser(platform: Platform) -> Browser:
    return Browser(platform.app.test_client())


@pytest.fixture
def as_user(platform: Platform) -> Callable[[str], Browser]:
    """`as_user("analyst")`: a logged-in browser for that user."""

    def login(username: str) -> Browser:
        logged_in = Browser(platform.app.test_client())
        response = logged_in.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        logged_in.get(response.headers["Location"])  # the new session's CSRF token, as a browser
        return logged_in

    return login
