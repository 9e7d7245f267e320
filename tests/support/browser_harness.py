"""A real UI server on 127.0.0.1 and a headless Chromium page, for the browser tests.

Screenshots go to `SCREENSHOTS` for a human to look at; the page collects every
Content-Security-Policy violation from the console, which the tests require to be none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import make_server

from soc.cases import CaseService
from soc.config import Settings, StorageSettings
from soc.services import Services
from soc.storage.duckdb_store import DuckDBEventStore
from ui import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser test password"
SCREENSHOTS = Path("/tmp/soc-ui-screenshots")

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@contextmanager
def running_ui(
    tmp_path: Path, seed: Callable[[DuckDBEventStore, CaseService], None], **services: Any
) -> Iterator[tuple[str, Services]]:
    """Fresh stores under `tmp_path` filled by `seed`, served by the UI: (base URL, services).

    `services` are further `Services` fields (e.g. `catalog`)."""
    settings = replace(Settings(), storage=StorageSettings(data_dir=str(tmp_path / "var")))
    events = DuckDBEventStore(settings.events_path)
    cases = CaseService(settings.cases_url)
    cases.migrate()
    seed(events, cases)
    served = Services(settings=settings, events=events, cases=cases, **services)
    httpd = make_server("127.0.0.1", 0, create_app(served), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", served
    httpd.shutdown()
    thread.join()
    served.close()


@contextmanager
def chromium_page() -> Iterator[tuple[Page, list[str]]]:
    """A page in headless Chromium, and the Content-Security-Policy violations it logs."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    csp_violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on(
                "console",
                lambda msg: (
                    csp_violations.append(msg.text)
                    if "Content Security Policy" in msg.text
                    else None
                ),
            )
            yield page, csp_violations
        finally:
            browser.close()


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill in and submit the login form the page shows."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
