"""Sigma 2.1 correlation types beyond counting: metrics, temporal (ordered or not), chains."""

from __future__ import annotations

import pytest

from .correlating import BASE_RULES, CORRELATION_ID, at, correlation, ev, runner_factory


@pytest.fixture
def runner(compile_files, store):
    return runner_factory(compile_files, store)


def metric(kind: str, condition: str) -> str:
    return correlation(
        f"""\
correlation:
  type: {kind}
  rules: [connection]
  group-by: [source.ip]
  timespan: 1h
  condition: {{field: source.bytes, {condition}}}
""",
        "connection",
    )


def transfers(*sizes: int, ip: str = "10.0.0.5") -> list:
    return [
        ev(i * 60, "connection", source__ip=ip, source__bytes=size) for i, size in enumerate(sizes)
    ]


@pytest.mark.parametrize(
    ("kind", "condition", "sizes", "measure"),
    [
        ("value_sum", "gt: 1000000", (400_000, 400_000, 300_000), 1_100_000),
        ("value_avg", "gte: 500", (100, 800, 900), 600),  # every window ending at an event
        ("value_median", "gt: 10", (5, 6, 50, 60), 28),
        ("value_percentile", "percentile: 90, gte: 900", (10, 20, 1000, 1000), 1000),
    ],
)
def test_metric_correlations_fire_above_their_threshold(
    runner, kind: str, condition: str, sizes: tuple[int, ...], measure: float
) -> None:
    rows = runner(metric(kind, condition)).ingest(transfers(*sizes) + transfers(1, ip="10.0.0.6"))
    assert [r["group_key"] for r in rows] == ["10.0.0.5"]
    assert rows[0]["measure"] == pytest.approx(measure)


@pytest.mark.parametrize(
    ("kind", "condition", "sizes"),
    [
        ("value_sum", "gt: 1000000", (400_000, 400_000)),
        ("value_avg", "gte: 500", (100, 850, 100)),
        ("value_median", "gt: 10", (5, 6, 50)),
        ("value_percentile", "percentile: 50, gte: 900", (10, 20, 1000)),
    ],
)
def test_metric_correlations_stay_quiet_below(
    runner, kind: str, condition: str, sizes: tuple[int, ...]
) -> None:
    assert runner(metric(kind, condition)).ingest(transfers(*sizes)) == []


def test_metrics_read_document_numbers_and_skip_text(runner) -> None:
    yaml_text = correlation(
        """\
correlation:
  type: value_sum
  rules: [connection]
  group-by: [host.name]
  timespan: 1h
  condition: {field: winlog.event_data.Size, gte: 300}
""",
        "connection",
    )
    events = [
        ev(1, "connection", host__name="h", winlog__event_data__Size=100),
        ev(2, "connection", host__name="h", winlog__event_data__Size="250"),
        ev(3, "connection", host__name="h", winlog__event_data__Size="n/a"),
    ]
    [row] = runner(yaml_text).ingest(events)
    assert row["measure"] == 350


def temporal(kind: str, rules: str, extra: str = "") -> str:
    names = [n.strip() for n in rules.strip("[]").split(",")]
    return correlation(
        f"""\
correlation:
  type: {kind}
  rules: {rules}
  group-by: [user.name]
  timespan: 5m
{extra}""",
        *dict.fromkeys(names),
    )


ALL_THREE = temporal("temporal", "[login_failed, account_locked, recon]")


def test_temporal_needs_every_rule_within_the_timespan_in_any_order(runner) -> None:
    events = [
        ev(0, "recon", user__name="an"),
        ev(100, "login_failed", user__name="an"),
        ev(200, "account_locked", user__name="an"),
        ev(0, "recon", user__name="binh"),
        ev(100, "login_failed", user__name="binh"),
    ]
    [row] = runner(ALL_THREE).ingest(events)
    assert row["group_key"] == "an"
    assert row["rule_ids"] == ["account_locked", "login_failed", "recon"]
    assert row["match_count"] == 3 and row["timestamp"] == at(0)


