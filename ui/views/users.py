"""Users, for province admins: who has an account, create one, (de)activate, set a password.

Who may do what is the case store's decision (`require_admin` there), not this page's: a
non-admin reaching these URLs gets the store's `Forbidden` as a 403, whatever the form said.
Accounts are deactivated, never deleted, so their comments and audit rows keep an author.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from soc.errors import ValidationError
from soc.model.agency import ROLES
from ui import account_forms, forms
from ui.context import principal, services
from ui.i18n import translate as _

blueprint = Blueprint("users", __name__, url_prefix="/users")

MAX_USERNAME = 64  # the case store's column; longer cannot be valid


@blueprint.route("/")
@login_required
def index() -> ResponseReturnValue:
    return _render()


@blueprint.route("/", methods=["POST"])
@login_required
def create() -> ResponseReturnValue:
    form = request.form
    try:
        username = forms.text(
            form, "username", label="Username", required=True, max_length=MAX_USERNAME
        )
        role = forms.choice(form, "role", ROLES, label="Role")
        if role is None:
            raise ValidationError(_("%(field)s is required", field=_("Role")))
        # Only agency admins belong to an agency; province staff see every agency.
        agency = (
            forms.text(form, "agency", label="Agency", max_length=64)
            if role == "agency_admin"
            else None
        )
        password = account_forms.new_password(form)
        made = services().cases.add_user(username or "", password, role, agency, by=principal())
    except ValidationError as exc:
        return _render(error=account_forms.explain(exc), form=form)
    flash(_("Account %(name)s created.", name=made.username), "success")
    return redirect(url_for("users.index"))


@blueprint.route("/<int:user_id>/active", methods=["POST"])
@login_required
def set_active(user_id: int) -> ResponseReturnValue:
    active = request.form.get("active") == "1"
    try:
        changed = services().cases.set_user_active(principal(), user_id, active)
    except ValidationError as exc:
        return _render(error=account_forms.explain(exc))
    if changed.active:
        flash(_("Account %(name)s is active again.", name=changed.username), "success")
    else:
        message = _("Account %(name)s is deactivated and logged out.", name=changed.username)
        flash(message, "success")
    return redirect(url_for("users.index"))


@blueprint.route("/<int:user_id>/password", methods=["POST"])
@login_required
def set_password(user_id: int) -> ResponseReturnValue:
    try:
        password = account_forms.new_password(request.form)
        services().cases.set_password(principal(), user_id, password)
    except ValidationError as exc:
        return _render(error=account_forms.explain(exc))
    flash(_("Password set; that user's sessions are logged out."), "success")
    return redirect(url_for("users.index"))


def _render(*, error: str | None = None, form: dict[str, str] | None = None) -> ResponseReturnValue:
    caller = principal()
    cases = services().cases
    return render_template(
        "users.html",
        users=cases.list_users(caller),  # raises Forbidden for anyone but an admin
        agencies=cases.list_agencies(caller),
        roles=ROLES,
        error=error,
        form=form or {},
    ), (400 if error else 200)
