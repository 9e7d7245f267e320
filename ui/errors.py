"""How errors reach people: a page for browsers, a JSON body for the API.

Out-of-scope objects raise `NotFound` in the service layer, and they must look exactly like
missing ones here (same status, same page) so an agency cannot probe another's case ids.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from soc.errors import Forbidden, NotFound
from ui.i18n import translate as _

_MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in.",
    403: "Your role does not allow this action.",
    404: "Not found, or not visible to your agency.",
    405: "This action is not allowed here.",
    413: "The request is too large.",
    429: "Too many attempts. Try again later.",
    500: "Something went wrong on the server.",
}


def _respond(status: int, message: str | None = None) -> ResponseReturnValue:
    text = message or _(_MESSAGES.get(status, "Something went wrong on the server."))
    if request.path.startswith("/api/"):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        return jsonify({"error": text}), status, headers
    return render_template("error.html", status=status, message=text), status


def install(app: Flask) -> None:
    app.register_error_handler(NotFound, lambda exc: _respond(404))
    app.register_error_handler(Forbidden, lambda exc: _respond(403))
    app.register_error_handler(
        CSRFError, lambda exc: _respond(400, _("The form has expired. Reload the page and retry."))
    )
    app.register_error_handler(HTTPException, lambda exc: _respond(exc.code or 500))
