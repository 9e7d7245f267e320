"""The users page: province admins list, create, (de)activate accounts and set passwords;
everyone else is refused by the case store, whatever they post."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from soc.cases.models import AuditLog

NEW = "a fresh initial passphrase"


def _trail(platform) -> list[tuple[str, str, str]]:
    engine = create_engine(platform.services.settings.cases_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditLog.actor, AuditLog.action, AuditLog.object_id)
            .where(AuditLog.object_type == "user")
            .order_by(AuditLog.id)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def _create(browser, **fields: str):
    form = {
        "username": "dung",
        "role": "analyst",
        "agency": "",
        "new_password": NEW,
        "new_password_repeat": NEW,
        **fields,
    }
    return browser.post("/users/", form)


def _user(platform, username: str):
    return next(u for u in platform.services.cases.list_users(None) if u.username == username)


def test_admin_sees_every_account_and_the_link(as_user) -> None:
    admin = as_user("admin")
    assert 'href="/users/"' in admin.get("/").get_data(as_text=True)
    page = admin.get("/users/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for username in ("admin", "analyst", "manager", "admin-a", "admin-b"):
        assert username in text
    assert "Quản trị cơ quan" in text and "Chưa bao giờ" in text


@pytest.mark.parametrize("username", ["analyst", "manager", "admin-a"])
def test_non_admins_are_refused_the_page_and_every_action(platform, as_user, username) -> None:
    user = as_user(username)
    assert 'href="/users/"' not in user.get("/").get_data(as_text=True)
    assert user.get("/users/").status_code == 403
    target = platform.people["admin-b"].user_id
    assert _create(user).status_code == 403
    assert _create(user, username="x").status_code == 403  # even with a form error
    assert user.post(f"/users/{target}/active", {"active": "0"}).status_code == 403
    form = {"new_password": NEW, "new_password_repeat": NEW}
    assert user.post(f"/users/{target}/password", form).status_code == 403
    assert "dung" not in {u.username for u in platform.services.cases.list_users(None)}
    assert _user(platform, "admin-b").active
    assert platform.services.cases.authenticate("admin-b", NEW) is None


def test_admin_creates_an_account_that_can_log_in(platform, as_user, browser) -> None:
    admin = as_user("admin")
    response = _create(admin, username="lan", role="agency_admin", agency="so-a")
    assert response.status_code == 302
    assert "Đã tạo tài khoản lan." in admin.get("/users/").get_data(as_text=True)
    made = _user(platform, "lan")
    assert (made.role, made.agency_id, made.active) == ("agency_admin", "so-a", True)
    assert ("admin", "user.created", str(made.id)) in _trail(platform)
    assert browser.login("lan", NEW).status_code == 302


def test_agency_is_kept_only_for_agency_admins(platform, as_user) -> None:
    assert _create(as_user("admin"), username="hoa", agency="so-a").status_code == 302
    assert _user(platform, "hoa").agency_id is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "x" * 500}, "quá dài"),
        ({"username": "<script>alert(1)</script>"}, "Tên đăng nhập có từ 2 đến 64"),
        ({"username": "analyst"}, "đã được dùng"),
        ({"username": ""}, "Cần nhập Tên đăng nhập"),
        ({"role": "root"}, "Vai trò có giá trị không hợp lệ"),
        ({"role": ""}, "Cần nhập Vai trò"),
        ({"role": "agency_admin"}, "phải thuộc một cơ quan"),
        ({"role": "agency_admin", "agency": "so-zzz"}, "phải thuộc một cơ quan"),
        ({"role": "agency_admin", "agency": "<b>x</b>" * 40}, "quá dài"),
        ({"new_password": "short", "new_password_repeat": "short"}, "từ 12 đến 1024"),
        ({"new_password_repeat": "not the same at all"}, "không khớp"),
    ],
)
def test_hostile_input_is_a_clear_form_error(platform, as_user, fields, message) -> None:
    response = _create(as_user("admin"), **fields)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    assert "<script>alert(1)</script>" not in text  # echoed back escaped, if at all
    assert "<b>x</b>" not in text
    assert len(platform.services.cases.list_users(None)) == 5


def test_deactivated_user_is_logged_out_and_cannot_log_in_until_reactivated(
    platform, as_user, browser, password
) -> None:
    analyst = as_user("analyst")
    admin = as_user("admin")
    uid = platform.people["analyst"].user_id
    assert admin.post(f"/users/{uid}/active", {"active": "0"}).status_code == 302
    assert "Đã vô hiệu hóa" in admin.get("/users/").get_data(as_text=True)
    assert analyst.get("/cases/").status_code == 302  # the open session is over
    assert browser.login("analyst", password).status_code == 401

    assert admin.post(f"/users/{uid}/active", {"active": "1"}).status_code == 302
    assert analyst.get("/cases/").status_code == 302  # old sessions stay dead
    assert browser.login("analyst", password).status_code == 302
    actions = [(actor, action) for actor, action, oid in _trail(platform) if oid == str(uid)]
    assert actions[-2:] == [("admin", "user.deactivated"), ("admin", "user.activated")]


def test_admin_cannot_deactivate_themselves(platform, as_user) -> None:
    admin = as_user("admin")
    uid = platform.people["admin"].user_id
    response = admin.post(f"/users/{uid}/active", {"active": "0"})
    assert response.status_code == 400
    assert "Bạn không thể tự vô hiệu hóa" in response.get_data(as_text=True)
    assert admin.get("/users/").status_code == 200


def test_admin_sets_another_users_password(platform, as_user, browser, password) -> None:
    manager = as_user("manager")
    admin = as_user("admin")
    uid = platform.people["manager"].user_id
    form = {"new_password": NEW, "new_password_repeat": NEW}
    assert admin.post(f"/users/{uid}/password", form).status_code == 302
    assert manager.get("/").status_code == 302  # logged out with the old password
    assert browser.login("manager", password).status_code == 401
    assert browser.login("manager", NEW).status_code == 302
    assert ("admin", "user.password_set", str(uid)) in _trail(platform)
    short = {"new_password": "short", "new_password_repeat": "short"}
    assert admin.post(f"/users/{uid}/password", short).status_code == 400
    assert admin.post("/users/9999/password", form).status_code == 404
    assert admin.post("/users/9999/active", {"active": "0"}).status_code == 404


def test_users_forms_need_a_csrf_token(platform, as_user) -> None:
    admin = as_user("admin")
    uid = platform.people["analyst"].user_id
    form = {"new_password": NEW, "new_password_repeat": NEW}
    posts = [
        ("/users/", {"username": "dung", "role": "analyst", **form}),
        (f"/users/{uid}/active", {"active": "0"}),
        (f"/users/{uid}/password", form),
    ]
    for url, data in posts:
        assert admin.client.post(url, data=data).status_code == 400, url
        assert admin.client.post(url, data={**data, "csrf_token": "x"}).status_code == 400, url
    assert len(platform.services.cases.list_users(None)) == 5
    assert _user(platform, "analyst").active
    assert _trail(platform) == [("system", "user.created", str(n)) for n in range(1, 6)]
