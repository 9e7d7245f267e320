"""`POST /api/rules/retro`: `soc rules retro` while a running server holds the event store.

The embedded event store admits one process, so the CLI hands the hunt to the server, which
queues it with the UI's hunts (visible on the rules page) and answers when it is over. The
local admin token opens it, as the rest of the API; it is the operator, audited as "system".
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from soc.errors import NotFound, ValidationError
from soc.model.event import parse_timestamp, utcnow
from ui.views import retro
from ui.views.api import require_token

blueprint = Blueprint("rules_api", __name__, url_prefix="/api/rules")
blueprint.before_request(require_token)


@blueprint.route("/retro", methods=["POST"])
def retro_hunt() -> ResponseReturnValue:
    """Body `{"rule_ids": [...], "from": ISO, "to": ISO}` (to: now by default); answers with
    `RetroResult.as_dict()` once the hunt is over, however long it takes."""
    body = request.get_json(silent=True)
    try:
        if not isinstance(body, dict):
            raise ValidationError("the body must be a JSON object")
        rule_ids = body.get("rule_ids")
        if not isinstance(rule_ids, list) or not all(isinstance(i, str) for i in rule_ids):
            raise ValidationError("rule_ids must be a list of rule ids")
        start = _time(body, "from")
        if start is None:
            raise ValidationError("from is required")
        end = _time(body, "to") or utcnow()
        job = retro.queue_hunt(None, rule_ids, start=start, end=end)
    except (ValidationError, NotFound) as exc:
        return jsonify({"error": str(exc)}), 404 if isinstance(exc, NotFound) else 400
    finished = retro.jobs().wait(job.id)
    if finished is None or finished.result is None:
        error = finished.error if finished is not None else "the hunt was forgotten"
        return jsonify({"error": error}), 500
    return jsonify(finished.result.as_dict())


def _time(body: dict, name: str) -> datetime | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name}: an ISO 8601 time")
    try:
        return parse_timestamp(value)
    except ValueError:
        raise ValidationError(f"{name}: not an ISO 8601 time: {value!r}") from None