def test_temporal_rules_further_apart_than_the_timespan_do_not_fire(runner) -> None:
    events = [
        ev(0, "recon", user__name="an"),
        ev(200, "login_failed", user__name="an"),
        ev(301, "account_locked", user__name="an"),
    ]
    assert runner(ALL_THREE).ingest(events) == []


def test_temporal_with_a_count_of_distinct_rules(runner) -> None:
    two_of_three = temporal(
        "temporal", "[login_failed, account_locked, recon]", "  condition: {gte: 2}\n"
    )
    events = [ev(0, "recon", user__name="an"), ev(9, "recon", user__name="an")]
    assert runner(two_of_three).ingest(events) == []
    [row] = runner(two_of_three).ingest([ev(60, "login_failed", user__name="an")])
    assert row["measure"] == 2


def test_temporal_extended_condition_with_not(runner) -> None:
    # `not login_ok`: no success in the timespan before the failure.
    yaml_text = temporal(
        "temporal", "[login_failed, login_ok]", "  condition: login_failed and not login_ok\n"
    )
    events = [
        ev(60, "login_failed", user__name="an"),
        ev(0, "login_ok", user__name="binh"),
        ev(60, "login_failed", user__name="binh"),
        ev(0, "login_ok", user__name="chi"),
        ev(400, "login_failed", user__name="chi"),
    ]
    assert [r["group_key"] for r in runner(yaml_text).ingest(events)] == ["an", "chi"]


ORDERED = temporal("temporal_ordered", "[recon, login_failed, login_ok]")


def test_temporal_ordered_fires_for_the_rules_in_order(runner) -> None:
    events = [
        ev(0, "recon", user__name="an"),
        ev(60, "login_failed", user__name="an"),
        ev(60, "login_failed", user__name="an"),
        ev(120, "login_ok", user__name="an"),
    ]
    [row] = runner(ORDERED).ingest(events)
    assert (row["group_key"], row["timestamp"], row["match_count"]) == ("an", at(0), 4)


@pytest.mark.parametrize(
    "order",
    [
        [("login_failed", 0), ("recon", 60), ("login_ok", 120)],
        [("recon", 0), ("login_ok", 60), ("login_failed", 120)],
        [("recon", 0), ("login_failed", 60), ("login_ok", 301)],
    ],
)
def test_temporal_ordered_refuses_other_orders_and_long_gaps(runner, order) -> None:
    events = [ev(s, action, user__name="an") for action, s in order]
    assert runner(ORDERED).ingest(events) == []


def test_temporal_ordered_finds_the_chain_among_noise(runner) -> None:
    events = [
        ev(0, "login_ok", user__name="an"),
        ev(10, "recon", user__name="an"),
        ev(20, "login_ok", user__name="an"),
        ev(30, "recon", user__name="an"),
        ev(400, "login_failed", user__name="an"),  # too late for the recon at 10 or 30 ...
        ev(450, "recon", user__name="an"),
        ev(500, "login_failed", user__name="an"),  # ... but not for the one at 450
        ev(510, "login_ok", user__name="an"),
    ]
    [row] = runner(ORDERED).ingest(events)
    assert row["timestamp"] == at(450)


def test_temporal_ordered_the_same_rule_twice(runner) -> None:
    yaml_text = temporal("temporal_ordered", "[login_failed, login_ok, login_failed]")
    assert runner(yaml_text).ingest([ev(0, "login_failed", user__name="an")]) == []
    [row] = runner(yaml_text).ingest(
        [ev(10, "login_ok", user__name="an"), ev(20, "login_failed", user__name="an")]
    )
    assert row["match_count"] == 3


