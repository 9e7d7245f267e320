"""Updating and commenting on cases; the audit keeps only what changed, with who and when."""

from __future__ import annotations

import pytest

from soc.cases import CaseService
from soc.errors import NotFound, ValidationError


@pytest.fixture
def case_id(service: CaseService, people, make_alert) -> int:
    service.add_alerts([make_alert("a1")])
    found = service.get_alert(people.analyst, "a1").case_id
    assert found is not None
    return found


def test_update_changes_fields_and_audits_only_changes(
    service: CaseService, people, case_id: int
) -> None:
    case = service.update_case(
        people.analyst,
        case_id,
        status="in_progress",
        severity="high",  # unchanged: not in the audit
        assignee_id=people.analyst.user_id,
        description="Blocked at the firewall.",
    )
    assert (case.status, case.assignee_id, case.assignee) == (
        "in_progress",
        people.analyst.user_id,
        "analyst",
    )
    assert case.description == "Blocked at the firewall."
    assert case.closed_at is None
    assert [a.id for a in case.alerts] == ["a1"]
    row = service.case_audit(people.analyst, case_id)[-1]
    assert (row.actor, row.action, row.object_type, row.object_id) == (
        "analyst",
        "case.updated",
        "case",
        str(case_id),
    )
    assert row.before == {"status": "open", "assignee_id": None, "description": ""}
    assert row.after == {
        "status": "in_progress",
        "assignee_id": people.analyst.user_id,
        "description": "Blocked at the firewall.",
    }
    assert row.agency_id == "so-a"
    assert row.at.tzinfo is not None


def test_update_without_change_writes_no_audit(service: CaseService, people, case_id) -> None:
    before = service.case_audit(people.analyst, case_id)
    unchanged = service.update_case(people.analyst, case_id, status="open", severity="high")
    assert unchanged.updated_at == service.get_case(people.analyst, case_id).updated_at
    assert service.case_audit(people.analyst, case_id) == before


def test_closing_sets_closed_at_and_reopening_clears_it(
    service: CaseService, people, case_id
) -> None:
    closed = service.update_case(people.admin, case_id, status="closed")
    assert closed.closed_at is not None
    assert closed.closed_at >= closed.created_at
    reopened = service.update_case(people.admin, case_id, status="open")
    assert reopened.closed_at is None


def test_unassign_with_zero(service: CaseService, people, case_id) -> None:
    service.update_case(people.analyst, case_id, assignee_id=people.admin.user_id)
    case = service.update_case(people.analyst, case_id, assignee_id=0)
    assert (case.assignee_id, case.assignee) == (None, None)


@pytest.mark.parametrize(
    "change",
    [
        {"status": "done"},
        {"severity": "severe"},
        {"title": "  "},
        {"title": "x" * 301},
        {"description": "x" * 20_001},
        {"assignee_id": 9999},
    ],
)
def test_update_validation(service: CaseService, people, case_id, change) -> None:
    before = service.get_case(people.analyst, case_id)
    with pytest.raises(ValidationError):
        service.update_case(people.analyst, case_id, **change)
    assert service.get_case(people.analyst, case_id) == before


def test_cases_are_assigned_only_to_triage_staff(service: CaseService, people, case_id) -> None:
    for user in (people.manager, people.admin_a):
        with pytest.raises(ValidationError, match="analyst or admin"):
            service.update_case(people.analyst, case_id, assignee_id=user.user_id)


def test_update_of_unknown_case(service: CaseService, people) -> None:
    with pytest.raises(NotFound):
        service.update_case(people.analyst, 12345, status="closed")


def test_comments_are_stored_as_given_and_audited(service: CaseService, people, case_id) -> None:
    body = "<script>alert('x')</script>\nĐã chặn IP 203.0.113.7"
    comment = service.add_comment(people.analyst, case_id, body)
    assert (comment.body, comment.author, comment.author_id, comment.case_id) == (
        body,
        "analyst",
        people.analyst.user_id,
        case_id,
    )
    service.add_comment(people.admin_a, case_id, "x" * 10_000)
    assert [c.author for c in service.list_comments(people.manager, case_id)] == [
        "analyst",
        "admin-a",
    ]
    trail = service.case_audit(people.analyst, case_id)
    assert [(r.actor, r.action) for r in trail[-2:]] == [
        ("analyst", "comment.added"),
        ("admin-a", "comment.added"),
    ]
    assert trail[-2].after == {"comment_id": comment.id}


@pytest.mark.parametrize("body", ["", "   \n", "x" * 10_001])
def test_comment_length_is_checked(service: CaseService, people, case_id, body) -> None:
    with pytest.raises(ValidationError):
        service.add_comment(people.analyst, case_id, body)
    assert service.list_comments(people.analyst, case_id) == []


def test_list_cases_filters_and_counts(service: CaseService, people, make_alert) -> None:
    service.add_alerts(
        [
            make_alert("a1"),
            make_alert("a2", minutes=1),
            make_alert("b1", agencies=("so-b",)),
            make_alert("x1", entity="192.0.2.1"),
        ]
    )
    cases, total = service.list_cases(people.analyst)
    assert total == 3
    assert sorted(c.alert_count for c in cases) == [1, 1, 2]
    assert all(c.alerts == () for c in cases)
    only_b, total_b = service.list_cases(people.analyst, agency_id="so-b")
    assert (total_b, only_b[0].agency_id) == (1, "so-b")
    service.update_case(people.analyst, only_b[0].id, status="resolved")
    resolved, total_resolved = service.list_cases(people.analyst, status="resolved")
    assert (total_resolved, [c.id for c in resolved]) == (1, [only_b[0].id])
    first_page, _ = service.list_cases(people.analyst, limit=1)
    second_page, _ = service.list_cases(people.analyst, limit=1, offset=1)
    assert first_page[0].id != second_page[0].id
