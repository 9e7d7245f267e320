"""Sigma correlations (event_count, value_count) compiled to windowed aggregations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from soc.model.event import Event, isoformat, set_field, stamp
from soc.storage import DuckDBEventStore

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # a 10-minute boundary

BASE_RULES = {
    name: f"""\
---
title: {name}
name: {name}
logsource: {{product: test}}
detection: {{sel: {{event.action: {name}}}, condition: sel}}
"""
    for name in ("login_failed", "account_locked", "connection")
}


def correlation(body: str, *rules: str) -> str:
    """A correlation document followed by the base rules it names (and no others)."""
    return (
        "title: correlation under test\nid: 8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d\n"
        + body
        + "".join(BASE_RULES[name] for name in rules)
    )


def ev(seconds: float, action: str, **fields: Any) -> Event:
    doc: Event = {"@timestamp": isoformat(T0 + timedelta(seconds=seconds))}
    set_field(doc, "event.action", action)
    for name, value in fields.items():
        set_field(doc, name.replace("__", "."), value)
    return stamp(doc, dataset="test")


@pytest.fixture
def rows(compile_files, store: DuckDBEventStore):
    def run(yaml_text: str, events: Iterable[Event]) -> list[dict[str, Any]]:
        catalog = compile_files({"mr.yml": yaml_text})
        assert catalog.errors == []
        assert [r.kind for r in catalog.compiled] == ["correlation"]
        store.write_batch(list(events))
        return store.run_rule(
            catalog.compiled[0].sql, ingested_after=EPOCH, ingested_until=store.now()
        )

    return run


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


def test_event_count_over_several_rules(rows) -> None:
    events = [
        ev(1, "login_failed", user__name="an"),
        ev(2, "login_failed", user__name="an"),
        ev(3, "account_locked", user__name="an"),
        ev(4, "connection", user__name="an"),
        ev(5, "login_failed", user__name="binh"),
    ]
    result = rows(EVENT_COUNT_BY_USER, events)
    assert [(r["group_key"], r["match_count"]) for r in result] == [("an", 3)]


def test_windows_are_tumbling_buckets_of_the_timespan(rows) -> None:
    # Two failures at the end of one 10-minute bucket, one at the start of the next.
    events = [
        ev(590, "login_failed", user__name="an"),
        ev(595, "login_failed", user__name="an"),
        ev(605, "login_failed", user__name="an"),
    ]
    assert rows(EVENT_COUNT_BY_USER, events) == []
    more = [ev(610 + i, "login_failed", user__name="an") for i in range(2)]
    result = rows(EVENT_COUNT_BY_USER, more)
    assert [(r["window_start"], r["match_count"]) for r in result] == [
        ((T0 + timedelta(minutes=10)).replace(tzinfo=None), 3)
    ]


def test_events_without_the_group_field_are_not_grouped(rows) -> None:
    events = [ev(i, "login_failed") for i in range(5)]
    assert rows(EVENT_COUNT_BY_USER, events) == []


def test_aliases_group_different_fields_of_different_rules(rows) -> None:
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
    result = rows(yaml_text, events)
    assert [(r["group_key"], r["match_count"]) for r in result] == [("10.0.0.1", 2)]


def test_several_group_fields_form_one_key(rows) -> None:
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
    assert [r["group_key"] for r in rows(yaml_text, events)] == ["an | web"]


def test_without_group_by_all_matching_events_form_one_group(rows) -> None:
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
    assert [(r["group_key"], r["match_count"]) for r in rows(yaml_text, events)] == [("", 3)]


@pytest.mark.parametrize(
    ("condition", "distinct_users", "expected"),
    [
        ("{gt: 3}", 3, False),
        ("{gt: 3}", 4, True),
        ("{eq: 2}", 2, True),
        ("{eq: 2}", 3, False),
        ("{lte: 2}", 2, True),
        ("{lt: 2}", 2, False),
        ("{neq: 2}", 3, True),
    ],
)
def test_value_count_conditions(rows, condition: str, distinct_users: int, expected: bool) -> None:
    yaml_text = correlation(
        f"""\
correlation:
  type: value_count
  rules: [login_failed]
  group-by: [source.ip]
  timespan: 10m
  condition: {{field: user.name, {condition[1:-1]}}}
""",
        "login_failed",
    )
    events = [
        ev(i, "login_failed", source__ip="10.0.0.1", user__name=f"user{i % distinct_users}")
        for i in range(8)
    ]
    result = rows(yaml_text, events)
    assert bool(result) is expected
    if expected:
        assert result[0]["value_count"] == distinct_users


def test_long_bursts_list_a_bounded_number_of_event_ids(rows) -> None:
    events = [ev(i * 0.5, "login_failed", user__name="an") for i in range(600)]
    [row] = rows(EVENT_COUNT_BY_USER, events)
    assert row["match_count"] == 600
    assert len(row["event_ids"]) == 500


def test_unsupported_correlations_are_reported(compile_files) -> None:
    chained = correlation(
        """\
correlation:
  type: event_count
  rules: [inner]
  group-by: [user.name]
  timespan: 10m
  condition: {gte: 2}
---
title: inner correlation
name: inner
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [user.name]
  timespan: 10m
  condition: {gte: 2}
""",
        "login_failed",
    )
    catalog = compile_files({"chained.yml": chained})
    assert any("correlation of correlation" in p.reason for p in catalog.errors)
    several_fields = correlation(
        """\
correlation:
  type: value_count
  rules: [login_failed]
  group-by: [source.ip]
  timespan: 10m
  condition: {field: [user.name, host.name], gte: 2}
""",
        "login_failed",
    )
    catalog = compile_files({"chained.yml": several_fields})
    assert any("several fields" in p.reason for p in catalog.errors)
