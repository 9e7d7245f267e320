"""What templates can call: translation, formatting of times and JSON, the caller's role.

Formatting lives here rather than in each template so dates and severities look the same on
every page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Flask, g, request
from flask_login import current_user

from soc.cases import vocab
from ui.context import services
from ui.i18n import LANGUAGES, current_language, label, translate

# Most severe first: how analysts scan a drop-down.
SEVERITIES = tuple(reversed(vocab.SEVERITIES))


def format_time(value: datetime | str | None) -> str:
    """UTC, to the second: analysts compare these with raw log lines, which are UTC too."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


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


def install(app: Flask) -> None:
    app.jinja_env.globals.update(
        _=translate,
        label=label,
        agency_name=agency_name,
        LANGUAGES=LANGUAGES,
        SEVERITIES=SEVERITIES,
        page_url=page_url,
    )
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["pretty_json"] = pretty_json
    app.context_processor(_template_context)
