"""Retro-hunts over a past @timestamp window, on the real event store and case store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soc.detection import RetroJobs, Scheduler, run_retro
from soc.errors import NotFound, ValidationError
from soc.rules import Catalog, RuleProblem

BRUTE_FORCE = "a18ed328-a35d-43ad-830b-1483954ae5fc"
WEBSHELL = "f339a58b-8176-4934-8df6-5054d5696c9e"


def test_a_past_window_is_hunted_once_and_re_running_adds_nothing(
    store, cases, shipped, alerts_of, make
):
    now = datetime.now(UTC)
    last_week = now - timedelta(days=7)
    store.write_batch(
        [
            make.webshell_request(last_week, ip="203.0.113.10"),
            make.webshell_request(last_week + timedelta(days=2), ip="203.0.113.11"),
            make.webshell_request(now - timedelta(days=20), ip="203.0.113.12"),  # before it
            make.webshell_request(now, ip="203.0.113.13"),  # after it
        ]
    )
    start, end = last_week - timedelta(hours=1), now - timedelta(days=1)
    first = run_retro(store, shipped, [WEBSHELL], start=start, end=end, alert_sink=cases)
    assert (first.matches, first.new_alerts, first.failed) == (2, 2, {})
    assert sorted(a.entity for a in alerts_of(WEBSHELL)) == ["203.0.113.10", "203.0.113.11"]
    again = run_retro(store, shipped, [WEBSHELL], start=start, end=end, alert_sink=cases)
    assert (again.matches, again.new_alerts) == (2, 0)
    assert len(alerts_of(WEBSHELL)) == 2
    assert cases.get_checkpoint(WEBSHELL) is None  # a hunt is not live detection


def test_a_hunt_and_live_detection_never_duplicate_each_other(
    store, cases, shipped, alerts_of, make
):
    store.write_batch([make.webshell_request(datetime.now(UTC))])
    assert Scheduler(store, shipped, cases, cases).run_once().new_alerts == 1
    result = run_retro(
        store,
        shipped,
        [WEBSHELL],
        start=datetime.now(UTC) - timedelta(hours=1),
        end=datetime.now(UTC) + timedelta(minutes=1),
        alert_sink=cases,
    )
    assert (result.matches, result.new_alerts) == (1, 0)
    assert len(alerts_of(WEBSHELL)) == 1


def test_a_correlation_seen_from_two_slices_counts_once(
    store, cases, shipped, alerts_of, make, window
):
    burst = make.ssh_failures("198.51.100.9", window, 12)
    store.write_batch(burst[:6])
    boundary = store.now()  # batch one is ingested up to here, batch two after
    store.write_batch(burst[6:])
    steps: list[tuple[int, int]] = []
    result = run_retro(
        store,
        shipped,
        [BRUTE_FORCE],
        start=window,
        end=window + timedelta(minutes=5),
        alert_sink=cases,
        on_progress=lambda done, total: steps.append((done, total)),
        # One slice ends exactly at the boundary: each batch lands in its own slice.
        slice_seconds=(boundary - window).total_seconds(),
        clock_skew_seconds=0,
    )
    assert steps == [(1, 2), (2, 2)]
    assert (result.matches, result.new_alerts) == (1, 1)
    [alert] = alerts_of(BRUTE_FORCE)
    assert alert.details["match_count"] == 12
    assert alert.timestamp == window


def test_late_events_count_by_when_they_happened(store, cases, shipped, alerts_of, make):
    """Ingested today, happened three days ago: in a window of three days ago, not today's."""
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    store.write_batch([make.webshell_request(three_days_ago)])
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    later = run_retro(
        store, shipped, [WEBSHELL], start=today, end=today + timedelta(days=1), alert_sink=cases
    )
    assert later.matches == 0
    then = run_retro(
        store,
        shipped,
        [WEBSHELL],
        start=three_days_ago - timedelta(minutes=1),
        end=three_days_ago + timedelta(minutes=1),
        alert_sink=cases,
    )
    assert then.matches == 1
    ms = three_days_ago.microsecond // 1000 * 1000  # the store keeps milliseconds
    assert [a.timestamp for a in alerts_of(WEBSHELL)] == [three_days_ago.replace(microsecond=ms)]