CHAIN = f"""\
title: failed logins followed by a success
id: {CORRELATION_ID}
correlation:
  type: temporal_ordered
  rules: [many_failed, login_ok]
  group-by: [user.name]
  timespan: 10m
---
title: many failed logins
name: many_failed
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [user.name, source.ip]
  timespan: 10m
  condition: {{gte: 3}}
{BASE_RULES["login_failed"]}{BASE_RULES["login_ok"]}"""


def test_a_correlation_of_a_correlation(runner) -> None:
    brute = [ev(i * 10, "login_failed", user__name="an", source__ip="10.0.0.9") for i in range(3)]
    success = [ev(100, "login_ok", user__name="an")]
    run = runner(CHAIN)
    assert run.ingest(brute[:2] + success) == []  # two failures are not many
    assert run.ingest([ev(200, "login_failed", user__name="an", source__ip="10.0.0.9")]) == []
    [row] = run.ingest([ev(300, "login_ok", user__name="an")])
    assert row["group_key"] == "an"
    assert row["rule_ids"] == ["login_ok", "many_failed"]


def test_a_success_before_the_brute_force_is_not_a_chain(runner) -> None:
    events = [ev(0, "login_ok", user__name="an")] + [
        ev(10 + i, "login_failed", user__name="an", source__ip="10.0.0.9") for i in range(3)
    ]
    assert runner(CHAIN).ingest(events) == []


def test_generate_decides_whether_the_referenced_rules_alert_alone(compile_files) -> None:
    quiet = temporal("temporal", "[login_failed, login_ok]")
    catalog = compile_files({"mr.yml": quiet})
    assert [r.id for r in catalog.compiled] == [CORRELATION_ID]
    assert catalog.compiled[0].references == ("login_failed", "login_ok")
    loud = quiet.replace("  timespan: 5m\n", "  timespan: 5m\n  generate: true\n")
    loud = loud.replace(
        "name: login_failed\n", "name: login_failed\nid: 1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d\n"
    )
    catalog = compile_files({"mr.yml": loud})
    assert catalog.errors == [(p) for p in catalog.errors if "needs an id" in p.reason]
    assert {r.kind for r in catalog.compiled} == {"event", "correlation"}
    assert "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d" in {r.id for r in catalog.compiled}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "  type: temporal_ordered\n  rules: [login_failed, login_ok]\n"
            "  group-by: [user.name]\n  timespan: 5m\n  condition: {gte: 1}\n",
            "in order",
        ),
        (
            "  type: value_percentile\n  rules: [login_failed]\n  group-by: [user.name]\n"
            "  timespan: 5m\n  condition: {field: source.bytes, gte: 5}\n",
            "percentile",
        ),
        (
            "  type: value_sum\n  rules: [login_failed]\n  group-by: [user.name]\n"
            "  timespan: 5m\n  condition: {field: [source.bytes, source.port], gte: 5}\n",
            "one field",
        ),
        (
            "  type: event_count\n  rules: [login_failed, login_ok]\n  group-by: [ip]\n"
            "  timespan: 5m\n  aliases: {ip: {login_failed: source.ip}}\n  condition: {gte: 2}\n",
            "alias 'ip'",
        ),
    ],
)
def test_correlations_we_cannot_honour_are_reported(compile_files, body: str, reason: str) -> None:
    catalog = compile_files(
        {"mr.yml": correlation("correlation:\n" + body, "login_failed", "login_ok")}
    )
    problems = [p for p in catalog.errors if p.rule_id == CORRELATION_ID]
    assert len(problems) == 1 and reason in problems[0].reason, catalog.errors
    assert problems[0].stage == "compile" and problems[0].line == 1


def test_a_chain_grouping_by_a_field_the_inner_correlation_lacks_is_reported(
    compile_files,
) -> None:
    catalog = compile_files(
        {
            "mr.yml": CHAIN.replace(
                "group-by: [user.name]\n  timespan: 10m\n---",
                "group-by: [host.name]\n  timespan: 10m\n---",
                1,
            )
        }
    )
    [problem] = catalog.errors
    assert "host.name" in problem.reason and "many_failed" in problem.reason
