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

from ui.context import SessionUser, services
from ui.i18n import translate as _
from ui.security import LoginThrottle, safe_next_url

blueprint = Blueprint("auth", __name__)


def _throttle() -> LoginThrottle:
    return current_app.extensions["soc.login_throttle"]


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    target = safe_next_url(request.values.get("next")) or url_for("home.index")
    if current_user.is_authenticated:
        return redirect(target)
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))

    username = request.form.get("username", "").strip()[:150]
    password = request.form.get("password", "")[:1024]
    address = request.remote_addr or "-"
    throttle = _throttle()
    if throttle.blocked(address, username):
        flash(_("Too many failed logins. Try again in a few minutes."), "error")
        return render_template("login.html", next=request.form.get("next", "")), 429
    found = services().cases.authenticate(username, password) if username and password else None
    if found is None:
        throttle.failed(address, username)
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", next=request.form.get("next", "")), 401
    throttle.succeeded(address, username)
    language = session.get("lang")
    session.clear()  # a fresh session at the privilege change; keep only the language choice
    if language:
        session["lang"] = language
    session.permanent = True
    login_user(SessionUser(found))
    return redirect(target)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    return redirect(url_for("auth.login"))
