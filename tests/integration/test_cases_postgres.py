"""The case store's migrations and service on a real PostgreSQL.

Starts a throwaway cluster (initdb + pg_ctl, on a free port of 127.0.0.1, as the `postgres`
user when run as root) unless `SOC_PG_URL` points at a server where this test may create and
drop databases. Skips only when the PostgreSQL server binaries are not installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text

from soc.cases import CaseService
from soc.cases.models import Base
from soc.cases.schema import alembic_config
from soc.errors import Forbidden, NotFound, ValidationError
from soc.model.agency import Agency
from soc.model.alert import Alert

pytest.importorskip("psycopg", reason="psycopg (psycopg[binary]) is needed for PostgreSQL")

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PASSWORD = "a long enough password"


def _pg_bindir() -> Path | None:
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: drop to the `postgres` account for them."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    """A server URL (database `postgres`) where databases may be created and dropped."""
    if os.environ.get("SOC_PG_URL"):
        yield os.environ["SOC_PG_URL"]
        return
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    # Not pytest's tmp_path: its parent is private to root, and the server runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="soc-pg-"))
    data, sockets = base / "data", base / "run"
    sockets.mkdir()
    prefix = _as_postgres_user()
    if prefix:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        **run,
    )
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        # A non-UTC server zone proves the store hands out UTC whatever the session says.
        " -c timezone=Asia/Ho_Chi_Minh"
    )
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*pg_ctl, "-o", options, "-l", str(base / "log"), "-w", "start"], **run)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A new, empty database for one test."""
    name = f"soc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def service(pg_url: str) -> Iterator[CaseService]:
    svc = CaseService(pg_url)
    svc.migrate()
    svc.upsert_agency(Agency("so-a", "Sở A", ("10.1.0.0/16",)))
    svc.upsert_agency(Agency("so-b", "Sở B", ("10.2.0.0/16",)))
    yield svc
    svc.close()


def _alert(alert_id: str, *, minutes: float = 0, entity: str = "203.0.113.7", **kw) -> Alert:
    return Alert(
        id=alert_id,
        rule_id=kw.get("rule_id", "rule-ssh"),
        rule_title="SSH brute force",
        severity=kw.get("severity", "high"),
        timestamp=T0 + timedelta(minutes=minutes),
        entity=entity,
        agency_ids=kw.get("agencies", ("so-a",)),
        event_ids=(f"ev-{alert_id}",),
        details={"failures": 30},
    )


def test_migrations_on_postgres(pg_url: str) -> None:
    # Two processes starting at once (two UI workers): the advisory lock lets one migrate
    # while the other waits, then finds the schema at head.
    script = "import sys; from soc.cases import CaseService; CaseService(sys.argv[1]).migrate()"
    starts = [
        subprocess.Popen([sys.executable, "-c", script, pg_url], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for start in starts:
        _, err = start.communicate()
        assert start.returncode == 0, err.decode()
    again = CaseService(pg_url)
    again.migrate()  # at head: a no-op
    again.close()

    engine = create_engine(pg_url)
    with engine.connect() as connection:
        assert "alert_agencies" in inspect(connection).get_table_names()
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == head
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_service_on_postgres(service: CaseService) -> None:
    admin_view = service.add_user("admin", PASSWORD, "admin")
    service.add_user("analyst", PASSWORD, "analyst")
    service.add_user("admin-a", PASSWORD, "agency_admin", "so-a")
    with pytest.raises(ValidationError):
        service.add_user("analyst", PASSWORD, "analyst")
    analyst = service.authenticate("analyst", PASSWORD)
    admin_a = service.authenticate("admin-a", PASSWORD)
    assert analyst is not None
    assert admin_a is not None
    assert service.authenticate("analyst", "wrong password!!") is None
    assert service.get_principal(admin_view.id) is not None

    batch = [
        _alert("long", entity="x" * 2000),  # wider than the column: cut, not an error
        _alert("a1"),
        _alert("a2", minutes=30),
        _alert("a3", minutes=200),
        _alert("b1", agencies=("so-b",)),
    ]
    assert service.add_alerts(batch) == 5
    assert service.add_alerts(batch) == 0
    assert service.counts() == {"alerts": 5, "cases": 4}

    first = service.get_alert(analyst, "a1")
    assert first.timestamp == T0
    assert first.timestamp.utcoffset() == timedelta(0)
    assert first.case_id == service.get_alert(analyst, "a2").case_id
    assert first.case_id != service.get_alert(analyst, "a3").case_id
    case_id = first.case_id
    assert case_id is not None

    # Tenancy, in SQL.
    assert sorted(a.id for a in service.list_alerts(admin_a)[0]) == ["a1", "a2", "a3", "long"]
    assert service.list_cases(admin_a)[1] == 3
    b_case = service.get_alert(analyst, "b1").case_id
    assert b_case is not None
    with pytest.raises(NotFound):
        service.get_case(admin_a, b_case)
    with pytest.raises(NotFound):
        service.get_alert(admin_a, "b1")
    with pytest.raises(Forbidden):
        service.update_case(admin_a, case_id, status="closed")
    service.add_comment(admin_a, case_id, "Chúng tôi đã kiểm tra máy chủ.")

    # Triage and audit.
    service.acknowledge_alert(analyst, "a1")
    service.close_alert(analyst, "a2", verdict="true_positive", reason="confirmed")
    escalated = service.escalate_alerts(analyst, ["a3"], case_id=case_id)
    assert {a.id for a in escalated.alerts} == {"a1", "a2", "a3"}
    updated = service.update_case(analyst, case_id, status="resolved", assignee_id=analyst.user_id)
    assert updated.closed_at is not None
    assert updated.closed_at.utcoffset() == timedelta(0)
    actions = [(r.actor, r.action) for r in service.case_audit(analyst, case_id)]
    assert actions[0] == ("system", "case.opened")
    assert actions[-5:] == [
        ("admin-a", "comment.added"),
        ("analyst", "alert.acknowledged"),
        ("analyst", "alert.closed"),
        ("analyst", "alert.escalated"),
        ("analyst", "case.updated"),
    ]
    assert service.alert_facets(analyst)["statuses"] == [
        "new",
        "acknowledged",
        "escalated",
        "closed",
    ]

    # Detection checkpoints.
    service.set_checkpoint("rule-ssh", T0, matches=4)
    service.set_checkpoint("rule-ssh", T0 + timedelta(minutes=1), matches=0, error="boom")
    assert service.get_checkpoint("rule-ssh") == T0
    (state,) = service.rule_states()
    assert (state.total_matches, state.last_error) == (4, "boom")
