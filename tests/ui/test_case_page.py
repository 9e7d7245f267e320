"""The case page: analysts edit it, everyone in scope comments, input is rendered inert."""

from __future__ import annotations


def test_analyst_updates_status_severity_and_assignee(platform, as_user) -> None:
    analyst = as_user("analyst")
    assignee = platform.people["admin"]
    response = analyst.post(
        f"/cases/{platform.case_a}/update",
        {
            "title": "Brute force on so-a web server",
            "status": "in_progress",
            "severity": "critical",
            "assignee_id": str(assignee.user_id),
            "description": "Blocked at the firewall.",
        },
    )
    assert response.status_code == 302
    case = platform.services.cases.get_case(platform.people["analyst"], platform.case_a)
    assert (case.status, case.severity, case.assignee) == ("in_progress", "critical", "admin")
    assert case.title == "Brute force on so-a web server"
    trail = platform.services.cases.case_audit(platform.people["analyst"], platform.case_a)
    update = next(row for row in trail if row.action == "case.updated")
    assert update.actor == "analyst"
    assert update.before["status"] == "open" and update.after["status"] == "in_progress"
    page = analyst.get(f"/cases/{platform.case_a}").get_data(as_text=True)
    assert "Đã cập nhật sự cố." in page
    assert "Blocked at the firewall." in page


def test_unassign(platform, as_user) -> None:
    analyst = as_user("analyst")
    cases = platform.services.cases
    cases.update_case(
        platform.people["analyst"], platform.case_a, assignee_id=platform.people["analyst"].user_id
    )
    analyst.post(
        f"/cases/{platform.case_a}/update",
        {"title": "t", "status": "open", "severity": "high", "assignee_id": "0"},
    )
    assert cases.get_case(platform.people["analyst"], platform.case_a).assignee is None


def test_invalid_update_is_shown_and_changes_nothing(platform, as_user) -> None:
    analyst = as_user("analyst")
    response = analyst.post(
        f"/cases/{platform.case_a}/update", {"title": "", "status": "open", "severity": "high"}
    )
    assert response.status_code == 400
    assert "Cần nhập Tiêu đề" in response.get_data(as_text=True)
    bogus = analyst.post(f"/cases/{platform.case_a}/update", {"title": "x", "status": "deleted"})
    assert bogus.status_code == 400
    case = platform.services.cases.get_case(platform.people["analyst"], platform.case_a)
    assert case.status == "open" and case.title != "x"


def test_agency_admin_comments_but_cannot_edit(platform, as_user) -> None:
    admin_a = as_user("admin-a")
    page = admin_a.get(f"/cases/{platform.case_a}").get_data(as_text=True)
    assert f"/cases/{platform.case_a}/update" not in page
    assert f"/cases/{platform.case_a}/comments" in page
    forbidden = admin_a.post(
        f"/cases/{platform.case_a}/update", {"title": "mine", "status": "closed"}
    )
    assert forbidden.status_code == 403
    response = admin_a.post(
        f"/cases/{platform.case_a}/comments", {"body": "Máy chủ đã được cô lập."}
    )
    assert response.status_code == 302
    comments = platform.services.cases.list_comments(platform.people["analyst"], platform.case_a)
    assert [(c.author, c.body) for c in comments] == [("admin-a", "Máy chủ đã được cô lập.")]
    trail = platform.services.cases.case_audit(platform.people["analyst"], platform.case_a)
    assert any(r.action == "comment.added" and r.actor == "admin-a" for r in trail)
    shown = admin_a.get(f"/cases/{platform.case_a}").get_data(as_text=True)
    assert "Máy chủ đã được cô lập." in shown


def test_manager_reads_but_cannot_comment(platform, as_user) -> None:
    manager = as_user("manager")
    page = manager.get(f"/cases/{platform.case_a}").get_data(as_text=True)
    assert f"/cases/{platform.case_a}/comments" not in page
    assert manager.post(f"/cases/{platform.case_a}/comments", {"body": "x"}).status_code == 403


def test_empty_comment_is_refused_with_a_message(platform, as_user) -> None:
    analyst = as_user("analyst")
    response = analyst.post(f"/cases/{platform.case_a}/comments", {"body": "   "})
    assert response.status_code == 400
    assert "Cần nhập Bình luận" in response.get_data(as_text=True)
    assert platform.services.cases.list_comments(platform.people["analyst"], platform.case_a) == []


def test_hostile_input_renders_escaped(platform, as_user) -> None:
    payload = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
    analyst = as_user("analyst")
    analyst.post(f"/cases/{platform.case_a}/comments", {"body": payload})
    analyst.post(
        f"/cases/{platform.case_a}/update",
        {"title": payload, "status": "open", "severity": "high", "description": payload},
    )
    for url in (f"/cases/{platform.case_a}", "/cases/", "/"):
        page = analyst.get(url).get_data(as_text=True)
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
    page = analyst.get(f"/cases/{platform.case_a}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page


def test_hostile_event_fields_render_escaped(platform, as_user) -> None:
    platform.services.events.write_batch(
        [
            {
                "event": {"id": "evil-1", "dataset": "syslog"},
                "@timestamp": "2026-03-02T09:00:00Z",
                "organization": {"id": "so-a"},
                "message": "<script>steal()</script>",
                "user": {"name": "<b>x</b>"},
            }
        ]
    )
    page = as_user("analyst").get("/search?q=").get_data(as_text=True)
    assert "<script>steal()" not in page
    assert "<b>x</b>" not in page
    assert "&lt;script&gt;steal()&lt;/script&gt;" in page


def test_case_list_filters(platform, as_user) -> None:
    analyst = as_user("analyst")
    platform.services.cases.update_case(
        platform.people["analyst"], platform.case_b, status="resolved"
    )
    open_only = analyst.get("/cases/?status=open").get_data(as_text=True)
    assert f"/cases/{platform.case_a}" in open_only
    assert f"/cases/{platform.case_b}" not in open_only
    by_agency = analyst.get("/cases/?agency=so-b").get_data(as_text=True)
    assert f"/cases/{platform.case_b}" in by_agency
    assert f"/cases/{platform.case_a}" not in by_agency
