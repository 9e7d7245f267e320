"""The JSON API for the CLI, remote collectors and scripts: search and NDJSON ingest.

Two kinds of bearer token open it. The local admin token (`<data_dir>/api.token`) belongs to the
platform operator: it searches every agency and its ingested events keep the agency they carry.
A site token (issued per remote `soc collect`, see `soc.cases.sites`) may only ingest, and binds
every event it sends to its site's agency: `organization.*` is set from the site, never taken
from the body, so one agency's site can neither speak for another agency nor make its events
show up in another agency's view.
"""

from __future__ import annotations

import hmac
import zlib
from collections import Counter
from datetime import datetime
from typing import Any

import orjson
from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from soc.cases.sites import SiteView
from soc.errors import QueryError, SocError, ValidationError
from soc.model.event import Event, get_field, parse_timestamp, stamp
from ui.context import services

blueprint = Blueprint("api", __name__, url_prefix="/api")

MAX_INGEST_BYTES = 10 * 1024 * 1024  # also the app-wide request limit
MAX_INFLATED_BYTES = 64 * 1024 * 1024  # a gzip body may not unpack to more than this
DEFAULT_SEARCH_LIMIT = 100
# What a site reports about itself on each request (see collectors.forwarder.client).
SITE_HEALTH_HEADERS = {
    "X-SOC-Spool-Bytes": "spool_bytes",
    "X-SOC-Spool-Batches": "spool_batches",
    "X-SOC-Dead-Letters": "dead_letters",
}
# Fields a site may not set: the platform decides them (see the module docstring).
_SITE_FORCED = ("organization", "agent", "threat")


@blueprint.before_request
def require_token() -> None:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        abort(401)
    expected: str | None = current_app.config.get("SOC_API_TOKEN")
    if expected and hmac.compare_digest(presented.encode(), expected.encode()):
        g.api_site = None
        return
    site = services().cases.sites.authenticate(presented)
    if site is None:
        abort(401)
    if request.endpoint != "api.ingest":
        abort(403)  # a site token only ever sends events
    g.api_site = site


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
    """NDJSON, plain or `Content-Encoding: gzip`. An empty body is a site's heartbeat."""
    if (request.content_length or 0) > MAX_INGEST_BYTES:
        abort(413)
    site: SiteView | None = g.api_site
    try:
        body = _inflate(request.get_data())
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    accepted: list[Event] = []
    rejected: list[dict[str, Any]] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = _event_from_line(line)
        except ValueError as exc:
            rejected.append({"line": number, "reason": str(exc)})
            continue
        if site is not None:
            _bind_to_site(event, site)
        accepted.append(event)
    platform = services()
    if accepted:
        # Remote collectors may not know the province's address plan; tag what they left open.
        tagger = platform.tagger()
        try:
            platform.events.write_batch([tagger.tag(event) for event in accepted])
        except SocError as exc:
            # Not acknowledged: the sender keeps the batch and retries (event ids dedupe).
            return jsonify({"error": f"event store unavailable: {exc}"}), 503
    if site is not None:
        _record_site_health(site, accepted, len(rejected))
    return jsonify({"accepted": len(accepted), "rejected": rejected})


def _inflate(data: bytes) -> bytes:
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "identity":
        return data
    if encoding != "gzip":
        raise ValueError(f"unsupported Content-Encoding {encoding!r} (use gzip)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(data, MAX_INFLATED_BYTES + 1)
    except zlib.error as exc:
        raise ValueError(f"body is not valid gzip: {exc}") from None
    if len(body) > MAX_INFLATED_BYTES or inflater.unconsumed_tail:
        abort(413)
    if not inflater.eof:
        raise ValueError("gzip body is truncated")
    return body


def _bind_to_site(event: Event, site: SiteView) -> None:
    for name in _SITE_FORCED:
        event.pop(name, None)
    related = event.get("related")
    if isinstance(related, dict):
        related.pop("organization_ids", None)
    event["organization"] = {"id": site.agency_id, "name": site.agency_name}
    event["agent"] = {"type": "soc-collect", "name": site.id}


def _record_site_health(site: SiteView, events: list[Event], rejected: int) -> None:
    """The site is alive (heartbeats included), and so is each device behind it that sent."""
    registry = services().sources
    registry.touch("site", site.id, agency_id=site.agency_id, events=len(events), rejected=rejected)
    info: dict[str, str | int] = {"address": request.remote_addr or ""}
    for header, name in SITE_HEALTH_HEADERS.items():
        value = request.headers.get(header, "")
        if value.isdigit():
            info[name] = int(value)
    registry.set_info("site", site.id, **info)
    devices = Counter(_device(event) for event in events)
    for (kind, address), count in devices.items():
        if address:
            registry.touch(kind, f"{address}@{site.id}", agency_id=site.agency_id, events=count)


def _device(event: Event) -> tuple[str, str | None]:
    """(source kind, address of the sending device) of an event forwarded by a site."""
    dataset = get_field(event, "event.dataset")
    kind = "netflow" if isinstance(dataset, str) and dataset.startswith("netflow") else "syslog"
    for field in ("observer.ip", "log.source.address"):
        value = get_field(event, field)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            return kind, value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    return kind, None


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
