"""Silent sources over a real case store: one alert per silence, remembered across restarts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soc.cases import CaseService
from soc.detection.silence import RULE_ID, SilenceChecker, SourceIntervals, parse_kind_intervals
from soc.errors import ConfigError
from soc.model.agency import Agency, Principal
from soc.model.sources import SourceRegistry

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ANALYST = Principal(0, "analyst", "analyst")
MIN = timedelta(minutes=1)


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[CaseService]:
    service = CaseService(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    service.migrate()
    service.upsert_agency(Agency("so-a", "Sở A", ("10.1.0.0/16",)))
    yield service
    service.close()


def _checker(cases: CaseService, registry: SourceRegistry, **kwargs) -> SilenceChecker:
    kwargs.setdefault("started_at", T0)
    return SilenceChecker(registry, cases.sources, cases, **kwargs)


def _silence_alerts(cases: CaseService):
    return cases.list_alerts(ANALYST, rule_id=RULE_ID, status=None)[0]


def test_one_alert_per_silence_and_a_new_one_after_a_return(cases: CaseService) -> None:
    registry = SourceRegistry()
    registry.touch("syslog", "10.1.0.5", agency_id="so-a", seen=T0)
    checker = _checker(cases, registry)
    assert checker.check(T0 + 14 * MIN).silent == ()
    report = checker.check(T0 + 16 * MIN)
    assert [s.key for s in report.silent] == ["10.1.0.5"]
    assert checker.check(T0 + 60 * MIN).silent == ()  # still the same silence
    [alert] = _silence_alerts(cases)
    assert alert.agency_ids == ("so-a",)
    assert alert.entity == "syslog 10.1.0.5"
    assert alert.timestamp == T0 + 15 * MIN  # the first interval it missed
    assert alert.details["last_seen"] == "2026-03-02T08:00:00.000Z"

    registry.touch("syslog", "10.1.0.5", agency_id="so-a", seen=T0 + 70 * MIN)
    back = checker.check(T0 + 71 * MIN)
    assert [s.key for s in back.returned] == ["10.1.0.5"]
    assert cases.get_alert(ANALYST, alert.id).details["returned_at"] == "2026-03-02T09:10:00.000Z"
    assert checker.check(T0 + 90 * MIN).silent != ()  # silent again: a new episode
    assert len(_silence_alerts(cases)) == 2


def test_a_restart_remembers_who_used_to_send(cases: CaseService) -> None:
    before = SourceRegistry()
    before.touch("netflow", "10.1.0.1", agency_id="so-a", seen=T0)
    _checker(cases, before).check(T0 + MIN)  # persisted, not silent yet
    # The platform restarts two hours later: the registry is empty, the store remembers.
    restarted = T0 + 120 * MIN
    checker = _checker(cases, SourceRegistry(), started_at=restarted)
    assert checker.check(restarted + 5 * MIN).silent == ()  # one interval of grace first
    [silent] = checker.check(restarted + 16 * MIN).silent
    assert silent.key == "10.1.0.1"
    [alert] = _silence_alerts(cases)
    assert alert.timestamp == T0 + 15 * MIN
    # Yet another restart in the middle of the same silence: no second alert.
    again = _checker(cases, SourceRegistry(), started_at=restarted + 30 * MIN)
    assert again.check(restarted + 60 * MIN).silent == ()
    assert len(_silence_alerts(cases)) == 1


def test_a_lost_state_raises_the_same_alert_id(cases: CaseService) -> None:
    registry = SourceRegistry()
    registry.touch("site", "a-hq", agency_id="so-a", seen=T0)
    checker = _checker(cases, registry)
    [first] = checker.check(T0 + 16 * MIN).silent
    cases.sources.forget(None, "site", "a-hq")  # e.g. the save after the alert never happened
    [second] = checker.check(T0 + 17 * MIN).silent
    assert first.alert_id == second.alert_id
    [alert] = _silence_alerts(cases)
    assert alert.severity == "high"  # a whole site is quiet


def test_intervals_per_kind_per_source_and_off(cases: CaseService) -> None:
    registry = SourceRegistry()
    for kind, key in (("netflow", "10.1.0.1"), ("syslog", "10.1.0.2"), ("syslog", "10.1.0.3")):
        registry.touch(kind, key, agency_id="so-a", seen=T0)
    checker = _checker(cases, registry, intervals=SourceIntervals(kind_seconds={"netflow": 300}))
    checker.check(T0)
    cases.sources.set_interval(None, "syslog", "10.1.0.2", 120)
    cases.sources.set_interval(None, "syslog", "10.1.0.3", 0)  # not monitored
    assert {s.key for s in checker.check(T0 + 6 * MIN).silent} == {"10.1.0.1", "10.1.0.2"}
    assert checker.check(T0 + 600 * MIN).silent == ()


def test_parse_kind_intervals() -> None:
    assert parse_kind_intervals(["site=10", " netflow = 2.5 "]) == {"site": 600, "netflow": 150}
    for bad in (["site"], ["=5"], ["site=-1"], ["site=x"]):
        with pytest.raises(ConfigError):
            parse_kind_intervals(bad)
