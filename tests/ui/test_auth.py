"""Logging in and out, session hardening, throttling and the secret key."""

from __future__ import annotations

import stat
from dataclasses import replace

from ui import create_app
from ui.security import SECURITY_HEADERS


def test_login_with_good_password_opens_the_dashboard(browser) -> None:
    response = browser.login("analyst")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = browser.get("/")
    assert page.status_code == 200
    assert "analyst" in page.get_data(as_text=True)


def test_login_with_bad_password_is_refused(browser) -> None:
    response = browser.login("analyst", "not the password at all")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.get_data(as_text=True)
    assert browser.get("/").status_code == 302  # still not logged in


def test_pages_need_a_login_and_come_back_after_it(browser) -> None:
    response = browser.get("/cases/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    logged_in = browser.login("analyst", next_url="/cases/")
    assert logged_in.headers["Location"] == "/cases/"


def test_login_never_redirects_off_site(browser) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        browser.client.delete_cookie("soc_session")
        browser.token = None
        response = browser.login("analyst", next_url=target)
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


def test_repeated_failures_lock_that_username_from_that_address(browser) -> None:
    for _ in range(5):
        assert browser.login("analyst", "wrong password guess").status_code == 401
    locked = browser.login("analyst")  # even the right password is refused now
    assert locked.status_code == 429
    assert browser.get("/").status_code == 302
    assert browser.login("manager").status_code == 302  # other usernames are unaffected


def test_logout_ends_the_session(as_user) -> None:
    analyst = as_user("analyst")
    assert analyst.get("/").status_code == 200
    assert analyst.post("/logout").status_code == 302
    assert analyst.get("/").status_code == 302


def test_session_cookie_is_hardened(browser) -> None:
    response = browser.login("analyst")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "soc_session=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # permanent session with the configured lifetime
    assert "Secure" not in cookie  # off by default; settings turn it on behind TLS


def test_secure_cookie_when_configured(platform, browser) -> None:
    settings = platform.services.settings
    platform.services.settings = replace(
        settings, ui=replace(settings.ui, session_cookie_secure=True)
    )
    browser.client = create_app(platform.services).test_client()
    response = browser.login("analyst")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "soc_session=" in c)
    assert "Secure" in cookie


def test_every_response_carries_security_headers(browser) -> None:
    for url in ("/login", "/healthz", "/static/soc.css", "/no-such-page"):
        response = browser.get(url)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (url, name)
    assert "default-src 'self'" in SECURITY_HEADERS["Content-Security-Policy"]


def test_secret_key_is_generated_once_private_and_reused(platform) -> None:
    key_file = platform.data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert platform.app.secret_key == key_file.read_text().strip()
    assert len(platform.app.secret_key) >= 32
    assert create_app(platform.services).secret_key == platform.app.secret_key


def test_sessions_survive_a_restart_of_the_app(platform, as_user) -> None:
    analyst = as_user("analyst")
    restarted = create_app(platform.services).test_client()
    restarted.set_cookie("soc_session", analyst.client.get_cookie("soc_session").value)
    assert restarted.get("/").status_code == 200
