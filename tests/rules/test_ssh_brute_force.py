"""rules/soc/linux/mr_ssh_brute_force.yml: 10 failed sshd logins per source within 5 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soc.model.event import Event, isoformat
from soc.rules import Catalog

BRUTE_FORCE = "a18ed328-a35d-43ad-830b-1483954ae5fc"
FAILED_LOGIN = "30130220-0f9d-4779-9b8d-5a6dc1853357"
WINDOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # a 5-minute boundary


def sshd_login(
    ip: str,
    seconds: int,
    *,
    outcome: str = "failure",
    program: str = "sshd",
    event_id: str | None = None,
) -> Event:
    event: Event = {
        "@timestamp": isoformat(WINDOW + timedelta(seconds=seconds)),
        "event": {
            "dataset": "system.auth",
            "module": "system",
            "category": ["authentication"],
            "action": "ssh_login",
            "outcome": outcome,
        },
        "process": {"name": program, "pid": 811},
        "system": {"auth": {"ssh": {"event": "Failed", "method": "password"}}},
        "user": {"name": "root"},
        "source": {"ip": ip, "port": 40022},
        "host": {"name": "portal-so-tttt"},
        "organization": {"id": "so-tttt", "name": "Sở Thông tin và Truyền thông"},
    }
    if event_id:
        event["event"]["id"] = event_id
    return event


def failures(ip: str, count: int, *, start: int = 0, step: int = 10) -> list[Event]:
    return [
        sshd_login(ip, start + i * step, event_id=f"{ip}-{start + i * step}") for i in range(count)
    ]


def test_ten_failures_from_one_source_alert_once(run_rule) -> None:
    events = failures("203.0.113.7", 10)
    rows = run_rule(BRUTE_FORCE, events)
    assert len(rows) == 1
    row = rows[0]
    assert row["group_key"] == "203.0.113.7"
    assert row["match_count"] == 10
    assert row["window_start"] == WINDOW.replace(tzinfo=None)
    assert row["timestamp"] == WINDOW.replace(tzinfo=None)
    assert row["organization_id"] == "so-tttt"
    assert row["event_ids"] == [e["event"]["id"] for e in events]


def test_nine_failures_stay_below_the_threshold(run_rule) -> None:
    assert run_rule(BRUTE_FORCE, failures("203.0.113.7", 9)) == []


def test_sources_are_counted_separately(run_rule) -> None:
    rows = run_rule(BRUTE_FORCE, failures("203.0.113.7", 10) + failures("198.51.100.4", 9))
    assert [r["group_key"] for r in rows] == ["203.0.113.7"]


def test_two_sources_over_the_threshold_give_two_rows(run_rule) -> None:
    rows = run_rule(BRUTE_FORCE, failures("203.0.113.7", 12) + failures("198.51.100.4", 10))
    assert sorted((r["group_key"], r["match_count"]) for r in rows) == [
        ("198.51.100.4", 10),
        ("203.0.113.7", 12),
    ]


def test_successful_logins_do_not_count(run_rule) -> None:
    events = failures("203.0.113.7", 9) + [
        sshd_login("203.0.113.7", 200 + i, outcome="success") for i in range(5)
    ]
    assert run_rule(BRUTE_FORCE, events) == []


def test_other_programs_do_not_count(run_rule) -> None:
    events = [*failures("203.0.113.7", 9), sshd_login("203.0.113.7", 250, program="sudo")]
    assert run_rule(BRUTE_FORCE, events) == []


def test_matching_ignores_case(run_rule) -> None:
    events = [
        *failures("203.0.113.7", 8),
        sshd_login("203.0.113.7", 200, outcome="FAILURE"),
        sshd_login("203.0.113.7", 210, program="SSHD"),
    ]
    rows = run_rule(BRUTE_FORCE, events)
    assert [r["match_count"] for r in rows] == [10]


def test_failures_spread_over_ten_minutes_do_not_alert(run_rule) -> None:
    # One failure a minute: never ten inside one 5-minute window.
    assert run_rule(BRUTE_FORCE, failures("203.0.113.7", 10, step=60)) == []


def test_the_agencies_of_every_event_are_listed(run_rule) -> None:
    events = failures("203.0.113.7", 10)
    events[3]["related"] = {"organization_ids": ["so-tttt", "ubnd-huyen-a"]}
    rows = run_rule(BRUTE_FORCE, events)
    assert sorted(rows[0]["organization_ids"]) == ["so-tttt", "ubnd-huyen-a"]


def test_a_single_failed_login_is_not_an_alert_on_its_own(shipped: Catalog) -> None:
    # Sigma correlation `generate: false` (the default): the base rule only feeds the count.
    assert shipped.get(FAILED_LOGIN) is None
    assert shipped.get(BRUTE_FORCE) is not None
