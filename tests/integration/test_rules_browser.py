"""Rule management in a real headless Chromium against a real server on 127.0.0.1.

An analyst finds the web shell rule, switches it off, and retro-hunts it over the last week;
the hunt runs in the background and its page reloads until the result is in. Screenshots go to
/tmp for a human to look at; a Content-Security-Policy violation fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser_harness import BROWSER_MARKS, PASSWORD, SCREENSHOTS, chromium_page, log_in, running_ui

from soc.cases import CaseService
from soc.model.agency import Agency
from soc.model.event import isoformat, stamp
from soc.rules import load_catalog
from soc.services import Services
from soc.storage.duckdb_store import DuckDBEventStore

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
WEBSHELL = "f339a58b-8176-4934-8df6-5054d5696c9e"

pytestmark = BROWSER_MARKS


def _seed(events: DuckDBEventStore, cases: CaseService) -> None:
    cases.upsert_agency(Agency("so-tttt", "Sở Thông tin và Truyền thông", ("10.1.0.0/16",)))
    cases.add_user("analyst", PASSWORD, "analyst")
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    events.write_batch(
        [
            stamp(
                {
                    "@timestamp": isoformat(three_days_ago + timedelta(minutes=i)),
                    "event": {"module": "apache"},
                    "source": {"ip": ip},
                    "url": {"original": "/uploads/shell.php", "path": "/uploads/shell.php"},
                    "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
                    "organization": {"id": "so-tttt"},
                },
                dataset="apache.access",
            )
            for i, ip in enumerate(["203.0.113.80", "198.51.100.4"])
        ]
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    catalog = load_catalog([RULES_DIR / "soc"], pipelines=[RULES_DIR / "pipelines"])
    with running_ui(tmp_path, _seed, catalog=catalog) as served:
        yield served


def test_analyst_disables_a_rule_and_retro_hunts_it(server: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    base, services = server
    with chromium_page() as (page, csp_violations):
        page.goto(f"{base}/login?next=/rules/")
        log_in(page, "analyst")
        expect(page).to_have_url(f"{base}/rules/")

        page.fill("#f-q", WEBSHELL)
        page.click("form.filters button[type=submit]")
        row = page.locator("table.rules tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Web Shell Style Request")
        row.locator("button.btn-danger").click()  # "Tắt": switch it off
        expect(page.locator(".flash-success")).to_contain_text("Đã tắt luật.")
        expect(row.locator(".rule-disabled")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "10-rules.png", full_page=True)

        row.locator("input[name=rule_ids]").check()
        page.click("#retro-form button[type=submit]")
        expect(page.locator("#retro-state")).to_have_text("Hoàn tất", timeout=60_000)
        expect(page.locator("#retro-new")).to_have_text("2")
        page.screenshot(path=SCREENSHOTS / "11-retro-hunt.png", full_page=True)

        page.click("table.retro-results a >> nth=0")  # to the rule's own page
        expect(page.locator("#rule-yaml")).to_contain_text(f"id: {WEBSHELL}")
        expect(page.locator("ul.timeline")).to_contain_text("đã chạy truy quét hồi tố")
        page.screenshot(path=SCREENSHOTS / "12-rule.png", full_page=True)

    assert services.cases.disabled_rules() == {WEBSHELL}
    analyst = services.cases.authenticate("analyst", PASSWORD)
    assert analyst is not None
    alerts, total = services.cases.list_alerts(analyst, rule_id=WEBSHELL)
    assert total == 2
    assert sorted(a.entity for a in alerts) == ["198.51.100.4", "203.0.113.80"]
    assert csp_violations == []
