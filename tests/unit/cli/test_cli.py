"""The `soc` command on real stores in a temporary data directory."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from soc.cases.models import AuditLog
from soc.cli import main, parse_time
from soc.config import load_settings
from soc.model.event import parse_timestamp, stamp
from soc.services import build_services


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOC_DETECTION__ENABLED", "false")
    return tmp_path / "var"


def test_parse_time_accepts_iso_and_relative_forms() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse_time("now-15m", now=now) == now - timedelta(minutes=15)
    assert parse_time("now-7d", now=now) == now - timedelta(days=7)
    assert parse_time("now", now=now) == now
    assert parse_time("2026-11-20T01:02:03+07:00") == datetime(2026, 11, 19, 18, 2, 3, tzinfo=UTC)
    assert parse_time(None) is None


@pytest.mark.parametrize("bad", ["now-15x", "now-m", "yesterday"])
def test_parse_time_rejects_nonsense(bad: str) -> None:
    with pytest.raises(Exception, match="bad"):
        parse_time(bad)


def test_agencies_and_users_are_created_from_the_shell(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agencies", "add", "so-yte", "--name", "Sở Y tế", "--cidr", "10.20.0.0/16"]) == 0
    assert main(["agencies", "list"]) == 0
    assert "so-yte\tSở Y tế\t10.20.0.0/16" in capsys.readouterr().out

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    assert (
        main(
            [
                "users",
                "add",
                "bob",
                "--role",
                "agency_admin",
                "--agency",
                "so-yte",
                "--password-stdin",
            ]
        )
        == 0
    )
    services = build_services(load_settings())
    try:
        principal = services.cases.authenticate("bob", "a long enough passphrase")
    finally:
        services.close()
    assert principal is not None and principal.agency_scope == ("so-yte",)


def test_user_errors_become_exit_code_two(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "eve", "--role", "analyst", "--password-stdin"]) == 2
    assert "soc:" in capsys.readouterr().err


def test_search_reads_the_stopped_store_directly(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = build_services(load_settings())
    services.events.write_batch(
        [
            stamp(
                {"message": "Failed password for root", "source": {"ip": "203.0.113.9"}},
                dataset="system.auth",
            ),
            stamp({"message": "accepted"}, dataset="syslog"),
        ]
    )
    services.close()
    assert main(["search", "source.ip:203.0.113.9", "--format", "ndjson", "--all"]) == 0
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["message"] for e in found] == ["Failed password for root"]

    assert main(["search", "", "--format", "table", "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("@timestamp\t") and len(lines) == 2


def test_a_bad_query_is_a_clear_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_services(load_settings()).close()
    assert main(["search", "source.ip:(unclosed", "--all"]) == 2
    assert "cannot parse query" in capsys.readouterr().err


def test_search_through_the_server_resolves_relative_times(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API takes ISO times only: `--from now-24h` must reach it resolved."""
    from soc.errors import StoreLockedError

    def locked(*args: object) -> None:
        raise StoreLockedError("store in use")

    asked: dict[str, object] = {}

    def fake_call(settings: object, path: str, *, query: dict[str, object]) -> dict[str, object]:
        asked.update(query, path=path)
        return {"events": []}

    monkeypatch.setattr("soc.cli.search._search_local", locked)
    monkeypatch.setattr("soc.cli.search.call_server", fake_call)
    assert main(["search", "x", "--from", "now-24h", "--to", "now"]) == 0
    start, end = parse_timestamp(str(asked["from"])), parse_timestamp(str(asked["to"]))
    # `now` is read once per option and sent at millisecond precision: 24 h, give or take.
    assert abs(end - start - timedelta(hours=24)) < timedelta(seconds=1)
    assert asked["limit"] == 100 and asked["q"] == "x" and asked["path"] == "/api/search"


@pytest.mark.parametrize("limit", ["0", "-5", "ten"])
def test_search_limit_must_be_a_positive_number(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "x", "--limit", limit])
    assert exit_info.value.code == 2
    assert "--limit" in capsys.readouterr().err


def test_users_add_without_a_terminal_is_a_clear_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_terminal(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", no_terminal)
    assert main(["users", "add", "eve", "--role", "analyst"]) == 2
    assert "--password-stdin" in capsys.readouterr().err


def test_users_are_listed_and_a_forgotten_password_is_reset(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("the first passphrase\n"))
    assert main(["users", "add", "alice", "--role", "analyst", "--password-stdin"]) == 0
    assert main(["users", "list"]) == 0
    assert "alice\tanalyst\t-\tactive\tlast login never" in capsys.readouterr().out

    monkeypatch.setattr("sys.stdin", io.StringIO("the second passphrase\n"))
    assert main(["users", "password", "alice", "--password-stdin"]) == 0
    services = build_services(load_settings())
    try:
        assert services.cases.authenticate("alice", "the first passphrase") is None
        assert services.cases.authenticate("alice", "the second passphrase") is not None
    finally:
        services.close()

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    assert main(["users", "password", "nobody", "--password-stdin"]) == 2
    assert "no such user" in capsys.readouterr().err


def test_users_are_deactivated_and_activated_from_the_shell(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("the first passphrase\n"))
    assert main(["users", "add", "carol", "--role", "analyst", "--password-stdin"]) == 0
    assert main(["users", "deactivate", "carol"]) == 0
    assert main(["users", "list"]) == 0
    assert "carol\tanalyst\t-\tinactive" in capsys.readouterr().out
    services = build_services(load_settings())
    try:
        assert services.cases.authenticate("carol", "the first passphrase") is None
    finally:
        services.close()

    assert main(["users", "activate", "carol"]) == 0
    assert "carol is active" in capsys.readouterr().out
    services = build_services(load_settings())
    try:
        assert services.cases.authenticate("carol", "the first passphrase") is not None
    finally:
        services.close()
    engine = create_engine(load_settings().cases_url)
    with engine.connect() as connection:
        trail = connection.execute(
            select(AuditLog.actor, AuditLog.action)
            .where(AuditLog.object_type == "user")
            .order_by(AuditLog.id)
        ).all()
    engine.dispose()
    assert trail[-2:] == [("system", "user.deactivated"), ("system", "user.activated")]

    assert main(["users", "deactivate", "nobody"]) == 2
    assert "no such user" in capsys.readouterr().err
