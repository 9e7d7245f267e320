"""Switching rules, retrying them and retro-hunting from the UI: roles, CSRF, audit, results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soc.model.event import isoformat, stamp
from soc.rules import Catalog, load_catalog
from ui.views.retro import JOBS_KEY

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
WEBSHELL = "f339a58b-8176-4934-8df6-5054d5696c9e"
BRUTE_FORCE = "a18ed328-a35d-43ad-830b-1483954ae5fc"


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    """Our own rules only: the vendored SigmaHQ set takes long to compile."""
    return load_catalog([RULES_DIR / "soc"], pipelines=[RULES_DIR / "pipelines"])


@pytest.fixture
def detection(platform, shipped):
    """The platform with the shipped rules and two web shell requests from three days ago."""
    platform.services.catalog = shipped
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    platform.services.events.write_batch(
        [
            stamp(
                {
                    "@timestamp": isoformat(three_days_ago + timedelta(minutes=i)),
                    "event": {"module": "apache"},
                    "source": {"ip": ip},
                    "url": {"original": "/uploads/shell.php", "path": "/uploads/shell.php"},
                    "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
                    "organization": {"id": agency},
                },
                dataset="apache.access",
            )
            for i, (ip, agency) in enumerate([("203.0.113.80", "so-a"), ("198.51.100.4", "so-b")])
        ]
    )
    return platform


def _history(platform, rule_id: str) -> list[tuple[str, str]]:
    rows = platform.services.cases.rule_history(platform.people["admin"], rule_id)
    return [(row.actor, row.action) for row in rows]


def _webshell_alerts(platform) -> list:
    return platform.services.cases.list_alerts(platform.people["analyst"], rule_id=WEBSHELL)[0]


def _hunt_form(**changes: str) -> dict:
    now = datetime.now(UTC)
    form = {
        "rule_ids": WEBSHELL,
        "from": (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "to": now.strftime("%Y-%m-%dT%H:%M"),
    }
    return {**form, **changes}


def test_an_analyst_disables_and_enables_a_rule(detection, as_user) -> None:
    analyst = as_user("analyst")
    response = analyst.post(
        f"/rules/{WEBSHELL}/enabled",
        {"enabled": "0", "reason": "pentest this week", "next": "/rules/?status=enabled"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/rules/?status=enabled"
    assert detection.services.cases.disabled_rules() == {WEBSHELL}
    page = analyst.get(f"/rules/{WEBSHELL}").get_data(as_text=True)
    assert "Đã tắt luật." in page  # the flash
    assert "pentest this week" in page
    analyst.post(f"/rules/{WEBSHELL}/enabled", {"enabled": "1"})
    assert detection.services.cases.disabled_rules() == frozenset()
    assert _history(detection, WEBSHELL) == [
        ("analyst", "rule.enabled"),
        ("analyst", "rule.disabled"),
    ]


@pytest.mark.parametrize("who", ["manager", "admin-a"])
def test_managers_and_agency_admins_cannot_change_rules(detection, as_user, who) -> None:
    cases = detection.services.cases
    cases.set_checkpoint(WEBSHELL, datetime.now(UTC), matches=0, error="boom")
    user = as_user(who)
    assert user.post(f"/rules/{WEBSHELL}/enabled", {"enabled": "0"}).status_code == 403
    assert user.post(f"/rules/{WEBSHELL}/retry").status_code == 403
    assert user.post("/rules/retro", _hunt_form()).status_code == 403
    assert cases.disabled_rules() == frozenset()
    assert cases.failing_rules() == {WEBSHELL}
    assert detection.app.extensions[JOBS_KEY].recent() == []
    assert _history(detection, WEBSHELL) == []


def test_rule_forms_need_the_csrf_token(detection, as_user) -> None:
    cases = detection.services.cases
    cases.set_checkpoint(WEBSHELL, datetime.now(UTC), matches=0, error="boom")
    analyst = as_user("analyst")
    for url, data in [
        (f"/rules/{WEBSHELL}/enabled", {"enabled": "0"}),
        (f"/rules/{WEBSHELL}/retry", {}),
        ("/rules/retro", _hunt_form()),
    ]:
        assert analyst.client.post(url, data=data).status_code == 400, url
        forged = {**data, "csrf_token": "forged"}
        assert analyst.client.post(url, data=forged).status_code == 400, url
    assert cases.disabled_rules() == frozenset()
    assert cases.failing_rules() == {WEBSHELL}
    assert detection.app.extensions[JOBS_KEY].recent() == []


def test_only_compiled_rules_can_be_switched(detection, as_user) -> None:
    analyst = as_user("analyst")
    assert analyst.post("/rules/not-a-rule/enabled", {"enabled": "0"}).status_code == 404
    bad = analyst.post(f"/rules/{WEBSHELL}/enabled", {"enabled": "maybe"})
    assert bad.status_code == 400
    assert detection.services.cases.disabled_rules() == frozenset()


def test_retrying_a_quarantined_rule(detection, as_user) -> None:
    cases = detection.services.cases
    cases.set_checkpoint(WEBSHELL, datetime.now(UTC), matches=0, error="Binder Error: gone")
    analyst = as_user("analyst")
    page = analyst.get(f"/rules/{WEBSHELL}").get_data(as_text=True)
    assert "Binder Error: gone" in page and f"/rules/{WEBSHELL}/retry" in page
    assert analyst.post(f"/rules/{WEBSHELL}/retry").status_code == 302
    assert cases.failing_rules() == frozenset()
    assert _history(detection, WEBSHELL) == [("analyst", "rule.retried")]
    assert f"/rules/{WEBSHELL}/retry" not in analyst.get(f"/rules/{WEBSHELL}").get_data(
        as_text=True
    )


def test_a_retro_hunt_from_the_ui_creates_alerts_exactly_once(detection, as_user) -> None:
    analyst = as_user("analyst")
    jobs = detection.app.extensions[JOBS_KEY]
    response = analyst.post("/rules/retro", _hunt_form(rule_ids=[WEBSHELL, BRUTE_FORCE]))
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = job_url.rsplit("/", 1)[1]
    finished = jobs.wait(job_id, timeout_seconds=120)
    assert finished is not None and finished.state == "done"
    page = analyst.get(job_url)
    assert "Refresh" not in page.headers  # over: the page stops reloading
    text = page.get_data(as_text=True)
    assert "Hoàn tất" in text and 'id="retro-new"><strong>2<' in text
    assert sorted(a.entity for a in _webshell_alerts(detection)) == ["198.51.100.4", "203.0.113.80"]

    again = analyst.post("/rules/retro", _hunt_form())
    rerun = jobs.wait(again.headers["Location"].rsplit("/", 1)[1], timeout_seconds=120)
    assert rerun is not None and rerun.result is not None
    assert (rerun.result.matches, rerun.result.new_alerts) == (2, 0)
    assert len(_webshell_alerts(detection)) == 2
    assert _history(detection, WEBSHELL) == [("analyst", "rule.retro_hunt")] * 2
    listing = analyst.get("/rules/").get_data(as_text=True)
    assert job_url in listing  # recent hunts are listed


def test_retro_hunt_forms_are_checked(detection, as_user) -> None:
    analyst = as_user("analyst")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    backwards = analyst.post("/rules/retro", _hunt_form(**{"from": now, "to": "2020-01-01T00:00"}))
    assert backwards.status_code == 400
    assert "Thời điểm kết thúc phải sau thời điểm bắt đầu." in backwards.get_data(as_text=True)
    nothing = analyst.post("/rules/retro", _hunt_form(rule_ids=""))
    assert "Hãy chọn ít nhất một luật." in nothing.get_data(as_text=True)
    unknown = analyst.post("/rules/retro", _hunt_form(rule_ids="no-such-rule", from_detail="1"))
    assert unknown.status_code == 400
    assert "Không có luật này." in unknown.get_data(as_text=True)
    assert analyst.post("/rules/retro", _hunt_form(**{"from": "yesterday"})).status_code == 400
    assert detection.app.extensions[JOBS_KEY].recent() == []
    assert _history(detection, WEBSHELL) == []


def test_retro_hunt_pages_are_for_province_staff(detection, as_user) -> None:
    analyst = as_user("analyst")
    job_url = analyst.post("/rules/retro", _hunt_form()).headers["Location"]
    detection.app.extensions[JOBS_KEY].wait(job_url.rsplit("/", 1)[1], timeout_seconds=120)
    assert as_user("manager").get(job_url).status_code == 200
    assert as_user("admin-a").get(job_url).status_code == 403
    assert analyst.get("/rules/retro/0123456789abcdef").status_code == 404
