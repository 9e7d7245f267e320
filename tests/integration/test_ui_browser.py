"""The web UI in a real headless Chromium against a real server on 127.0.0.1.

An analyst logs in, finds detection's alerts in the queue, escalates one into a new case,
comments on it and sees the comment; screenshots go to /tmp for a human to look at. Any
Content-Security-Policy violation in the browser console fails the test, because an inline
script or style would silently break in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser_harness import BROWSER_MARKS, PASSWORD, SCREENSHOTS, chromium_page, log_in, running_ui

from soc.cases import CaseService
from soc.model.agency import Agency
from soc.model.alert import Alert, alert_id
from soc.model.event import stamp
from soc.services import Services
from soc.storage.duckdb_store import DuckDBEventStore

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

pytestmark = BROWSER_MARKS


def _seed(events: DuckDBEventStore, cases: CaseService) -> None:
    cases.upsert_agency(Agency("so-tttt", "Sở Thông tin và Truyền thông", ("10.1.0.0/16",)))
    cases.upsert_agency(Agency("ubnd-huyen", "UBND huyện Đông Sơn", ("10.2.0.0/16",)))
    cases.add_user("analyst", PASSWORD, "analyst")
    docs = []
    for i, (agency, ip) in enumerate(
        [("so-tttt", "203.0.113.7"), ("ubnd-huyen", "198.51.100.23"), ("so-tttt", "192.0.2.44")]
    ):
        docs.append(
            stamp(
                {
                    "@timestamp": (T0 + timedelta(minutes=i)).isoformat(),
                    "event": {"action": "ssh_login", "outcome": "failure"},
                    "organization": {"id": agency},
                    "source": {"ip": ip, "port": 40000 + i},
                    "user": {"name": "root"},
                    "host": {"name": f"srv-{agency}"},
                    "message": f"Failed password for root from {ip} port {40000 + i} ssh2",
                },
                dataset="system.auth",
            )
        )
    events.write_batch(docs)
    cases.add_alerts(
        [
            Alert(
                id=alert_id("ssh-brute", doc["event"]["id"]),
                rule_id="ssh-brute",
                rule_title="SSH brute force",
                severity=severity,
                timestamp=T0 + timedelta(minutes=i),
                entity=doc["source"]["ip"],
                agency_ids=(doc["organization"]["id"],),
                event_ids=(doc["event"]["id"],),
                summary=f"repeated failed SSH logins from {doc['source']['ip']}",
            )
            for i, (doc, severity) in enumerate(
                zip(docs, ("high", "medium", "critical"), strict=True)
            )
        ]
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    with running_ui(tmp_path, _seed) as served:
        yield served


def test_analyst_escalates_an_alert_and_comments_on_the_case(
    server: tuple[str, Services],
) -> None:
    from playwright.sync_api import expect

    base, services = server
    with chromium_page() as (page, csp_violations):
        page.goto(f"{base}/alerts/")
        expect(page).to_have_url(f"{base}/login?next=%2Falerts%2F")
        page.screenshot(path=SCREENSHOTS / "01-login.png")
        log_in(page, "analyst")

        expect(page).to_have_url(f"{base}/alerts/")
        rows = page.locator("table.alerts tbody tr")
        expect(rows).to_have_count(3)
        expect(page.locator("table.alerts")).to_contain_text("203.0.113.7")
        page.screenshot(path=SCREENSHOTS / "02-alert-queue.png", full_page=True)

        row = rows.filter(has_text="192.0.2.44")
        row.locator("input[name=alert_ids]").check()
        page.fill("#a-title", "Tấn công dò mật khẩu SSH vào máy chủ Sở TTTT")
        page.click("button[name=action][value=escalate]")

        expect(page).to_have_url(f"{base}/cases/4")  # three opened by detection, then ours
        expect(page.locator("h1")).to_contain_text("Tấn công dò mật khẩu SSH")
        expect(page.locator(".flash-success")).to_contain_text("Đã chuyển 1 cảnh báo")
        expect(page.locator("section.card").nth(1)).to_contain_text("192.0.2.44")

        comment = "Đã chặn IP 192.0.2.44 trên tường lửa; <b>theo dõi</b> thêm 24h."
        page.fill("#c-body", comment)
        page.click("#comments button[type=submit]")
        expect(page.locator(".comment-body")).to_have_text(comment)
        page.screenshot(path=SCREENSHOTS / "03-case.png", full_page=True)

        page.goto(f"{base}/search?q=user.name:root")
        expect(page.locator("tbody.event")).to_have_count(3)
        page.locator("tbody.event").first.locator("summary").click()
        expect(page.locator("pre.json").first).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "04-search.png", full_page=True)

        page.click("button[name=lang][value=en]")
        expect(page.locator("h1")).to_have_text("Event search")
        page.goto(f"{base}/")
        page.screenshot(path=SCREENSHOTS / "05-dashboard-en.png", full_page=True)

    analyst = services.cases.authenticate("analyst", PASSWORD)
    assert analyst is not None
    case = services.cases.get_case(analyst, 4)
    assert [a.entity for a in case.alerts] == ["192.0.2.44"]
    assert [c.body for c in services.cases.list_comments(analyst, 4)] == [comment]
    assert csp_violations == []
