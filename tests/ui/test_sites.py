"""Remote sites in the UI and the ingest API: token shown once, bound to its agency, revocable."""

from __future__ import annotations

import gzip
import re
import sqlite3

import orjson

TOKEN = re.compile(r"socsite_[A-Za-z0-9_-]+")


def _create(browser, site_id: str = "a-hq", agency: str = "so-a") -> str:
    page = browser.post("/sites/", {"site_id": site_id, "name": "Trụ sở", "agency": agency})
    assert page.status_code == 200, page.get_data(as_text=True)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, "the new token is on the page"
    return found.group(0)


def _ingest(platform, token: str, body: bytes, **headers):
    return platform.app.test_client().post(
        "/api/ingest", data=body, headers={"Authorization": f"Bearer {token}", **headers}
    )


def test_the_token_is_shown_once_and_binds_events_to_the_agency(platform, as_user) -> None:
    admin = as_user("admin")
    token = _create(admin)
    listing = admin.get("/sites/").get_data(as_text=True)
    assert "a-hq" in listing and "Sở Thông tin và Truyền thông" in listing
    assert token not in listing  # never again
    body = b"\n".join(
        [
            orjson.dumps(
                {
                    "event": {"id": "site-1", "dataset": "syslog"},
                    "organization": {"id": "so-b", "name": "forged"},
                    "related": {"organization_ids": ["so-b"]},
                    "observer": {"ip": "10.1.0.9"},
                    "source": {"ip": "10.2.0.5"},
                }
            ),
            b"[1]",
        ]
    )
    reply = _ingest(platform, token, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert reply.status_code == 200
    assert reply.get_json() == {
        "accepted": 1,
        "rejected": [{"line": 2, "reason": "not a JSON object"}],
    }
    stored = platform.services.events.get("site-1")
    assert stored["organization"] == {"id": "so-a", "name": "Sở Thông tin và Truyền thông"}
    assert "organization_ids" not in stored["related"]
    sources = {(s.kind, s.key): s for s in platform.services.sources.snapshot()}
    assert sources[("site", "a-hq")].agency_id == "so-a"
    assert sources[("syslog", "10.1.0.9@a-hq")].counters["events"] == 1


def test_a_site_token_only_ingests(platform, as_user) -> None:
    token = _create(as_user("admin"))
    client = platform.app.test_client()
    assert (
        client.get("/api/search", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    )
    bad = _ingest(platform, token, b"not gzip", **{"Content-Encoding": "gzip"})
    assert bad.status_code == 400 and "gzip" in bad.get_json()["error"]
    assert _ingest(platform, token, b"", **{"Content-Encoding": "br"}).status_code == 400
    bomb = gzip.compress(b"\n" * (65 * 1024 * 1024))
    assert _ingest(platform, token, bomb, **{"Content-Encoding": "gzip"}).status_code == 413


def test_revoke_and_new_token(platform, as_user) -> None:
    admin = as_user("admin")
    first = _create(admin)
    page = admin.post("/sites/a-hq/token")
    second = TOKEN.search(page.get_data(as_text=True)).group(0)
    assert second != first
    assert _ingest(platform, first, b"").status_code == 401
    assert _ingest(platform, second, b"").status_code == 200
    revoked = admin.post("/sites/a-hq/revoke")
    assert revoked.status_code == 302
    assert _ingest(platform, second, b"").status_code == 401
    assert "a-hq" in admin.get("/sites/").get_data(as_text=True)  # kept, shown as revoked
    with sqlite3.connect(platform.data_dir / "cases.sqlite") as db:
        trail = db.execute(
            "SELECT actor, action FROM audit_log WHERE object_type = 'site' ORDER BY id"
        ).fetchall()
    assert trail == [
        ("admin", "site.created"),
        ("admin", "site.token_issued"),
        ("admin", "site.revoked"),
    ]


def test_agencies_see_their_own_sites_and_only_admins_manage(platform, as_user) -> None:
    admin = as_user("admin")
    _create(admin, "a-hq", "so-a")
    _create(admin, "b-hq", "so-b")
    agency_a = as_user("admin-a")
    page = agency_a.get("/sites/").get_data(as_text=True)
    assert "a-hq" in page and "b-hq" not in page
    assert 'action="/sites/"' not in page  # no create form
    assert (
        agency_a.post("/sites/", {"site_id": "x", "name": "X", "agency": "so-a"}).status_code == 403
    )
    assert agency_a.post("/sites/b-hq/revoke").status_code == 403
    assert as_user("analyst").post("/sites/a-hq/token").status_code == 403


def test_bad_input_keeps_the_form(as_user) -> None:
    admin = as_user("admin")
    page = admin.post("/sites/", {"site_id": "Bad Id", "name": "Trụ sở", "agency": "so-a"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "slug" in text and 'value="Trụ sở"' in text
    assert not TOKEN.search(text)


def test_the_page_speaks_vietnamese_and_is_in_the_menu(as_user) -> None:
    page = as_user("manager").get("/").get_data(as_text=True)
    assert 'href="/sites/"' in page and "Điểm thu thập từ xa" in page
