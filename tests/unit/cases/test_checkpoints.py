"""Detection's per-rule checkpoints: advanced on success, kept on failure, counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from soc.cases import CaseService
from soc.errors import ValidationError


def test_unknown_rule_has_no_checkpoint(service: CaseService) -> None:
    assert service.get_checkpoint("rule-x") is None
    assert service.rule_states() == []


def test_successful_runs_advance_and_count(service: CaseService, t0: datetime) -> None:
    service.set_checkpoint("rule-x", t0, matches=3)
    service.set_checkpoint("rule-x", t0 + timedelta(seconds=5), matches=2)
    assert service.get_checkpoint("rule-x") == t0 + timedelta(seconds=5)
    (state,) = service.rule_states()
    assert (state.rule_id, state.last_matches, state.total_matches, state.last_error) == (
        "rule-x",
        2,
        5,
        None,
    )
    assert state.enabled
    assert state.last_run_at is not None
    assert state.last_run_at.tzinfo is not None


def test_failed_run_keeps_the_checkpoint_and_shows_the_error(
    service: CaseService, t0: datetime
) -> None:
    service.set_checkpoint("rule-x", t0, matches=1)
    service.set_checkpoint("rule-x", t0 + timedelta(minutes=1), matches=0, error="bad field")
    assert service.get_checkpoint("rule-x") == t0
    assert service.rule_states()[0].last_error == "bad field"
    service.set_checkpoint("rule-x", t0 + timedelta(minutes=2), matches=0)
    assert service.get_checkpoint("rule-x") == t0 + timedelta(minutes=2)
    assert service.rule_states()[0].last_error is None


def test_checkpoints_are_kept_in_utc(service: CaseService) -> None:
    hanoi = timezone(timedelta(hours=7))
    service.set_checkpoint("rule-x", datetime(2026, 3, 2, 15, 0, tzinfo=hanoi), matches=0)
    stored = service.get_checkpoint("rule-x")
    assert stored == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert stored is not None
    assert stored.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        service.set_checkpoint("rule-x", datetime(2026, 3, 2, 8, 0), matches=0)
