"""Request-scoped access to the platform services and the caller, for the views."""

from __future__ import annotations

from flask import current_app
from flask_login import UserMixin, current_user

from soc.model.agency import Principal
from soc.services import Services

SERVICES_KEY = "soc.services"
THROTTLE_KEY = "soc.login_throttle"
# The user's session epoch when this login began; a password change or deactivation moves the
# stored one on and this session ends (`CaseService.session_principal`). Sessions from before
# the epoch existed hold none and count as epoch 0, the value every account started with.
SESSION_EPOCH_KEY = "epoch"


class SessionUser(UserMixin):
    """Flask-Login's view of a `Principal`: the session stores only the user id.

    The principal is re-read from the case store on every request, so a role change, a
    disabled account or a changed password takes effect at once instead of when the session
    expires.
    """

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    def get_id(self) -> str:
        return str(self.principal.user_id)


def services() -> Services:
    return current_app.extensions[SERVICES_KEY]


def principal() -> Principal:
    """The logged-in caller; only called from views behind `login_required`."""
    return current_user.principal
