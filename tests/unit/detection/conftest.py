"""The scheduler on real stores: DuckDB events and the real CaseService on SQLite, in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soc.cases import CaseService
from soc.model.agency import Principal
from soc.model.alert import Alert
from soc.model.event import Event, isoformat, stamp
from soc.rules import Catalog, load_catalog
from soc.storage import DuckDBEventStore

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"
ANALYST = Principal(user_id=1, username="analyst", role="analyst")

BRUTE_FORCE = "a18ed328-a35d-43ad-830b-1483954ae5fc"
WEBSHELL = "f339a58b-8176-4934-8df6-5054d5696c9e"


@pytest.fixture(scope="session")
def shipped() -> Catalog:
    return load_catalog([RULES_DIR])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    events = DuckDBEventStore(tmp_path / "events.duckdb")
    yield events
    events.close()


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[CaseService]:
    service = CaseService(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    service.migrate()
    yield service
    service.close()


def stored_alerts(cases: CaseService, rule_id: str | None = None) -> list:
    return cases.list_alerts(ANALYST, rule_id=rule_id, limit=500)[0]


@pytest.fixture
def alerts_of(cases: CaseService):
    def read(rule_id: str | None = None) -> list:
        return stored_alerts(cases, rule_id)

    return read


def webshell_request(at: datetime, *, ip: str = "203.0.113.80", agency: str = "so-a") -> Event:
    return stamp(
        {
            "@timestamp": isoformat(at),
            "event": {"module": "apache"},
            "source": {"ip": ip},
            "url": {"original": "/uploads/shell.php", "path": "/uploads/shell.php"},
            "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
            "organization": {"id": agency},
        },
        dataset="apache.access",
    )


def ssh_failures(ip: str, at: datetime, count: int) -> list[Event]:
    return [
        stamp(
            {
                "@timestamp": isoformat(at + timedelta(seconds=i)),
                "event": {"outcome": "failure", "action": "ssh_login"},
                "process": {"name": "sshd"},
                "source": {"ip": ip},
                "user": {"name": "root"},
                "organization": {"id": "so-a"},
            },
            dataset="system.auth",
        )
        for i in range(count)
    ]


@pytest.fixture
def minute() -> datetime:
    """A 5-minute boundary a little in the past, so bursts fall into one correlation window."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % 5 + 10)


@pytest.fixture
def events():
    class Events:
        webshell = staticmethod(webshell_request)
        ssh_failures = staticmethod(ssh_failures)

    return Events


__all__ = ["Alert"]
