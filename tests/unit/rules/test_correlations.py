"""event_count and value_count correlations: sliding windows, groups, and what each run reports."""

from __future__ import annotations

import pytest

from .correlating import T0, at, correlation, ev, runner_factory


@pytest.fixture
def runner(compile_files, store):
    return runner_factory(compile_files, store)


EVENT_COUNT_BY_USER = correlation(
    """\
correlation:
  type: event_count
  rules: [login_failed, account_locked]
  group-by: [user.name]
  timespan: 10m
  condition: {gte: 3}
""",
    "login_failed",
    "account_locked",
)


def test_event_count_over_several_rules(runner) -> None:
    events = [
        ev(1, "login_failed", user__name="an"),
        ev(2, "login_failed", user__name="an"),
        ev(3, "account_locked", user__name="an"),
        ev(4, "connection", user__name="an"),
        ev(5, "login_failed", user__name="binh"),
    ]
    rows = runner(EVENT_COUNT_BY_USER).ingest(events)
    assert [(r["group_key"], r["match_count"], r["measure"]) for r in rows] == [("an", 3, 3.0)]
    assert rows[0]["rule_ids"] == ["account_locked", "login_failed"]
    assert rows[0]["timestamp"] == at(1)


def test_a_burst_straddling_a_clock_boundary_fires(runner) -> None:
    # 06:09:50, 06:09:55, 06:10:05: three within ten minutes, across the 06:10 boundary.
    events = [ev(s, "login_failed", user__name="an") for s in (590, 595, 605)]
    [row] = runner(EVENT_COUNT_BY_USER).ingest(events)
    assert row["match_count"] == 3
    assert row["window_start"] == T0.replace(tzinfo=None)  # the bucket of the first event


@pytest.mark.parametrize(("last", "fires"), [(600, True), (601, False)])
def test_the_timespan_includes_both_ends(runner, last: int, fires: bool) -> None:
    events = [ev(s, "login_failed", user__name="an") for s in (0, 300, last)]
    assert bool(runner(EVENT_COUNT_BY_USER).ingest(events)) is fires


def test_events_without_the_group_field_are_not_grouped(runner) -> None:
    assert runner(EVENT_COUNT_BY_USER).ingest([ev(i, "login_failed") for i in range(5)]) == []


def test_group_values_compare_without_case(runner) -> None:
    events = [ev(i, "login_failed", user__name=n) for i, n in enumerate(["An", "AN", "an"])]
    [row] = runner(EVENT_COUNT_BY_USER).ingest(events)
    assert (row["group_key"], row["match_count"]) == ("an", 3)


def test_aliases_group_different_fields_of_different_rules(runner) -> None:
    yaml_text = correlation(
        """\
correlation:
  type: event_count
  rules: [login_failed, connection]
  group-by: [ip]
  timespan: 10m
  aliases:
    ip:
      login_failed: source.ip
      connection: destination.ip
  condition: {gte: 2}
""",
        "login_failed",
        "connection",
    )
    events = [
        ev(1, "login_failed", source__ip="10.0.0.1"),
        ev(2, "connection", destination__ip="10.0.0.1", source__ip="10.9.9.9"),
        ev(3, "connection", destination__ip="10.0.0.2"),
    ]
    rows = runner(yaml_text).ingest(events)
    assert [(r["group_key"], r["match_count"]) for r in rows] == [("10.0.0.1", 2)]


def test_several_group_fields_form_one_key(runner) -> None:
    yaml_text = correlation(
        """\
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [user.name, host.name]
  timespan: 10m
  condition: {gte: 2}
""",
        "login_failed",
    )
    events = [
        ev(1, "login_failed", user__name="an", host__name="web"),
        ev(2, "login_failed", user__name="an", host__name="web"),
        ev(3, "login_failed", user__name="an", host__name="db"),
    ]
    assert [r["group_key"] for r in runner(yaml_text).ingest(events)] == ["an | web"]


def test_without_group_by_all_matching_events_form_one_group(runner) -> None:
    yaml_text = correlation(
        """\
correlation:
  type: event_count
  rules: [login_failed]
  timespan: 10m
  condition: {gt: 2}
""",
        "login_failed",
    )
    events = [ev(i, "login_failed", user__name=f"u{i}") for i in range(3)]
    rows = runner(yaml_text).ingest(events)
    assert [(r["group_key"], r["match_count"]) for r in rows] == [("", 3)]


def test_a_burst_split_over_two_runs_is_measured_whole(runner) -> None:
    run = runner(EVENT_COUNT_BY_USER)
    assert run.ingest([ev(s, "login_failed", user__name="an") for s in (0, 10)]) == []
    [row] = run.ingest([ev(20, "login_failed", user__name="an")])
    assert row["match_count"] == 3 and row["timestamp"] == at(0)
    assert run.ingest([]) == []  # nothing new: nothing reported


def test_re_running_overlapping_windows_gives_the_same_keys(runner) -> None:
    run = runner(EVENT_COUNT_BY_USER)
    first = run.ingest([ev(s, "login_failed", user__name="an") for s in (0, 10, 20)])
    later = run.ingest([ev(s, "login_failed", user__name="an") for s in (30, 40)])
    again = run.run(after=T0.replace(year=2000))  # everything, once more
    key = [(r["group_key"], r["window_start"]) for r in first]
    assert key == [(r["group_key"], r["window_start"]) for r in later]
    assert key == [(r["group_key"], r["window_start"]) for r in again]
    assert again[0]["match_count"] == 5


