"""Agency admins see only their agency; outside scope is NotFound, forbidden roles Forbidden."""

from __future__ import annotations

import pytest

from soc.cases import CaseService
from soc.errors import Forbidden, NotFound


@pytest.fixture
def case_of(service: CaseService, people, make_alert) -> dict[str, int]:
    """One alert and case for each agency: {"so-a": case id, "so-b": case id}."""
    service.add_alerts([make_alert("a1", agencies=("so-a",)), make_alert("b1", agencies=("so-b",))])
    cases, _ = service.list_cases(people.admin)
    return {c.agency_id: c.id for c in cases if c.agency_id}


def test_lists_show_only_the_own_agency(service: CaseService, people, case_of) -> None:
    alerts, total = service.list_alerts(people.admin_a)
    assert ([a.id for a in alerts], total) == (["a1"], 1)
    cases, total = service.list_cases(people.admin_a)
    assert ([c.id for c in cases], total) == ([case_of["so-a"]], 1)
    # Asking for the other agency by filter gives nothing rather than widening the scope.
    assert service.list_alerts(people.admin_a, agency_id="so-b") == ([], 0)
    assert service.list_cases(people.admin_a, agency_id="so-b") == ([], 0)
    assert [a.id for a in service.list_agencies(people.admin_a)] == ["so-a"]
    assert [a.id for a in service.list_agencies(people.manager)] == ["so-a", "so-b"]
    assert service.list_alerts(people.manager)[1] == 2


def test_other_agency_objects_are_not_found(service: CaseService, people, case_of) -> None:
    other = case_of["so-b"]
    with pytest.raises(NotFound):
        service.get_case(people.admin_a, other)
    with pytest.raises(NotFound):
        service.get_alert(people.admin_a, "b1")
    with pytest.raises(NotFound):
        service.list_comments(people.admin_a, other)
    with pytest.raises(NotFound):
        service.case_audit(people.admin_a, other)
    with pytest.raises(NotFound):
        service.add_comment(people.admin_a, other, "hello")
    assert service.list_comments(people.analyst, other) == []


def test_agency_admin_reads_and_comments_but_cannot_change_state(
    service: CaseService, people, case_of
) -> None:
    own = case_of["so-a"]
    assert service.get_case(people.admin_a, own).alerts[0].id == "a1"
    assert service.add_comment(people.admin_a, own, "Đã xử lý").author == "admin-a"
    with pytest.raises(Forbidden):
        service.update_case(people.admin_a, own, status="closed")
    with pytest.raises(Forbidden):
        service.acknowledge_alert(people.admin_a, "a1")
    with pytest.raises(Forbidden):
        service.close_alert(people.admin_a, "a1", verdict="false_positive")
    with pytest.raises(Forbidden):
        service.escalate_alerts(people.admin_a, ["a1"])
    assert service.get_case(people.analyst, own).status == "open"
    assert service.get_alert(people.analyst, "a1").status == "new"


def test_manager_only_reads(service: CaseService, people, case_of) -> None:
    own = case_of["so-a"]
    assert service.get_case(people.manager, own).id == own
    with pytest.raises(Forbidden):
        service.add_comment(people.manager, own, "looks bad")
    with pytest.raises(Forbidden):
        service.update_case(people.manager, own, severity="low")
    with pytest.raises(Forbidden):
        service.acknowledge_alert(people.manager, "a1")


def test_an_alert_between_two_agencies_is_seen_by_both(
    service: CaseService, people, make_alert
) -> None:
    service.add_alerts([make_alert("ab", agencies=("so-a", "so-b"))])
    case_id = service.get_alert(people.admin_b, "ab").case_id
    assert case_id is not None
    case = service.get_case(people.admin_b, case_id)
    assert case.agency_id == "so-a"  # owned by the source's agency, visible to both
    assert [a.id for a in case.alerts] == ["ab"]
    assert [c.id for c in service.list_cases(people.admin_b)[0]] == [case_id]


def test_case_shows_each_agency_only_its_alerts(
    service: CaseService, people, make_alert, case_of
) -> None:
    shared = service.escalate_alerts(people.analyst, ["a1", "b1"], title="Campaign")
    assert shared.alert_count == 2
    assert [a.id for a in service.get_case(people.admin_a, shared.id).alerts] == ["a1"]
    assert [a.id for a in service.get_case(people.admin_b, shared.id).alerts] == ["b1"]
    listed = {c.id: c.alert_count for c in service.list_cases(people.admin_b)[0]}
    assert listed[shared.id] == 1
    audited = {r.object_id for r in service.case_audit(people.admin_b, shared.id)}
    assert audited == {str(shared.id), "b1"}
