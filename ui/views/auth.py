"""Login and logout."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user

from ui.context import SESSION_EPOCH_KEY, THROTTLE_KEY, SessionUser, services
from ui.i18n import translate as _
from ui.security import LoginThrottle, safe_next_url

blueprint = Blueprint("auth", __name__)

# Longer input cannot be a real account (the case store's limits); refusing it early keeps
# megabyte "passwords" away from argon2.
MAX_USERNAME = 64
MAX_PASSWORD = 1024


def _throttle() -> LoginThrottle:
    return current_app.extensions[THROTTLE_KEY]


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    target = safe_next_url(request.values.get("next")) or url_for("home.index")
    if current_user.is_authenticated:
        return redirect(target)
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))

    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    address = request.remote_addr or "-"
    throttle = _throttle()
    if throttle.blocked(address, username[:MAX_USERNAME]):
        flash(_("Too many failed logins. Try again in a few minutes."), "error")
        return render_template("login.html", next=request.form.get("next", "")), 429
    plausible = 0 < len(username) <= MAX_USERNAME and 0 < len(password) <= MAX_PASSWORD
    found = services().cases.sign_in(username, password) if plausible else None
    if found is None:
        throttle.failed(address, username[:MAX_USERNAME])
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", next=request.form.get("next", "")), 401
    throttle.succeeded(address, username)
    _fresh_session()  # a new session at the privilege change
    session.permanent = True
    session[SESSION_EPOCH_KEY] = found.session_epoch
    login_user(SessionUser(found.principal))
    return redirect(target)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    _fresh_session()
    return redirect(url_for("auth.login"))


def _fresh_session() -> None:
    """Drop everything the session held except the language the person chose."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
