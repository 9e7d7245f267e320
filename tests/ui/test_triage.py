"""Alert triage from the queue and the alert page; every change leaves an audit row."""

from __future__ import annotations


def _actions(platform, case_id: int, object_id: str) -> list[tuple[str, str]]:
    trail = platform.services.cases.case_audit(platform.people["analyst"], case_id)
    return [(row.actor, row.action) for row in trail if row.object_id == object_id]


def test_acknowledge_from_the_queue(platform, as_user) -> None:
    analyst = as_user("analyst")
    response = analyst.post(
        "/alerts/action",
        {"action": "acknowledge", "alert_ids": platform.alert_a, "next": "/alerts/"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/alerts/"
    alert = platform.services.cases.get_alert(platform.people["analyst"], platform.alert_a)
    assert alert.status == "acknowledged"
    assert ("analyst", "alert.acknowledged") in _actions(platform, platform.case_a, alert.id)
    assert "Đã xác nhận 1 cảnh báo." in analyst.get("/alerts/").get_data(as_text=True)


def test_escalate_selected_alerts_to_a_new_case(platform, as_user) -> None:
    analyst = as_user("analyst")
    response = analyst.post(
        "/alerts/action",
        {
            "action": "escalate",
            "alert_ids": [platform.alert_a, platform.alert_b],
            "title": "Coordinated SSH brute force",
        },
    )
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    case = platform.services.cases.get_case(platform.people["analyst"], case_id)
    assert case.title == "Coordinated SSH brute force"
    assert {a.id for a in case.alerts} == {platform.alert_a, platform.alert_b}
    assert all(a.status == "escalated" for a in case.alerts)
    assert ("analyst", "alert.escalated") in _actions(platform, case_id, platform.alert_a)
    assert ("analyst", "case.opened") in _actions(platform, case_id, str(case_id))
    page = analyst.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Coordinated SSH brute force" in page
    assert "đã chuyển một cảnh báo vào sự cố" in page  # the audit history, in Vietnamese


def test_escalate_into_an_existing_case(platform, as_user) -> None:
    analyst = as_user("analyst")
    response = analyst.post(
        "/alerts/action",
        {"action": "escalate", "alert_ids": platform.alert_b, "case_id": str(platform.case_a)},
    )
    assert response.headers["Location"] == f"/cases/{platform.case_a}"
    alert = platform.services.cases.get_alert(platform.people["analyst"], platform.alert_b)
    assert alert.case_id == platform.case_a
    assert alert.status == "escalated"


def test_close_as_false_positive_with_reason(platform, as_user) -> None:
    analyst = as_user("analyst")
    response = analyst.post(
        "/alerts/action",
        {
            "action": "close",
            "alert_ids": platform.alert_a,
            "verdict": "false_positive",
            "reason": "scheduled vulnerability scan",
            "next": f"/alerts/{platform.alert_a}",
        },
    )
    assert response.headers["Location"] == f"/alerts/{platform.alert_a}"
    alert = platform.services.cases.get_alert(platform.people["analyst"], platform.alert_a)
    assert (alert.status, alert.verdict) == ("closed", "false_positive")
    trail = platform.services.cases.case_audit(platform.people["analyst"], platform.case_a)
    closed = next(row for row in trail if row.action == "alert.closed")
    assert closed.actor == "analyst"
    assert closed.after["reason"] == "scheduled vulnerability scan"


def test_invalid_triage_shows_the_error_and_changes_nothing(platform, as_user) -> None:
    analyst = as_user("analyst")
    nothing_selected = analyst.post("/alerts/action", {"action": "acknowledge"})
    assert nothing_selected.status_code == 400
    assert "Hãy chọn ít nhất một cảnh báo." in nothing_selected.get_data(as_text=True)

    no_verdict = analyst.post(
        "/alerts/action",
        {"action": "close", "alert_ids": platform.alert_a, "next": f"/alerts/{platform.alert_a}"},
    )
    assert no_verdict.status_code == 400
    body = no_verdict.get_data(as_text=True)
    assert "Cần nhập Kết luận" in body
    assert "203.0.113.7" in body  # re-rendered on the alert's own page

    no_target = analyst.post(
        "/alerts/action", {"action": "escalate", "alert_ids": platform.alert_a}
    )
    assert no_target.status_code == 400
    alert = platform.services.cases.get_alert(platform.people["analyst"], platform.alert_a)
    assert alert.status == "new"


def test_queue_filters(platform, as_user) -> None:
    analyst = as_user("analyst")
    by_agency = analyst.get("/alerts/?agency=so-b&status=").get_data(as_text=True)
    assert platform.alert_b in by_agency and platform.alert_a not in by_agency
    analyst.post("/alerts/action", {"action": "acknowledge", "alert_ids": platform.alert_a})
    new_only = analyst.get("/alerts/").get_data(as_text=True)  # default: status new
    assert platform.alert_b in new_only and platform.alert_a not in new_only
    acked = analyst.get("/alerts/?status=acknowledged").get_data(as_text=True)
    assert platform.alert_a in acked and platform.alert_b not in acked
    assert platform.alert_a not in analyst.get("/alerts/?severity=low&status=").get_data(
        as_text=True
    )
    by_rule = analyst.get("/alerts/?rule=ssh-brute&status=").get_data(as_text=True)
    assert platform.alert_a in by_rule
    assert platform.alert_a not in analyst.get("/alerts/?rule=other&status=").get_data(as_text=True)


def test_queue_pages(platform, as_user) -> None:
    from datetime import timedelta

    from soc.model.alert import Alert

    base = platform.services.cases.get_alert(platform.people["analyst"], platform.alert_a)
    platform.services.cases.add_alerts(
        [
            Alert(
                id=f"bulk-{i:03d}",
                rule_id="bulk",
                rule_title="Bulk rule",
                severity="low",
                timestamp=base.timestamp - timedelta(minutes=i),
                entity=f"10.1.0.{i}",
                agency_ids=("so-a",),
                event_ids=(),
            )
            for i in range(60)
        ]
    )
    analyst = as_user("analyst")
    first = analyst.get("/alerts/?rule=bulk").get_data(as_text=True)
    second = analyst.get("/alerts/?rule=bulk&page=2").get_data(as_text=True)
    assert first.count('name="alert_ids"') == 50
    assert second.count('name="alert_ids"') == 10
    assert "bulk-000" in first and "bulk-000" not in second
    assert "bulk-059" in second
    assert "rule=bulk&amp;page=2" in first  # the next link keeps the filter


def test_counts_read_right_in_english(platform, as_user) -> None:
    analyst = as_user("analyst")
    analyst.post("/language", {"lang": "en", "next": "/alerts/"})
    analyst.post("/alerts/action", {"action": "acknowledge", "alert_ids": platform.alert_a})
    assert "1 alert acknowledged." in analyst.get("/alerts/").get_data(as_text=True)
    analyst.post(
        "/alerts/action",
        {"action": "acknowledge", "alert_ids": [platform.alert_a, platform.alert_b]},
    )
    assert "2 alerts acknowledged." in analyst.get("/alerts/").get_data(as_text=True)
