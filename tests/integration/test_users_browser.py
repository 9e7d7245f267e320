"""Account management in a real headless Chromium: an admin adds and deactivates a colleague,
then changes their own password from "my account"; screenshots go to /tmp for a human."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import BROWSER_MARKS, PASSWORD, SCREENSHOTS, chromium_page, log_in, running_ui

from soc.cases import CaseService
from soc.model.agency import Agency
from soc.services import Services
from soc.storage.duckdb_store import DuckDBEventStore

pytestmark = BROWSER_MARKS
NEW = "a colleague's first passphrase"


def _seed(events: DuckDBEventStore, cases: CaseService) -> None:
    cases.upsert_agency(Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)))
    cases.add_user("admin", PASSWORD, "admin")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    with running_ui(tmp_path, _seed) as served:
        yield served


def test_admin_manages_accounts_and_their_own_password(server: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    base, services = server
    with chromium_page() as (page, csp_violations):
        page.goto(f"{base}/login")
        log_in(page, "admin")
        page.click("nav.mainnav a[href='/users/']")
        expect(page.locator("h1")).to_have_text("Người dùng")

        page.fill("#u-name", "yte-lan")
        page.select_option("#u-role", "agency_admin")
        page.select_option("#u-agency", "so-yte")
        page.fill("#u-pass", NEW)
        page.fill("#u-repeat", NEW)
        page.click("text=Tạo tài khoản")
        expect(page.locator(".flash-success")).to_contain_text("yte-lan")
        row = page.locator("tr", has_text="yte-lan")
        expect(row).to_contain_text("Sở Y tế")
        row.locator("button.btn-danger").click()
        expect(page.locator("tr", has_text="yte-lan")).to_contain_text("Đã vô hiệu hóa")
        page.screenshot(path=SCREENSHOTS / "20-users.png", full_page=True)

        page.click(".userbox a[href='/account/']")
        page.fill("#a-current", PASSWORD)
        page.fill("#a-new", "the admin's new passphrase")
        page.fill("#a-repeat", "the admin's new passphrase")
        page.click("form.stack button[type=submit]")
        expect(page.locator(".flash-success")).to_contain_text("Đã đổi mật khẩu")
        page.screenshot(path=SCREENSHOTS / "21-account.png", full_page=True)

    assert services.cases.authenticate("yte-lan", NEW) is None  # deactivated
    assert services.cases.authenticate("admin", "the admin's new passphrase") is not None
    assert csp_violations == []
