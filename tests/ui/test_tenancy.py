"""An agency admin sees only their own agency, on every page and by guessing ids."""

from __future__ import annotations


def _main(page: str) -> str:
    """The page's own content, without the layout (which embeds the requested URL)."""
    return page.split('<main class="page">', 1)[1].split("</main>", 1)[0]


def test_other_agencys_case_and_alert_are_not_found(platform, as_user) -> None:
    admin_a = as_user("admin-a")
    assert admin_a.get(f"/cases/{platform.case_a}").status_code == 200
    assert admin_a.get(f"/alerts/{platform.alert_a}").status_code == 200
    other_case = admin_a.get(f"/cases/{platform.case_b}")
    other_alert = admin_a.get(f"/alerts/{platform.alert_b}")
    missing_case = admin_a.get("/cases/999999")
    assert other_case.status_code == other_alert.status_code == missing_case.status_code == 404
    # Indistinguishable from a case that does not exist: nothing of it leaks into the page.
    assert _main(other_case.get_data(as_text=True)) == _main(missing_case.get_data(as_text=True))
    assert b"198.51.100.9" not in other_case.get_data() + other_alert.get_data()


def test_commenting_on_another_agencys_case_is_not_found(platform, as_user) -> None:
    admin_a = as_user("admin-a")
    response = admin_a.post(f"/cases/{platform.case_b}/comments", {"body": "hello"})
    assert response.status_code == 404
    assert platform.services.cases.list_comments(platform.people["analyst"], platform.case_b) == []


def test_queue_and_case_list_show_only_own_agency(platform, as_user) -> None:
    admin_a = as_user("admin-a")
    queue = admin_a.get("/alerts/?status=").get_data(as_text=True)
    assert platform.alert_a in queue
    assert platform.alert_b not in queue
    listing = admin_a.get("/cases/").get_data(as_text=True)
    assert f"/cases/{platform.case_a}" in listing
    assert f"/cases/{platform.case_b}" not in listing
    # The province analyst sees both.
    analyst_queue = as_user("analyst").get("/alerts/?status=").get_data(as_text=True)
    assert platform.alert_a in analyst_queue and platform.alert_b in analyst_queue


def test_search_returns_only_own_agency_events(as_user) -> None:
    admin_a = as_user("admin-a")
    everything = admin_a.get("/search?q=").get_data(as_text=True)
    assert "203.0.113.7" in everything
    assert "198.51.100.9" not in everything
    # Asking for the other agency explicitly is refused, not widened.
    asked = admin_a.get("/search?q=&agency=so-b")
    assert asked.status_code == 400
    assert "198.51.100.9" not in asked.get_data(as_text=True)
    # A query that targets the other agency's data finds nothing.
    targeted = admin_a.get("/search?q=organization.id:so-b").get_data(as_text=True)
    assert "198.51.100.9" not in targeted
    province = as_user("analyst").get("/search?q=").get_data(as_text=True)
    assert "203.0.113.7" in province and "198.51.100.9" in province


def test_dashboard_counts_are_scoped(platform, as_user) -> None:
    # Five tiles: events, new alerts, all alerts, open cases, all cases.
    province = as_user("analyst").get("/").get_data(as_text=True)
    assert province.count('<span class="tile-value">2</span>') == 5
    page = as_user("admin-a").get("/").get_data(as_text=True)
    assert page.count('<span class="tile-value">1</span>') == 5
    assert f"/alerts/{platform.alert_a}" in page
    assert f"/alerts/{platform.alert_b}" not in page


def test_agency_admin_cannot_triage(platform, as_user) -> None:
    admin_a = as_user("admin-a")
    page = admin_a.get(f"/alerts/{platform.alert_a}").get_data(as_text=True)
    assert 'value="acknowledge"' not in page  # no triage buttons offered
    response = admin_a.post(
        "/alerts/action", {"action": "acknowledge", "alert_ids": platform.alert_a}
    )
    assert response.status_code == 403
    alert = platform.services.cases.get_alert(platform.people["analyst"], platform.alert_a)
    assert alert.status == "new"


def test_alert_page_shows_only_events_the_agency_may_see(platform, as_user) -> None:
    from soc.model.alert import Alert

    shared = {
        "event": {"id": "shared-1", "dataset": "fortinet.firewall"},
        "@timestamp": "2026-03-02T08:05:00Z",
        "organization": {"id": "so-b"},
        "related": {"organization_ids": ["so-a", "so-b"]},
        "message": "so-b host talks to so-a host",
    }
    private = {
        "event": {"id": "private-b", "dataset": "fortinet.firewall"},
        "@timestamp": "2026-03-02T08:06:00Z",
        "organization": {"id": "so-b"},
        "message": "only so-b may read this",
    }
    platform.services.events.write_batch([shared, private])
    platform.services.cases.add_alerts(
        [
            Alert(
                id="cross-agency",
                rule_id="lateral",
                rule_title="Lateral movement between agencies",
                severity="medium",
                timestamp=platform.services.cases.get_alert(
                    platform.people["analyst"], platform.alert_a
                ).timestamp,
                entity="10.2.0.5",
                agency_ids=("so-b", "so-a"),
                event_ids=("shared-1", "private-b"),
            )
        ]
    )
    page = as_user("admin-a").get("/alerts/cross-agency").get_data(as_text=True)
    assert "so-b host talks to so-a host" in page
    assert "only so-b may read this" not in page
    province = as_user("analyst").get("/alerts/cross-agency").get_data(as_text=True)
    assert "only so-b may read this" in province