def test_sustained_activity_alerts_once_per_timespan(runner) -> None:
    # One failure every 30 s for 35 minutes: windows start (first event) from 0 to 25 minutes,
    # one key per 10-minute bucket of that first event.
    events = [ev(s, "login_failed", user__name="an") for s in range(0, 35 * 60, 30)]
    run = runner(EVENT_COUNT_BY_USER)
    batches = [events[i : i + 7] for i in range(0, len(events), 7)]
    keys = {row["window_start"] for batch in batches for row in run.ingest(batch)}
    assert keys == {at(0), at(600), at(1200)}


def test_a_late_event_completes_an_old_burst(runner) -> None:
    run = runner(EVENT_COUNT_BY_USER)
    assert run.ingest([ev(s, "login_failed", user__name="an") for s in (100, 200)]) == []
    assert run.ingest([ev(5000, "login_failed", user__name="binh")]) == []
    [row] = run.ingest([ev(50, "login_failed", user__name="an")])  # arrives an hour late
    assert (row["group_key"], row["timestamp"], row["match_count"]) == ("an", at(50), 3)


def test_long_bursts_list_a_bounded_number_of_event_ids(runner) -> None:
    events = [ev(i * 0.5, "login_failed", user__name="an") for i in range(600)]
    [row] = runner(EVENT_COUNT_BY_USER).ingest(events)
    assert row["match_count"] == 600
    assert len(row["event_ids"]) == 500
    assert row["event_ids"] == [e["event"]["id"] for e in events][:500]


def test_agencies_of_every_event_are_listed(runner) -> None:
    events = [
        ev(1, "login_failed", user__name="an", organization__id="so-gd"),
        ev(2, "login_failed", user__name="an", organization__id="so-yte"),
        ev(3, "login_failed", user__name="an", organization__id="so-gd"),
    ]
    [row] = runner(EVENT_COUNT_BY_USER).ingest(events)
    assert row["organization_id"] == "so-gd"
    assert sorted(row["organization_ids"]) == ["so-gd", "so-yte"]


def value_count(condition: str, field: str = "user.name") -> str:
    return correlation(
        f"""\
correlation:
  type: value_count
  rules: [login_failed]
  group-by: [source.ip]
  timespan: 10m
  condition: {{field: {field}, {condition}}}
""",
        "login_failed",
    )


@pytest.mark.parametrize(
    ("condition", "distinct_users", "expected"),
    [
        ("gt: 3", 3, False),
        ("gt: 3", 4, True),
        ("gte: 4", 4, True),
        ("eq: 4", 4, True),
        ("eq: 5", 4, False),
        ("lte: 2", 2, True),
        ("lt: 1", 2, False),
        ("neq: 1", 3, True),
    ],
)
def test_value_count_conditions(runner, condition: str, distinct_users: int, expected) -> None:
    events = [
        ev(i, "login_failed", source__ip="10.0.0.1", user__name=f"user{i % distinct_users}")
        for i in range(8)
    ]
    rows = runner(value_count(condition)).ingest(events)
    assert bool(rows) is expected
    if expected:
        assert rows[0]["value_count"] == distinct_users


def test_value_count_ignores_case_and_missing_values(runner) -> None:
    names = ["Admin", "ADMIN", "admin", None, "root"]
    events = [
        ev(i, "login_failed", source__ip="10.0.0.1", **({"user__name": n} if n else {}))
        for i, n in enumerate(names)
    ]
    assert runner(value_count("gte: 3")).ingest(events) == []
    [row] = runner(value_count("gte: 2")).ingest([])
    assert (row["value_count"], row["match_count"]) == (2, 5)


def test_value_count_over_several_fields_needs_each(runner) -> None:
    yaml_text = value_count("gte: 3", field="[user.name, destination.port]")
    few_ports = [
        ev(i, "login_failed", source__ip="10.0.0.1", user__name=f"u{i}", destination__port=22)
        for i in range(4)
    ]
    assert runner(yaml_text).ingest(few_ports) == []
    more_ports = [
        ev(10 + i, "login_failed", source__ip="10.0.0.1", user__name="u0", destination__port=p)
        for i, p in enumerate([23, 80])
    ]
    [row] = runner(yaml_text).ingest(more_ports)
    assert row["measure"] == 3.0  # the smaller of 4 users and 3 ports


def test_an_event_matching_several_of_the_rules_counts_once(runner) -> None:
    yaml_text = correlation(
        """\
correlation:
  type: event_count
  rules: [login_failed, any_login]
  group-by: [user.name]
  timespan: 10m
  condition: {gte: 3}
---
title: any login
name: any_login
logsource: {product: test}
detection: {sel: {event.action|startswith: login_}, condition: sel}
""",
        "login_failed",
    )
    events = [ev(i, "login_failed", user__name="an") for i in range(2)]
    assert runner(yaml_text).ingest(events) == []
    [row] = runner(yaml_text).ingest([ev(5, "login_ok", user__name="an")])
    assert row["match_count"] == 3 and row["rule_ids"] == ["any_login", "login_failed"]
