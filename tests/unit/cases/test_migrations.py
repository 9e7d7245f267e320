"""The schema comes from the migrations, re-running them is harmless, and they match the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from soc.cases import CaseService
from soc.cases.db import Database
from soc.cases.models import Base
from soc.cases.schema import alembic_config

TABLES = {
    "agencies",
    "users",
    "cases",
    "alerts",
    "alert_agencies",
    "comments",
    "audit_log",
    "rule_states",
    "sites",
    "source_states",
    "intel_feeds",
    "intel_indicators",
    "alembic_version",
}


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_fresh_database_is_migrated_to_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'cases.sqlite'}"
    service = CaseService(url)
    service.migrate()
    service.close()

    engine = create_engine(url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == TABLES
        assert MigrationContext.configure(connection).get_current_revision() == _head()
    engine.dispose()


def test_migrate_twice_keeps_data(tmp_path: Path, make_alert) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    first = CaseService(url)
    first.migrate()
    first.add_alerts([make_alert("a1")])
    first.close()

    again = CaseService(url)
    again.migrate()
    assert again.counts() == {"alerts": 1, "cases": 1}
    again.close()


def test_two_processes_migrating_at_once(tmp_path: Path) -> None:
    # `soc serve` and `soc user add` started together on a new install.
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    script = "import sys; from soc.cases import CaseService; CaseService(sys.argv[1]).migrate()"
    starts = [
        subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for start in starts:
        _, err = start.communicate()
        assert start.returncode == 0, err.decode()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == _head()
    engine.dispose()


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    service = CaseService(url)
    service.migrate()
    service.close()

    engine = create_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    service = CaseService(url)
    service.migrate()
    service.close()

    engine = create_engine(url)
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}
        command.upgrade(config, "head")
        assert set(inspect(connection).get_table_names()) == TABLES
    engine.dispose()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    with database.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()
