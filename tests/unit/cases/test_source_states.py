"""Persisted source states: saved, scoped by agency, intervals set and sources forgotten."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from soc.cases import CaseService
from soc.errors import Forbidden, NotFound, ValidationError
from soc.model.source_state import SourceState

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_save_load_and_scope(service: CaseService, people) -> None:
    service.sources.save(
        [
            SourceState("syslog", "10.1.0.5", T0, T0, "so-a"),
            SourceState("site", "b-hq", T0, T0, "so-b", interval_seconds=300),
        ]
    )
    assert {(s.kind, s.key) for s in service.sources.load()} == {
        ("syslog", "10.1.0.5"),
        ("site", "b-hq"),
    }
    assert [s.key for s in service.sources.visible_to(people.admin_a)] == ["10.1.0.5"]
    assert len(service.sources.visible_to(people.analyst)) == 2
    updated = SourceState("syslog", "10.1.0.5", T0, T0.replace(hour=9), "so-a")
    service.sources.save([updated])
    assert next(s for s in service.sources.load() if s.kind == "syslog") == updated


def test_interval_and_forget_are_admin_actions(service: CaseService, people) -> None:
    service.sources.save([SourceState("netflow", "10.1.0.1", T0, T0, "so-a")])
    with pytest.raises(Forbidden):
        service.sources.set_interval(people.analyst, "netflow", "10.1.0.1", 60)
    with pytest.raises(ValidationError):
        service.sources.set_interval(people.admin, "netflow", "10.1.0.1", -1)
    state = service.sources.set_interval(people.admin, "netflow", "10.1.0.1", 0)
    assert state.interval_seconds == 0
    service.sources.forget(people.admin, "netflow", "10.1.0.1")
    assert service.sources.load() == []
    with pytest.raises(NotFound):
        service.sources.forget(None, "netflow", "10.1.0.1")