def test_a_rule_the_store_cannot_run_is_reported_and_the_others_run(
    store, cases, shipped, alerts_of, make
):
    broken = replace(shipped.get(WEBSHELL), id="broken-rule", sql="SELECT * FROM no_such_table")
    catalog = Catalog(compiled=[broken, *shipped.compiled])
    store.write_batch([make.webshell_request(datetime.now(UTC))])
    result = run_retro(
        store,
        catalog,
        ["broken-rule", WEBSHELL],
        start=datetime.now(UTC) - timedelta(hours=1),
        end=datetime.now(UTC) + timedelta(hours=1),
        alert_sink=cases,
    )
    assert list(result.failed) == ["broken-rule"]
    assert "no_such_table" in result.failed["broken-rule"]
    assert [(r.rule_id, r.matches) for r in result.rules] == [("broken-rule", 0), (WEBSHELL, 1)]
    assert len(alerts_of(WEBSHELL)) == 1
    assert result.as_dict()["rules"][0]["error"] == result.failed["broken-rule"]


def test_unknown_uncompiled_rules_and_bad_windows_are_refused(store, cases, shipped):
    problem = RuleProblem("rules/x.yml", "unknown modifier", "compile", 4, "bad-rule", "Bad")
    catalog = Catalog(compiled=list(shipped.compiled), errors=[problem])
    now = datetime.now(UTC)
    hour = {"start": now - timedelta(hours=1), "end": now, "alert_sink": cases}
    with pytest.raises(NotFound):
        run_retro(store, catalog, ["no-such-rule"], **hour)
    with pytest.raises(ValidationError, match="unknown modifier"):
        run_retro(store, catalog, [WEBSHELL, "bad-rule"], **hour)
    with pytest.raises(ValidationError):
        run_retro(store, catalog, [], **hour)
    with pytest.raises(ValidationError):
        run_retro(store, catalog, [WEBSHELL], start=now, end=now, alert_sink=cases)
    with pytest.raises(ValidationError):
        run_retro(
            store, catalog, [WEBSHELL], start=now.replace(tzinfo=None), end=now, alert_sink=cases
        )


def test_jobs_run_in_the_background_and_report_progress(store, cases, shipped, alerts_of, make):
    store.write_batch([make.webshell_request(datetime.now(UTC) - timedelta(days=2))])
    jobs = RetroJobs()
    now = datetime.now(UTC)
    job = jobs.submit(
        store,
        shipped,
        cases,
        [WEBSHELL, BRUTE_FORCE],
        start=now - timedelta(days=3),
        end=now,
        requested_by="analyst",
    )
    assert job.state in ("queued", "running", "done")
    finished = jobs.wait(job.id, timeout_seconds=120)
    assert finished is not None and finished.state == "done", finished
    assert finished.percent == 100
    assert finished.done_steps == finished.total_steps > 0
    assert finished.result is not None and finished.result.new_alerts == 1
    assert len(alerts_of(WEBSHELL)) == 1
    with pytest.raises(NotFound):
        jobs.submit(
            store,
            shipped,
            cases,
            ["nope"],
            start=now - timedelta(days=1),
            end=now,
            requested_by="analyst",
        )
    assert [j.id for j in jobs.recent()] == [job.id]
    assert jobs.get("nope") is None


def test_a_hunt_that_cannot_finish_says_why(store, cases, shipped, make):
    jobs = RetroJobs()
    now = datetime.now(UTC)
    webshell = shipped.get(WEBSHELL)
    refused = Catalog(compiled=[replace(webshell, level="severe")])  # the sink refuses it
    store.write_batch([make.webshell_request(now)])
    job = jobs.submit(
        store,
        refused,
        cases,
        [WEBSHELL],
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
        requested_by="analyst",
    )
    finished = jobs.wait(job.id, timeout_seconds=120)
    assert finished is not None and finished.state == "failed"
    assert "severe" in (finished.error or "")
