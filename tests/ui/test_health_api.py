"""`/healthz` and the bearer-token JSON API (search and NDJSON ingest)."""

from __future__ import annotations

import orjson


def test_healthz_has_exactly_the_documented_shape(platform) -> None:
    response = platform.app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "counts": {"events": 2, "alerts": 2, "cases": 2},
    }


def test_api_refuses_missing_or_wrong_token(platform, api_token) -> None:
    client = platform.app.test_client()
    refused = client.get("/api/search")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert set(refused.get_json()) == {"error"}
    for header in (f"Bearer {api_token}x", f"Basic {api_token}", api_token, "Bearer "):
        assert client.get("/api/search", headers={"Authorization": header}).status_code == 401
    ingest = client.post(
        "/api/ingest", data=b'{"message": "x"}', headers={"Authorization": "Bearer nope"}
    )
    assert ingest.status_code == 401
    assert platform.services.events.count() == 2


def test_api_is_closed_without_a_token_file(platform_factory) -> None:
    closed = platform_factory(api_token=None)
    client = closed.app.test_client()
    for token in ("", "None", "null"):
        response = client.get("/api/search", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_api_search(platform, api_token) -> None:
    client = platform.app.test_client()
    auth = {"Authorization": f"Bearer {api_token}"}
    everything = client.get("/api/search", headers=auth).get_json()
    assert everything["total"] == 2
    assert len(everything["events"]) == 2
    found = client.get("/api/search?q=user.name:root", headers=auth).get_json()
    assert found["total"] == 1
    assert found["events"][0]["source"]["ip"] == "203.0.113.7"
    limited = client.get("/api/search?limit=1", headers=auth).get_json()
    assert limited["total"] == 2 and len(limited["events"]) == 1
    unlimited = client.get("/api/search?limit=0", headers=auth).get_json()  # `soc search --all`
    assert len(unlimited["events"]) == 2
    window = "from=2026-03-02T08:00:01Z&to=2026-03-03T00:00:00Z"
    assert client.get(f"/api/search?{window}", headers=auth).get_json()["total"] == 0
    bad = client.get("/api/search?q=(unbalanced", headers=auth)
    assert bad.status_code == 400
    assert "cannot parse query" in bad.get_json()["error"]
    assert client.get("/api/search?from=yesterday", headers=auth).status_code == 400
    assert client.get("/api/search?limit=-1", headers=auth).status_code == 400


def test_api_ingest_accepts_events_and_reports_rejected_lines(platform, api_token) -> None:
    body = b"\n".join(
        [
            orjson.dumps({"event": {"id": "keep-me", "dataset": "remote.test"}, "message": "a"}),
            b"{not json",
            orjson.dumps({"message": "no id yet"}),
            b"",
            b"[1, 2]",
            orjson.dumps({"@timestamp": "not a time", "message": "bad time"}),
            orjson.dumps({"event": "not an object"}),
        ]
    )
    response = platform.app.test_client().post(
        "/api/ingest", data=body, headers={"Authorization": f"Bearer {api_token}"}
    )
    assert response.status_code == 200
    reply = response.get_json()
    assert set(reply) == {"accepted", "rejected"}
    assert reply["accepted"] == 2
    assert [r["line"] for r in reply["rejected"]] == [2, 5, 6, 7]
    assert all(r["reason"] for r in reply["rejected"])
    events = platform.services.events
    assert events.count() == 4
    kept = events.get("keep-me")
    assert kept["event"]["dataset"] == "remote.test" and kept["event"]["ingested"]
    stamped = events.search('message:"no id yet"').events[0]
    assert stamped["event"]["dataset"] == "ingest" and stamped["event"]["id"]
    # Idempotent: sending the same identified event again adds nothing.
    platform.app.test_client().post(
        "/api/ingest",
        data=orjson.dumps({"event": {"id": "keep-me"}}),
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert events.count() == 4


def test_api_ingest_refuses_bodies_over_ten_megabytes(platform, api_token) -> None:
    line = orjson.dumps({"message": "x" * 1000}) + b"\n"
    body = line * (10 * 1024 * 1024 // len(line) + 1)
    response = platform.app.test_client().post(
        "/api/ingest", data=body, headers={"Authorization": f"Bearer {api_token}"}
    )
    assert response.status_code == 413
    assert platform.services.events.count() == 2


def test_api_ingest_tags_untagged_events_with_their_agency(platform, api_token) -> None:
    body = b"\n".join(
        [
            orjson.dumps({"event": {"id": "from-so-a"}, "source": {"ip": "10.1.2.3"}}),
            orjson.dumps(
                {
                    "event": {"id": "pre-tagged"},
                    "source": {"ip": "10.1.2.3"},
                    "organization": {"id": "so-b", "name": "Sở Tài chính"},
                }
            ),
            orjson.dumps({"event": {"id": "outsider"}, "source": {"ip": "8.8.8.8"}}),
        ]
    )
    platform.app.test_client().post(
        "/api/ingest", data=body, headers={"Authorization": f"Bearer {api_token}"}
    )
    events = platform.services.events
    assert events.get("from-so-a")["organization"]["id"] == "so-a"
    assert events.get("pre-tagged")["organization"]["id"] == "so-b"
    assert "organization" not in events.get("outsider")
