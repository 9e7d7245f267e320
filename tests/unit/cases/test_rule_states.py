"""Rule switches, retries and retro-hunt records: who may, what detection reads, what is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from soc.cases import CaseService
from soc.errors import Forbidden, NotFound, ValidationError

RULE = "f339a58b-8176-4934-8df6-5054d5696c9e"


def test_disabling_a_rule_is_seen_by_detection_and_audited(service: CaseService, people) -> None:
    assert service.disabled_rules() == frozenset()
    state = service.set_rule_enabled(people.analyst, RULE, False, reason="noisy on the VPN pool")
    assert state.enabled is False
    assert state.checkpoint is None and state.last_run_at is None
    assert service.disabled_rules() == {RULE}
    [row] = service.rule_history(people.analyst, RULE)
    assert (row.actor, row.action, row.object_type, row.object_id) == (
        "analyst",
        "rule.disabled",
        "rule",
        RULE,
    )
    assert row.before == {"enabled": True}
    assert row.after == {"enabled": False, "reason": "noisy on the VPN pool"}


def test_switching_to_the_same_state_records_nothing(service: CaseService, people) -> None:
    service.set_rule_enabled(people.admin, RULE, False)
    service.set_rule_enabled(people.analyst, RULE, False)
    service.set_rule_enabled(people.analyst, RULE, True)
    service.set_rule_enabled(people.analyst, RULE, True)
    history = service.rule_history(people.manager, RULE)
    assert [(r.actor, r.action) for r in history] == [
        ("analyst", "rule.enabled"),
        ("admin", "rule.disabled"),
    ]
    assert service.disabled_rules() == frozenset()


def test_switching_keeps_the_rules_progress(service: CaseService, people, t0: datetime) -> None:
    service.set_checkpoint(RULE, t0, matches=3)
    service.set_rule_enabled(people.analyst, RULE, False)
    (state,) = service.rule_states()
    assert (state.checkpoint, state.total_matches, state.enabled) == (t0, 3, False)


@pytest.mark.parametrize("who", ["manager", "admin_a"])
def test_managers_and_agency_admins_cannot_switch_retry_or_hunt(
    service: CaseService, people, who: str, t0: datetime
) -> None:
    caller = getattr(people, who)
    service.set_checkpoint(RULE, t0, matches=0, error="boom")
    with pytest.raises(Forbidden):
        service.set_rule_enabled(caller, RULE, False)
    with pytest.raises(Forbidden):
        service.retry_rule(caller, RULE)
    with pytest.raises(Forbidden):
        service.record_retro_hunt(caller, [RULE], start=t0, end=t0 + timedelta(days=1))
    assert service.disabled_rules() == frozenset()
    assert service.failing_rules() == {RULE}
    assert service.rule_history(people.analyst, RULE) == []


def test_agency_admins_cannot_read_rule_states(service: CaseService, people, t0) -> None:
    service.set_checkpoint(RULE, t0, matches=1)
    for reader in (people.admin, people.analyst, people.manager):
        assert [s.rule_id for s in service.rule_states(reader)] == [RULE]
        assert service.rule_state(reader, RULE) is not None
    for call in (
        lambda: service.rule_states(people.admin_a),
        lambda: service.rule_state(people.admin_a, RULE),
        lambda: service.rule_history(people.admin_b, RULE),
    ):
        with pytest.raises(Forbidden):
            call()


def test_retry_clears_the_error_and_keeps_the_checkpoint(
    service: CaseService, people, t0: datetime
) -> None:
    service.set_checkpoint(RULE, t0, matches=2)
    service.set_checkpoint(RULE, t0 + timedelta(minutes=1), matches=0, error="Binder Error: x")
    assert service.failing_rules() == {RULE}
    state = service.retry_rule(people.analyst, RULE)
    assert (state.last_error, state.checkpoint) == (None, t0)
    assert service.failing_rules() == frozenset()
    [row] = service.rule_history(people.analyst, RULE)
    assert (row.action, row.before, row.after) == (
        "rule.retried",
        {"last_error": "Binder Error: x"},
        {"last_error": None},
    )
    service.retry_rule(people.analyst, RULE)  # nothing to retry: nothing recorded
    assert len(service.rule_history(people.analyst, RULE)) == 1
    with pytest.raises(NotFound):
        service.retry_rule(people.analyst, "never-ran")


def test_pass_over_moves_only_the_checkpoint(service: CaseService, people, t0: datetime) -> None:
    service.set_checkpoint(RULE, t0, matches=0, error="old failure")
    before = service.rule_state(people.analyst, RULE)
    service.pass_over(RULE, t0 + timedelta(hours=1))
    after = service.rule_state(people.analyst, RULE)
    assert before is not None and after is not None
    assert after.checkpoint == t0 + timedelta(hours=1)
    assert (after.last_run_at, after.last_error, after.total_matches) == (
        before.last_run_at,
        "old failure",
        0,
    )
    service.pass_over("new-rule", t0)
    assert service.get_checkpoint("new-rule") == t0
    with pytest.raises(ValidationError):
        service.pass_over(RULE, datetime(2026, 3, 2, 8, 0))


def test_retro_hunts_are_audited_per_rule(service: CaseService, people, t0: datetime) -> None:
    end = t0 + timedelta(days=7)
    service.record_retro_hunt(people.analyst, [RULE, "rule-b", RULE], start=t0, end=end)
    service.record_retro_hunt(None, ["rule-b"], start=t0, end=end)
    [row] = service.rule_history(people.analyst, RULE)
    assert (row.actor, row.action) == ("analyst", "rule.retro_hunt")
    assert row.after == {"from": "2026-03-02T08:00:00.000Z", "to": "2026-03-09T08:00:00.000Z"}
    assert [r.actor for r in service.rule_history(people.analyst, "rule-b")] == [
        "system",
        "analyst",
    ]


def test_rule_ids_are_checked(service: CaseService, people, t0: datetime) -> None:
    with pytest.raises(ValidationError):
        service.set_rule_enabled(people.analyst, "x" * 65, False)
    with pytest.raises(ValidationError):
        service.set_rule_enabled(people.analyst, RULE, False, reason="r" * 2001)
    with pytest.raises(ValidationError):
        service.record_retro_hunt(people.analyst, [""], start=t0, end=t0 + timedelta(hours=1))
    assert service.disabled_rules() == frozenset()
