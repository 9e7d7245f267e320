"""Every form is protected against cross-site request forgery; only the token API is exempt."""

from __future__ import annotations

import pytest


@pytest.fixture
def forms(platform) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/alerts/action", {"action": "acknowledge", "alert_ids": platform.alert_a}),
        (f"/cases/{platform.case_a}/comments", {"body": "forged comment"}),
        (f"/cases/{platform.case_a}/update", {"title": "forged", "status": "closed"}),
        ("/language", {"lang": "en"}),
        ("/logout", {}),
    ]


def test_login_form_without_token_is_rejected(platform, password) -> None:
    client = platform.app.test_client()
    response = client.post("/login", data={"username": "analyst", "password": password})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not logged in


def test_forms_without_token_are_rejected_and_change_nothing(
    platform, as_user, forms: list[tuple[str, dict[str, str]]]
) -> None:
    analyst = as_user("analyst")
    for url, data in forms:
        response = analyst.client.post(url, data=data)
        assert response.status_code == 400, url
    for url, data in forms:
        response = analyst.client.post(url, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, url
    cases = platform.services.cases
    caller = platform.people["analyst"]
    assert cases.get_alert(caller, platform.alert_a).status == "new"
    assert cases.list_comments(caller, platform.case_a) == []
    assert cases.get_case(caller, platform.case_a).status == "open"
    assert analyst.get("/").status_code == 200  # still logged in


def test_the_token_api_needs_no_csrf_token(platform, api_token) -> None:
    response = platform.app.test_client().post(
        "/api/ingest",
        data=b'{"message": "hello"}\n',
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 200
    assert response.get_json()["accepted"] == 1
