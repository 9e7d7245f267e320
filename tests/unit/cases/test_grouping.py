"""Alerts of one rule and entity within the window make one case; anything else opens another."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from soc.cases import CaseService
from soc.errors import ValidationError


def _case_of(service: CaseService, people, alert_id: str) -> int:
    case_id = service.get_alert(people.analyst, alert_id).case_id
    assert case_id is not None
    return case_id


def test_add_alerts_is_idempotent(service: CaseService, people, make_alert) -> None:
    batch = [make_alert("a1"), make_alert("a2", minutes=1), make_alert("a1")]
    assert service.add_alerts(batch) == 2
    assert service.add_alerts(batch) == 0
    assert service.add_alerts([make_alert("a2", minutes=1), make_alert("a3", minutes=2)]) == 1
    assert service.counts() == {"alerts": 3, "cases": 1}
    alerts, total = service.list_alerts(people.analyst)
    assert total == 3
    assert [a.id for a in alerts] == ["a3", "a2", "a1"]


def test_same_rule_and_entity_within_window_share_a_case(
    service: CaseService, people, make_alert
) -> None:
    # Each alert is within 60 minutes of the previous one, so the chain stays one case.
    service.add_alerts([make_alert("a1"), make_alert("a2", minutes=45)])
    service.add_alerts([make_alert("a3", minutes=100)])
    case_id = _case_of(service, people, "a1")
    case = service.get_case(people.analyst, case_id)
    assert [a.id for a in case.alerts] == ["a1", "a2", "a3"]
    assert case.alert_count == 3
    assert case.title == "Title of rule-ssh: 203.0.113.7"
    assert (case.severity, case.agency_id, case.rule_id, case.entity) == (
        "high",
        "so-a",
        "rule-ssh",
        "203.0.113.7",
    )
    assert case.status == "open"
    assert service.counts()["cases"] == 1


def test_after_the_window_a_new_case_opens(service: CaseService, people, make_alert) -> None:
    service.add_alerts([make_alert("a1"), make_alert("a2", minutes=61)])
    assert _case_of(service, people, "a1") != _case_of(service, people, "a2")


def test_window_comes_from_the_setting(case_url: str, people, make_alert) -> None:
    service = CaseService(case_url, group_window_minutes=5)
    service.add_alerts(
        [make_alert("a1"), make_alert("a2", minutes=5), make_alert("a3", minutes=11)]
    )
    assert _case_of(service, people, "a1") == _case_of(service, people, "a2")
    assert _case_of(service, people, "a2") != _case_of(service, people, "a3")
    service.close()


def test_a_late_alert_joins_the_case_it_falls_in(service: CaseService, people, make_alert) -> None:
    service.add_alerts([make_alert("a1", minutes=30)])
    service.add_alerts([make_alert("early", minutes=0)])  # arrives later, happened earlier
    assert _case_of(service, people, "early") == _case_of(service, people, "a1")


@pytest.mark.parametrize(
    "other",
    [
        {"entity": "198.51.100.1"},
        {"rule_id": "rule-web"},
        {"agencies": ("so-b",)},
    ],
)
def test_different_entity_rule_or_agency_opens_another_case(
    service: CaseService, people, make_alert, other
) -> None:
    service.add_alerts([make_alert("a1"), make_alert("a2", minutes=1, **other)])
    assert _case_of(service, people, "a1") != _case_of(service, people, "a2")
    assert service.counts()["cases"] == 2


@pytest.mark.parametrize(
    ("status", "reused"),
    [
        ("in_progress", True),
        ("resolved", False),
        ("closed", False),
    ],
)
def test_only_open_cases_take_new_alerts(
    service: CaseService, people, make_alert, status, reused
) -> None:
    service.add_alerts([make_alert("a1")])
    first = _case_of(service, people, "a1")
    service.update_case(people.analyst, first, status=status)
    service.add_alerts([make_alert("a2", minutes=5)])
    assert (_case_of(service, people, "a2") == first) is reused


def test_alert_without_agency_is_grouped_and_seen_by_province_only(
    service: CaseService, people, make_alert
) -> None:
    service.add_alerts([make_alert("n1", agencies=()), make_alert("n2", minutes=2, agencies=())])
    case_id = _case_of(service, people, "n1")
    assert case_id == _case_of(service, people, "n2")
    assert service.get_case(people.manager, case_id).agency_id is None
    assert service.list_alerts(people.admin_a) == ([], 0)


def test_grouping_is_audited_as_system(service: CaseService, people, make_alert) -> None:
    service.add_alerts([make_alert("a1"), make_alert("a2", minutes=1)])
    trail = service.case_audit(people.analyst, _case_of(service, people, "a1"))
    assert [(r.actor, r.action, r.object_id) for r in trail] == [
        ("system", "case.opened", trail[0].object_id),
        ("system", "alert.grouped", "a1"),
        ("system", "alert.grouped", "a2"),
    ]
    assert trail[1].after == {"case_id": int(trail[0].object_id)}


def test_alerts_keep_their_fields_and_utc_times(service: CaseService, people, make_alert) -> None:
    original = make_alert("a1", agencies=("so-b", "so-a", "so-b"))
    service.add_alerts([original])
    view = service.get_alert(people.analyst, "a1")
    assert view.timestamp == original.timestamp
    assert view.timestamp.tzinfo == UTC
    assert (view.agency_id, view.agency_ids) == ("so-b", ("so-a", "so-b"))
    assert view.event_ids == ("ev-a1",)
    assert view.tags == ("attack.t1110",)
    assert view.details == {"count": 1}
    assert (view.status, view.verdict) == ("new", None)


def test_long_entities_are_cut_and_still_group(service: CaseService, people, make_alert) -> None:
    command_line = "powershell -enc " + "A" * 2000
    service.add_alerts(
        [make_alert("l1", entity=command_line), make_alert("l2", entity=command_line)]
    )
    assert service.get_alert(people.analyst, "l1").entity == command_line[:500]
    assert _case_of(service, people, "l1") == _case_of(service, people, "l2")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"severity": "urgent"}, "severity"),
        ({"timestamp": datetime(2026, 3, 2, 8, 0)}, "time zone"),
        ({"id": ""}, "alert id"),
    ],
)
def test_bad_alerts_are_rejected_whole_batch(
    service: CaseService, make_alert, change, message
) -> None:
    with pytest.raises(ValidationError, match=message):
        service.add_alerts([make_alert("good"), replace(make_alert("bad"), **change)])
    assert service.counts() == {"alerts": 0, "cases": 0}
