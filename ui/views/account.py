"""My account: who I am, and changing my own password (which ends my other sessions).

The current password is asked for, and checked by the case store, so that a session left open
on a shared workstation is not enough to take the account over. Wrong guesses count against
the same throttle as failed logins.
"""

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
from flask_login import login_required

from soc.errors import ValidationError
from ui import account_forms
from ui.context import SESSION_EPOCH_KEY, THROTTLE_KEY, principal, services
from ui.i18n import translate as _
from ui.security import LoginThrottle

blueprint = Blueprint("account", __name__, url_prefix="/account")


@blueprint.route("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template("account.html")


@blueprint.route("/password", methods=["POST"])
@login_required
def change_password() -> ResponseReturnValue:
    caller = principal()
    throttle: LoginThrottle = current_app.extensions[THROTTLE_KEY]
    address = request.remote_addr or "-"
    if throttle.blocked(address, caller.username):
        error = _("Too many failed logins. Try again in a few minutes.")
        return render_template("account.html", error=error), 429
    try:
        new = account_forms.new_password(request.form)
        current = account_forms.current_password(request.form)
        epoch = services().cases.change_own_password(caller, current, new)
    except ValidationError as exc:
        if exc.where == "current_password":
            throttle.failed(address, caller.username)
        return render_template("account.html", error=account_forms.explain(exc)), 400
    session[SESSION_EPOCH_KEY] = epoch  # this session goes on; the others have ended
    flash(_("Your password is changed. Your other sessions are logged out."), "success")
    return redirect(url_for("account.index"))
