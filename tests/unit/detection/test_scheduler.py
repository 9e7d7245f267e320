"""Detection windows, idempotency and quarantine, on the real event store and case store."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soc.detection import Scheduler
from soc.errors import ConfigError, ValidationError
from soc.rules import Catalog, RuleProblem

BRUTE_FORCE = "a18ed328-a35d-43ad-830b-1483954ae5fc"
WEBSHELL = "f339a58b-8176-4934-8df6-5054d5696c9e"


def test_an_event_is_detected_and_turned_into_an_alert(store, cases, shipped, alerts_of, make):
    at = datetime(2026, 11, 20, 9, 12, 44, tzinfo=UTC)
    event = make.webshell_request(at)
    store.write_batch([event])
    report = Scheduler(store, shipped, cases, cases).run_once()
    assert report.new_alerts == 1
    assert report.failed == {}
    [alert] = alerts_of(WEBSHELL)
    assert alert.event_ids == (event["event"]["id"],)
    assert alert.entity == "203.0.113.80"
    assert alert.severity == "high"
    assert alert.timestamp == at
    assert set(alert.agency_ids) == {"so-a", "so-b"}
    assert "attack.t1505.003" in alert.tags
    assert cases.get_checkpoint(WEBSHELL) == report.until


def test_a_late_event_with_an_old_timestamp_is_detected(store, cases, shipped, alerts_of, make):
    scheduler = Scheduler(store, shipped, cases, cases)
    scheduler.run_once()  # every rule now has a checkpoint
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    store.write_batch([make.webshell_request(three_days_ago)])
    report = scheduler.run_once()
    assert report.new_alerts == 1
    [alert] = alerts_of(WEBSHELL)
    assert alert.timestamp.date() == three_days_ago.date()


def test_re_running_an_overlapping_window_creates_no_duplicates(
    store, cases, shipped, alerts_of, make, window
):
    store.write_batch(
        [make.webshell_request(window), *make.ssh_failures("198.51.100.9", window, 12)]
    )
    first = Scheduler(store, shipped, cases, cases).run_once()
    assert first.new_alerts == 2
    # Move the checkpoints back an hour and run again from a fresh scheduler (a restart).
    earlier = first.until - timedelta(hours=1)
    for rule in shipped.compiled:
        cases.set_checkpoint(rule.id, earlier, matches=0)
    again = Scheduler(store, shipped, cases, cases).run_once()
    assert again.matches == 2
    assert again.new_alerts == 0
    assert len(alerts_of(WEBSHELL)) == 1
    assert len(alerts_of(BRUTE_FORCE)) == 1


def test_a_burst_split_over_two_runs_is_detected_once(
    store, cases, shipped, alerts_of, make, window
):
    scheduler = Scheduler(store, shipped, cases, cases)
    burst = make.ssh_failures("198.51.100.9", window, 15)
    store.write_batch(burst[:6])
    assert scheduler.run_once().matches == 0  # 6 failures: below the threshold
    store.write_batch(burst[6:12])
    second = scheduler.run_once()
    assert (second.matches, second.new_alerts) == (1, 1)
    store.write_batch(burst[12:])
    third = scheduler.run_once()  # the same window seen again, now with 15 failures
    assert (third.matches, third.new_alerts) == (1, 0)
    [alert] = alerts_of(BRUTE_FORCE)
    assert alert.entity == "198.51.100.9"
    assert alert.event_ids == tuple(e["event"]["id"] for e in burst[:12])
    assert alert.details["match_count"] == 12
    assert alert.details["window_seconds"] == 300
    assert alert.details["measure"] >= 10  # what met the rule's `gte: 10`
    assert len(alert.details["rule_ids"]) == 1  # the referenced "SSH failed login" rule


def test_a_restarted_scheduler_resumes_from_the_saved_checkpoint(store, cases, shipped, make):
    store.write_batch([make.webshell_request(datetime.now(UTC))])
    assert Scheduler(store, shipped, cases, cases).run_once().matches == 1
    assert Scheduler(store, shipped, cases, cases).run_once().matches == 0


def test_the_first_run_looks_back_only_so_far(store, cases, shipped, make):
    store.write_batch([make.webshell_request(datetime.now(UTC))])
    time.sleep(0.05)  # the event's ingest stamp must fall before the lookback start
    scheduler = Scheduler(store, shipped, cases, cases, initial_lookback_seconds=0.01)
    assert scheduler.run_once().matches == 0


def test_a_rule_that_fails_is_quarantined_and_the_others_run(
    store, cases, shipped, alerts_of, make
):
    broken = replace(shipped.compiled[0], id="broken-rule", sql="SELECT * FROM no_such_table")
    catalog = Catalog(compiled=[broken, *shipped.compiled], errors=[])
    store.write_batch([make.webshell_request(datetime.now(UTC))])
    scheduler = Scheduler(store, catalog, cases, cases)
    first = scheduler.run_once()
    assert list(first.failed) == ["broken-rule"]
    assert "no_such_table" in scheduler.quarantined["broken-rule"]
    assert len(alerts_of(WEBSHELL)) == 1
    state = {s.rule_id: s for s in cases.rule_states()}["broken-rule"]
    assert "no_such_table" in state.last_error
    assert state.checkpoint is None
    second = scheduler.run_once()
    assert second.failed == {}
    assert second.rules_run == len(shipped.compiled)


def test_rules_that_do_not_compile_are_recorded(store, cases, shipped):
    problem = RuleProblem(
        path="rules/soc/x.yml",
        line=3,
        reason="unknown modifier",
        stage="load",
        rule_id="bad-rule",
        title="bad",
    )
    duplicate = RuleProblem(
        path="rules/soc/copy.yml",
        line=1,
        reason="duplicate rule id or name",
        stage="load",
        rule_id=WEBSHELL,
        title="copy of the web shell rule",
    )
    catalog = Catalog(compiled=list(shipped.compiled), errors=[problem, duplicate])
    Scheduler(store, catalog, cases, cases).run_once()
    states = {s.rule_id: s for s in cases.rule_states()}
    assert "rules/soc/x.yml:3" in states["bad-rule"].last_error
    assert "unknown modifier" in states["bad-rule"].last_error
    assert states[WEBSHELL].last_error is None  # the rule that runs is healthy


def test_alerts_the_case_store_refuses_leave_the_window_to_run_again(
    store, cases, shipped, alerts_of, make
):
    webshell = shipped.get(WEBSHELL)
    refused = Catalog(compiled=[replace(webshell, level="severe")])  # not a severity it accepts
    store.write_batch([make.webshell_request(datetime.now(UTC))])
    scheduler = Scheduler(store, refused, cases, cases)
    with pytest.raises(ValidationError):
        scheduler.run_once()
    with pytest.raises(ValidationError):  # the same window again, not skipped
        scheduler.run_once()
    assert cases.get_checkpoint(WEBSHELL) is None
    assert Scheduler(store, Catalog(compiled=[webshell]), cases, cases).run_once().new_alerts == 1
    assert len(alerts_of(WEBSHELL)) == 1


def test_the_background_thread_detects_and_stops(store, cases, shipped, alerts_of, make):
    scheduler = Scheduler(store, shipped, cases, cases, interval_seconds=0.05)
    scheduler.start()
    try:
        store.write_batch([make.webshell_request(datetime.now(UTC))])
        deadline = time.monotonic() + 30
        while not alerts_of(WEBSHELL) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(alerts_of(WEBSHELL)) == 1
    finally:
        scheduler.stop()
    assert not scheduler.running


def test_stop_without_start_is_harmless(store, cases, shipped):
    scheduler = Scheduler(store, shipped, cases, cases)
    scheduler.stop()
    assert not scheduler.running


def test_interval_must_be_positive(store, cases, shipped):
    with pytest.raises(ConfigError):
        Scheduler(store, shipped, cases, cases, interval_seconds=0)


def test_a_disabled_rule_stops_on_the_next_pass_and_resumes_from_its_re_enabling(
    store, cases, shipped, alerts_of, make
):
    analyst = cases.add_user("rule-analyst", "a long enough password", "analyst")
    caller = cases.get_principal(analyst.id)
    # Every position written at once, so the store shows what the scheduler holds.
    scheduler = Scheduler(store, shipped, cases, cases, controls=cases, checkpoint_every_seconds=0)
    scheduler.run_once()
    ran_at = cases.rule_state(caller, WEBSHELL).last_run_at

    cases.set_rule_enabled(caller, WEBSHELL, False)
    store.write_batch([make.webshell_request(datetime.now(UTC), ip="203.0.113.1")])
    off = scheduler.run_once()  # the same scheduler: no restart
    assert off.rules_run == len(shipped.compiled) - 1
    assert alerts_of(WEBSHELL) == []
    state = cases.rule_state(caller, WEBSHELL)
    assert state.checkpoint == off.until  # it keeps up while off...
    assert state.last_run_at == ran_at  # ...without pretending to have run

    cases.set_rule_enabled(caller, WEBSHELL, True)
    store.write_batch([make.webshell_request(datetime.now(UTC), ip="203.0.113.2")])
    on = scheduler.run_once()
    assert on.rules_run == len(shipped.compiled)
    # What arrived while it was off is left to a retro-hunt; what came after is detected.
    assert [alert.entity for alert in alerts_of(WEBSHELL)] == ["203.0.113.2"]
    assert cases.rule_state(caller, WEBSHELL).checkpoint == on.until


def test_a_rule_disabled_while_detection_was_down_stays_off_after_a_restart(
    store, cases, shipped, alerts_of, make
):
    analyst = cases.add_user("rule-analyst", "a long enough password", "analyst")
    cases.set_rule_enabled(cases.get_principal(analyst.id), WEBSHELL, False)
    store.write_batch([make.webshell_request(datetime.now(UTC))])
    report = Scheduler(store, shipped, cases, cases, controls=cases).run_once()
    assert report.rules_run == len(shipped.compiled) - 1
    assert alerts_of(WEBSHELL) == []
    assert cases.get_checkpoint(WEBSHELL) == report.until


def test_a_retried_rule_leaves_quarantine_on_the_next_pass(store, cases, shipped):
    analyst = cases.add_user("rule-analyst", "a long enough password", "analyst")
    caller = cases.get_principal(analyst.id)
    broken = replace(shipped.compiled[0], id="broken-rule", sql="SELECT * FROM no_such_table")
    catalog = Catalog(compiled=[broken, *shipped.compiled], errors=[])
    scheduler = Scheduler(store, catalog, cases, cases, controls=cases)
    assert list(scheduler.run_once().failed) == ["broken-rule"]
    assert scheduler.run_once().failed == {}  # quarantined: not run again
    cases.retry_rule(caller, "broken-rule")
    assert "broken-rule" not in cases.failing_rules()
    retried = scheduler.run_once()
    assert list(retried.failed) == ["broken-rule"]  # run again (and still broken)
    assert "no_such_table" in cases.rule_state(caller, "broken-rule").last_error
    assert "broken-rule" in scheduler.quarantined


def test_rules_below_the_minimum_level_do_not_run_live(
    store, cases, shipped, alerts_of, make, window
):
    """The web-shell rule is `high`: a `critical` floor keeps it for hunts only."""
    store.write_batch([make.webshell_request(window)])
    assert Scheduler(store, shipped, cases, cases, min_level="critical").run_once().matches == 0
    assert alerts_of(WEBSHELL) == []
    assert Scheduler(store, shipped, cases, cases, min_level="high").run_once().matches == 1


def test_an_unknown_minimum_level_is_a_configuration_error(store, cases, shipped):
    with pytest.raises(ConfigError, match=r"detection\.min_level"):
        Scheduler(store, shipped, cases, cases, min_level="severe")
