"""The alert queue: filters and paging, acknowledge, close with a verdict, escalate; all audited."""

from __future__ import annotations

import pytest

from soc.cases import CaseService
from soc.errors import NotFound, ValidationError


@pytest.fixture
def queue(service: CaseService, make_alert) -> CaseService:
    service.add_alerts(
        [
            make_alert("a1", minutes=0),
            make_alert("a2", minutes=1, severity="low", entity="198.51.100.9"),
            make_alert("a3", minutes=2, rule_id="rule-web", agencies=("so-b",)),
            make_alert("a4", minutes=3, rule_id="rule-web", severity="critical"),
        ]
    )
    return service


def _trail(service: CaseService, people, alert_id: str) -> list[tuple[str, str]]:
    case_id = service.get_alert(people.analyst, alert_id).case_id
    assert case_id is not None
    return [
        (r.actor, r.action)
        for r in service.case_audit(people.analyst, case_id)
        if r.object_id == alert_id
    ]


def test_filters_paging_and_total(queue: CaseService, people) -> None:
    page, total = queue.list_alerts(people.analyst, limit=2)
    assert total == 4
    assert [a.id for a in page] == ["a4", "a3"]
    page, total = queue.list_alerts(people.analyst, limit=2, offset=2)
    assert ([a.id for a in page], total) == (["a2", "a1"], 4)

    def ids(**filters) -> list[str]:
        return sorted(a.id for a in queue.list_alerts(people.analyst, **filters)[0])

    assert ids(rule_id="rule-web") == ["a3", "a4"]
    assert ids(severity="low") == ["a2"]
    assert ids(agency_id="so-b") == ["a3"]
    assert ids(status="new") == ["a1", "a2", "a3", "a4"]
    assert ids(status="closed") == []
    with pytest.raises(ValidationError):
        queue.list_alerts(people.analyst, limit=0)
    with pytest.raises(ValidationError):
        queue.list_alerts(people.analyst, offset=-1)


def test_facets_list_what_is_present(queue: CaseService, people) -> None:
    facets = queue.alert_facets(people.analyst)
    assert facets == {
        "rules": [("rule-ssh", "Title of rule-ssh"), ("rule-web", "Title of rule-web")],
        "severities": ["critical", "high", "low"],
        "statuses": ["new"],
    }
    assert queue.alert_facets(people.admin_b) == {
        "rules": [("rule-web", "Title of rule-web")],
        "severities": ["high"],
        "statuses": ["new"],
    }


def test_acknowledge(queue: CaseService, people) -> None:
    view = queue.acknowledge_alert(people.analyst, "a1")
    assert view.status == "acknowledged"
    assert queue.acknowledge_alert(people.analyst, "a1").status == "acknowledged"
    assert _trail(queue, people, "a1") == [
        ("system", "alert.grouped"),
        ("analyst", "alert.acknowledged"),
    ]
    with pytest.raises(NotFound):
        queue.acknowledge_alert(people.analyst, "no-such-alert")


def test_close_with_verdict_and_reason(queue: CaseService, people) -> None:
    view = queue.close_alert(people.analyst, "a2", verdict="false_positive", reason="scanner")
    assert (view.status, view.verdict) == ("closed", "false_positive")
    assert queue.list_alerts(people.analyst, status="closed")[0] == [view]
    case_id = view.case_id
    assert case_id is not None
    row = queue.case_audit(people.analyst, case_id)[-1]
    assert (row.actor, row.action, row.object_id) == ("analyst", "alert.closed", "a2")
    assert row.before == {"status": "new", "verdict": None}
    assert row.after == {"status": "closed", "verdict": "false_positive", "reason": "scanner"}

    corrected = queue.close_alert(people.admin, "a2", verdict="true_positive")
    assert corrected.verdict == "true_positive"
    with pytest.raises(ValidationError, match="already closed"):
        queue.acknowledge_alert(people.analyst, "a2")
    with pytest.raises(ValidationError, match="verdict"):
        queue.close_alert(people.analyst, "a1", verdict="maybe")
    assert queue.get_alert(people.analyst, "a1").status == "new"


def test_escalate_into_a_new_case(queue: CaseService, people) -> None:
    case = queue.escalate_alerts(people.analyst, ["a1", "a4"], title="Intrusion at Sở A")
    assert case.title == "Intrusion at Sở A"
    assert case.severity == "critical"  # the most severe alert's
    assert (case.rule_id, case.entity, case.agency_id) == (None, "203.0.113.7", "so-a")
    assert {a.id for a in case.alerts} == {"a1", "a4"}
    assert {a.status for a in case.alerts} == {"escalated"}
    trail = queue.case_audit(people.analyst, case.id)
    assert [(r.actor, r.action, r.object_id) for r in trail if r.actor == "analyst"] == [
        ("analyst", "case.opened", str(case.id)),
        ("analyst", "alert.escalated", "a1"),
        ("analyst", "alert.escalated", "a4"),
    ]
    moved = next(r for r in trail if r.action == "alert.escalated" and r.object_id == "a1")
    assert moved.before is not None
    assert moved.before["status"] == "new"
    assert moved.after == {"status": "escalated", "case_id": case.id}


def test_escalate_into_an_existing_case(queue: CaseService, people) -> None:
    target = queue.get_alert(people.analyst, "a1").case_id
    assert target is not None
    case = queue.escalate_alerts(people.analyst, ["a2"], case_id=target)
    assert case.id == target
    assert {a.id for a in case.alerts} == {"a1", "a2"}
    queue.update_case(people.analyst, target, status="closed")
    with pytest.raises(ValidationError, match="closed"):
        queue.escalate_alerts(people.analyst, ["a4"], case_id=target)


def test_a_case_left_without_alerts_is_closed_as_merged(
    queue: CaseService, people, make_alert
) -> None:
    queue.add_alerts([make_alert("a5", minutes=4)])  # grouped with a1: same rule and entity
    grouped = queue.get_alert(people.analyst, "a1").case_id
    alone = queue.get_alert(people.analyst, "a2").case_id
    target = queue.get_alert(people.analyst, "a4").case_id
    assert grouped is not None and alone is not None and target is not None
    assert queue.get_alert(people.analyst, "a5").case_id == grouped

    queue.escalate_alerts(people.analyst, ["a2", "a5"], case_id=target)

    emptied = queue.get_case(people.analyst, alone)
    assert (emptied.status, emptied.alert_count) == ("closed", 0)
    assert emptied.closed_at is not None
    row = queue.case_audit(people.analyst, alone)[-1]
    assert (row.actor, row.action, row.object_id) == ("analyst", "case.merged", str(alone))
    assert row.before == {"status": "open"}
    assert row.after == {"status": "closed", "merged_into": target}
    still = queue.get_case(people.analyst, grouped)  # a1 is still in it
    assert (still.status, [a.id for a in still.alerts]) == ("open", ["a1"])
    assert queue.get_case(people.analyst, target).status == "open"


def test_escalate_validation(queue: CaseService, people) -> None:
    with pytest.raises(ValidationError):
        queue.escalate_alerts(people.analyst, [])
    with pytest.raises(ValidationError):
        queue.escalate_alerts(people.analyst, ["a1"], title="   ")
    with pytest.raises(NotFound):
        queue.escalate_alerts(people.analyst, ["a1", "missing"])
    with pytest.raises(NotFound):
        queue.escalate_alerts(people.analyst, ["a1"], case_id=9999)
    # Nothing of a refused escalation is kept.
    assert queue.get_alert(people.analyst, "a1").status == "new"
    assert queue.counts()["cases"] == 4
