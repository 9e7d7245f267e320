"""The fields of the account forms (my account, users admin) and their errors in words.

Passwords are read unstripped (a space is a character of a passphrase) and bounded before they
reach argon2. The case store's own checks stay the authority; its messages are English and name
the field in `where`, so they are put into the person's language here.
"""

from __future__ import annotations

from collections.abc import Mapping

from soc.cases.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from soc.errors import ValidationError
from ui.i18n import translate as _


def new_password(values: Mapping[str, str]) -> str:
    """The new password typed twice, identical; its policy is the case store's to check."""
    password = values.get("new_password", "")
    if not password:
        raise ValidationError(_("%(field)s is required", field=_("New password")))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(_policy())
    if values.get("new_password_repeat", "") != password:
        raise ValidationError(_("The two new passwords differ."))
    return password


def current_password(values: Mapping[str, str]) -> str:
    password = values.get("current_password", "")
    if not password or len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(_("The current password is wrong."))
    return password


def _policy() -> str:
    return _(
        "A password has %(low)d to %(high)d characters.",
        low=MIN_PASSWORD_LENGTH,
        high=MAX_PASSWORD_LENGTH,
    )


def explain(exc: ValidationError) -> str:
    """A refusal of the case store in the person's language; unknown ones as they came."""
    text = str(exc)
    if exc.where == "username":
        if "taken" in text:
            return _("This username is already taken.")
        return _(
            "A username has 2 to 64 letters, digits or . _ @ - and starts with a letter or digit."
        )
    if exc.where == "role":
        return _("%(field)s has an unknown value", field=_("Role"))
    if exc.where == "agency_id":
        return _("An agency administrator needs an existing agency.")
    if exc.where == "password":
        return _policy()
    if exc.where == "current_password":
        return _("The current password is wrong.")
    if "yourself" in text:
        return _("You cannot deactivate yourself.")
    return text
