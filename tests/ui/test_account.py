"""My account: changing one's own password proves the current one and ends other sessions."""

from __future__ import annotations

from sqlalchemy import create_engine, select

from soc.cases.models import AuditLog

NEW = "a brand new passphrase"


def _user_trail(platform, user_id: int) -> list[tuple[str, str]]:
    engine = create_engine(platform.services.settings.cases_url)
    with engine.connect() as connection:
        trail = connection.execute(
            select(AuditLog.actor, AuditLog.action)
            .where(AuditLog.object_type == "user", AuditLog.object_id == str(user_id))
            .order_by(AuditLog.id)
        ).all()
    engine.dispose()
    return [tuple(row) for row in trail]


def _change(browser, current: str, new: str = NEW, repeat: str | None = None):
    return browser.post(
        "/account/password",
        {
            "current_password": current,
            "new_password": new,
            "new_password_repeat": new if repeat is None else repeat,
        },
    )


def test_every_user_has_an_account_page_linked_from_the_header(as_user) -> None:
    for username in ("analyst", "manager", "admin-a"):
        user = as_user(username)
        home = user.get("/").get_data(as_text=True)
        assert 'href="/account/"' in home
        page = user.get("/account/")
        assert page.status_code == 200
        assert "Đổi mật khẩu của tôi" in page.get_data(as_text=True)


def test_password_change_with_the_right_current_password(
    platform, as_user, browser, password
) -> None:
    analyst = as_user("analyst")
    response = _change(analyst, password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"
    assert "Đã đổi mật khẩu" in analyst.get("/account/").get_data(as_text=True)
    assert analyst.get("/").status_code == 200  # this session goes on

    assert browser.login("analyst", password).status_code == 401
    assert browser.login("analyst", NEW).status_code == 302
    uid = platform.people["analyst"].user_id
    assert ("analyst", "user.password_set") in _user_trail(platform, uid)


def test_a_wrong_current_password_is_a_form_error_and_audited(
    platform, as_user, browser, password
) -> None:
    analyst = as_user("analyst")
    response = _change(analyst, "not the password at all")
    assert response.status_code == 400
    assert "Mật khẩu hiện tại không đúng." in response.get_data(as_text=True)
    assert browser.login("analyst", NEW).status_code == 401
    uid = platform.people["analyst"].user_id
    assert _user_trail(platform, uid) == [
        ("system", "user.created"),
        ("analyst", "user.password_change_refused"),
    ]


def test_repeated_wrong_current_passwords_are_throttled(as_user, password) -> None:
    analyst = as_user("analyst")
    for _ in range(5):
        assert _change(analyst, "a wrong guess, again").status_code == 400
    assert _change(analyst, password).status_code == 429


def test_form_errors_are_clear_never_a_server_error(as_user, password) -> None:
    analyst = as_user("analyst")
    cases = [
        ({"new_password": NEW, "repeat": "something else entirely"}, "không khớp"),
        ({"new_password": "short"}, "từ 12 đến 1024 ký tự"),
        ({"new_password": "x" * 5000}, "từ 12 đến 1024 ký tự"),
        ({"new_password": "", "repeat": ""}, "Cần nhập Mật khẩu mới"),
    ]
    for fields, message in cases:
        response = _change(analyst, password, fields["new_password"], fields.get("repeat"))
        assert response.status_code == 400, fields
        assert message in response.get_data(as_text=True), fields
    response = _change(analyst, "x" * 5000)
    assert response.status_code == 400


def test_a_password_change_logs_out_the_other_sessions(as_user, password) -> None:
    office = as_user("analyst")
    home = as_user("analyst")  # the same person, logged in on a second computer
    assert home.get("/").status_code == 200
    assert _change(office, password).status_code == 302
    assert office.get("/cases/").status_code == 200
    stale = home.get("/cases/")
    assert stale.status_code == 302
    assert stale.headers["Location"].startswith("/login")


def test_english_labels(as_user) -> None:
    analyst = as_user("analyst")
    analyst.post("/language", {"lang": "en", "next": "/account/"})
    page = analyst.get("/account/").get_data(as_text=True)
    assert "Change my password" in page and "Current password" in page


def test_the_password_form_needs_a_csrf_token(as_user, browser, password) -> None:
    analyst = as_user("analyst")
    form = {"current_password": password, "new_password": NEW, "new_password_repeat": NEW}
    assert analyst.client.post("/account/password", data=form).status_code == 400
    assert browser.login("analyst", NEW).status_code == 401
