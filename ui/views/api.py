"""The JSON API for the CLI, remote collectors and scripts: search and NDJSON ingest.

Authenticated only by the local admin bearer token from `<data_dir>/api.token`; without that
file the API is closed. The token holder is the platform operator, so searches see every agency.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

import orjson
from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from soc.errors import QueryError, ValidationError
from soc.model.event import Event, parse_timestamp, stamp
from ui.context import services

blueprint = Blueprint("api", __name__, url_prefix="/api")

MAX_INGEST_BYTES = 10 * 1024 * 1024  # also the app-wide request limit
DEFAULT_SEARCH_LIMIT = 100


@blueprint.before_request
def require_token() -> None:
    expected: str | None = current_app.config.get("SOC_API_TOKEN")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if (
        not expected
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(presented.strip().encode(), expected.encode())
    ):
        abort(401)


@blueprint.route("/search")
def search() -> ResponseReturnValue:
    try:
        start = _time_arg("from")
        end = _time_arg("to")
        limit = _limit_arg()
        page = services().events.search(
            request.args.get("q", ""), start=start, end=end, limit=limit
        )
    except (QueryError, ValidationError) as exc:
        return jsonify({"error": str(exc)}), 400
    # orjson: `soc search --all` can ask for every event, and stdlib json is ~10x slower.
    body = orjson.dumps({"total": page.total, "events": page.events})
    return Response(body, mimetype="application/json")


@blueprint.route("/ingest", methods=["POST"])
def ingest() -> ResponseReturnValue:
    if (request.content_length or 0) > MAX_INGEST_BYTES:
        abort(413)
    accepted: list[Event] = []
    rejected: list[dict[str, Any]] = []
    for number, line in enumerate(request.get_data().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            accepted.append(_event_from_line(line))
        except ValueError as exc:
            rejected.append({"line": number, "reason": str(exc)})
    if accepted:
        # Remote collectors may not know the province's address plan; tag what they left open.
        tagger = services().tagger()
        services().events.write_batch([tagger.tag(event) for event in accepted])
    return jsonify({"accepted": len(accepted), "rejected": rejected})


def _event_from_line(line: bytes) -> Event:
    """One NDJSON line as a stamped ECS event; ValueError says why the line is refused."""
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    event = doc.get("event", {})
    if not isinstance(event, dict):
        raise ValueError("event must be an object")
    timestamp = doc.get("@timestamp")
    if timestamp is not None:
        if not isinstance(timestamp, str):
            raise ValueError("@timestamp must be an ISO 8601 string")
        try:
            parse_timestamp(timestamp)
        except ValueError:
            raise ValueError(f"@timestamp is not an ISO 8601 timestamp: {timestamp!r}") from None
    event_id = event.get("id")
    if event_id is not None and not (isinstance(event_id, str) and event_id):
        raise ValueError("event.id must be a non-empty string")
    dataset = event.get("dataset")
    return stamp(doc, dataset=dataset if isinstance(dataset, str) and dataset else "ingest")


def _time_arg(name: str) -> datetime | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise ValidationError(f"{name}: not an ISO 8601 timestamp: {value!r}") from None


def _limit_arg() -> int | None:
    """Default 100; `0` means every matching event (what `soc search --all` sends)."""
    value = request.args.get("limit", "").strip() or str(DEFAULT_SEARCH_LIMIT)
    try:
        limit = int(value)
    except ValueError:
        raise ValidationError(f"limit: not a number: {value!r}") from None
    if limit < 0:
        raise ValidationError("limit: must not be negative")
    return limit or None
