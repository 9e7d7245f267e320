"""`POST /api/rules/retro`, what `soc rules retro` calls while the server holds the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soc.model.event import isoformat, stamp
from soc.rules import Catalog, load_catalog

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
WEBSHELL = "f339a58b-8176-4934-8df6-5054d5696c9e"


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    """Our own rules only: the vendored SigmaHQ set takes long to compile."""
    return load_catalog([RULES_DIR / "soc"], pipelines=[RULES_DIR / "pipelines"])


@pytest.fixture
def api(platform, shipped, api_token):
    platform.services.catalog = shipped
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    platform.services.events.write_batch(
        [
            stamp(
                {
                    "@timestamp": isoformat(two_days_ago),
                    "event": {"module": "apache"},
                    "source": {"ip": "203.0.113.80"},
                    "url": {"original": "/uploads/shell.php", "path": "/uploads/shell.php"},
                    "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
                    "organization": {"id": "so-a"},
                },
                dataset="apache.access",
            )
        ]
    )
    client = platform.app.test_client()

    def post(body, token: str = api_token):
        return client.post(
            "/api/rules/retro", json=body, headers={"Authorization": f"Bearer {token}"}
        )

    return post


def _week() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"from": isoformat(now - timedelta(days=7)), "to": isoformat(now)}


def test_the_operator_runs_a_retro_hunt_and_gets_the_result(platform, api) -> None:
    first = api({"rule_ids": [WEBSHELL], **_week()})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["new_alerts"] == 1
    assert first.get_json()["rules"][0] == {
        "rule_id": WEBSHELL,
        "title": "Web Shell Style Request Answered By The Web Server",
        "matches": 1,
        "new_alerts": 1,
        "error": None,
    }
    again = api({"rule_ids": [WEBSHELL], "from": _week()["from"]}).get_json()
    assert (again["matches"], again["new_alerts"]) == (1, 0)
    history = platform.services.cases.rule_history(platform.people["admin"], WEBSHELL)
    assert [(row.actor, row.action) for row in history] == [("system", "rule.retro_hunt")] * 2


def test_bad_requests_are_refused_before_anything_runs(platform, api) -> None:
    assert api({"rule_ids": ["nope"], **_week()}).status_code == 404
    assert api({"rule_ids": WEBSHELL, **_week()}).status_code == 400
    assert api({"rule_ids": [WEBSHELL]}).status_code == 400
    assert api({"rule_ids": [WEBSHELL], "from": "last week"}).status_code == 400
    week = _week()
    backwards = {"rule_ids": [WEBSHELL], "from": week["to"], "to": week["from"]}
    assert "after it starts" in api(backwards).get_json()["error"]
    assert api([WEBSHELL]).status_code == 400
    assert platform.services.cases.rule_history(platform.people["admin"], WEBSHELL) == []


def test_only_the_operator_token_opens_it(platform, api) -> None:
    assert api({"rule_ids": [WEBSHELL], **_week()}, token="wrong").status_code == 401
    session = platform.app.test_client()  # no token, no CSRF: not a browser form either
    assert session.post("/api/rules/retro", json={"rule_ids": [WEBSHELL]}).status_code == 401
    assert platform.services.cases.rule_history(platform.people["admin"], WEBSHELL) == []
