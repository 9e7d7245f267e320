"""The language switch: remembered in the session, before and after login."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from ui.i18n import LANGUAGES
from ui.security import safe_next_url

blueprint = Blueprint("language", __name__)


@blueprint.route("/language", methods=["POST"])
def switch() -> ResponseReturnValue:
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next_url(request.form.get("next")) or url_for("home.index"))
