"""The scheduler on real stores: DuckDB events and the real CaseService on SQLite, in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from soc.cases import CaseService
from soc.model.agency import Principal
from soc.model.event import Event, isoformat, stamp
from soc.rules import Catalog, load_catalog
from soc.storage import DuckDBEventStore

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"
ANALYST = Principal(user_id=1, username="analyst", role="analyst")


@pytest.fixture(scope="session")
def shipped() -> Catalog:
    """Our own rules, which these tests name: every pass would also run the vendored SigmaHQ
    set (thousands of rules) without telling the tests anything more."""
    return load_catalog([RULES_DIR / "soc"], pipelines=[RULES_DIR / "pipelines"])


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


@pytest.fixture
def alerts_of(cases: CaseService) -> Callable[[str], list]:
    """The alerts the case store holds for a rule (as a province analyst sees them)."""

    def read(rule_id: str) -> list:
        return cases.list_alerts(ANALYST, rule_id=rule_id, limit=500)[0]

    return read


@pytest.fixture
def window() -> datetime:
    """A 5-minute boundary in the recent past: a burst from it fits one correlation window."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % 5 + 10)


def webshell_request(at: datetime, *, ip: str = "203.0.113.80") -> Event:
    return stamp(
        {
            "@timestamp": isoformat(at),
            "event": {"module": "apache"},
            "source": {"ip": ip},
            "url": {"original": "/uploads/shell.php", "path": "/uploads/shell.php"},
            "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
            "organization": {"id": "so-a"},
            "related": {"organization_ids": ["so-a", "so-b"]},
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
def make() -> SimpleNamespace:
    """Event builders: `make.webshell_request(at)`, `make.ssh_failures(ip, at, count)`."""
    return SimpleNamespace(webshell_request=webshell_request, ssh_failures=ssh_failures)
