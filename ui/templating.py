"""What templates can call: translation, formatting of times and JSON, the caller's role.

Formatting lives here rather than in each template so dates and severities look the same on
every page.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from flask import Flask, current_app, g, request
from flask_login import current_user

from soc.cases import vocab
from soc.errors import ConfigError
from ui.context import services
from ui.i18n import LANGUAGES, current_language, label, ngettext, translate

ZONE_KEY = "SOC_DISPLAY_ZONE"

# Most severe first: how analysts scan a drop-down.
SEVERITIES = tuple(reversed(vocab.SEVERITIES))


def display_zone() -> tzinfo:
    """The zone of `ui.timezone`, which every time on every page is shown and read in."""
    zone: tzinfo = current_app.config[ZONE_KEY]
    return zone


def zone_name() -> str:
    """The zone as people read it: `Asia/Ho_Chi_Minh (UTC+07:00)`."""
    zone = display_zone()
    offset = datetime.now(zone).strftime("%z")
    return f"{zone} (UTC{offset[:3]}:{offset[3:]})"


def format_time(value: datetime | str | None) -> str:
    """In the display zone, to the second; the footer of every page names the zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:  # the stores hand out UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(display_zone()).strftime("%Y-%m-%d %H:%M:%S")


def pretty_json(value: Any) -> str:
    return orjson.dumps(
        value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str
    ).decode()


def page_url(page: int) -> str:
    """The current URL with only the page number changed, so filters survive paging."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return f"{request.path}?{urlencode(args, doseq=True)}"


def agency_name(agency_id: str | None) -> str:
    """The agency's name for display; its id when the caller cannot see that agency."""
    if not agency_id:
        return "—"
    names: dict[str, str] | None = g.get("agency_names")
    if names is None:
        caller = current_user.principal if current_user.is_authenticated else None
        names = {a.id: a.name for a in services().cases.list_agencies(caller)} if caller else {}
        g.agency_names = names
    return names.get(agency_id, agency_id)


def _template_context() -> dict[str, Any]:
    caller = current_user.principal if current_user.is_authenticated else None
    return {"caller": caller, "lang": current_language()}


def load_zone(name: str) -> ZoneInfo:
    """`ui.timezone` as a zone, refused at start rather than on the first page shown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r}", where="settings.ui.timezone") from exc


def install(app: Flask, zone: ZoneInfo) -> None:
    app.config[ZONE_KEY] = zone
    app.jinja_env.globals.update(
        _=translate,
        ngettext=ngettext,
        label=label,
        agency_name=agency_name,
        LANGUAGES=LANGUAGES,
        SEVERITIES=SEVERITIES,
        page_url=page_url,
        zone_name=zone_name,
    )
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["pretty_json"] = pretty_json
    app.context_processor(_template_context)
