"""Microsoft IIS access logs in the W3C extended format to ECS (`iis.access`), after Elastic's
IIS integration.

A W3C file says its columns in `#Fields:` directives, which may change mid-file when an
administrator changes the logged fields: `W3CReader` follows them line by line. A line that
arrives alone (NXLog `im_file` forwarding over syslog) has no directive with it: `parse` reads
it in IIS's default field order. IIS writes times in UTC, whatever the server's zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from collectors.parsers.values import endpoint, int_or_none
from soc.model.event import Event, isoformat, set_field

DATASET = "iis.access"
DEFAULT_FIELDS = ("date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port",
                  "cs-username", "c-ip", "cs(User-Agent)", "cs(Referer)", "sc-status",
                  "sc-substatus", "sc-win32-status", "time-taken")  # fmt: skip
_NUMBERS = {"sc-bytes": "http.response.body.bytes", "cs-bytes": "http.request.body.bytes"}
_TEXT = {"cs-method": "http.request.method", "cs-uri-stem": "url.path",
         "cs-uri-query": "url.query", "cs-username": "user.name", "cs-host": "url.domain",
         "cs(User-Agent)": "user_agent.original", "cs(Referer)": "http.request.referrer",
         "s-sitename": "iis.access.site_name", "s-computername": "iis.access.server_name",
         "cs(Cookie)": "iis.access.cookie"}  # fmt: skip


class W3CReader:
    """Reads one W3C log file in order; `#` directives update the columns."""

    def __init__(self, fields: Sequence[str] = DEFAULT_FIELDS) -> None:
        self.fields: tuple[str, ...] = tuple(fields)

    def parse_line(self, line: str) -> Event | None:
        """The event of a data line; None for a directive, a blank line or a line whose number
        of values does not match the columns (a line cut by a crash)."""
        text = line.strip()
        if text.startswith("#"):
            directive, _, value = text[1:].partition(":")
            if directive.strip() == "Fields":
                self.fields = tuple(value.split())
            return None
        values = text.split(" ")
        if not text or len(values) != len(self.fields):
            return None
        return _event(dict(zip(self.fields, values, strict=True)))


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for one IIS line in the default field order; None for anything else."""
    text = message.strip()
    if len(text) < 20 or text[4] != "-" or text[10] != " " or not text[:4].isdigit():
        return None
    values = text.split(" ")
    if len(values) != len(DEFAULT_FIELDS) or not values[11].isdigit():
        return None
    return _event(dict(zip(DEFAULT_FIELDS, values, strict=True)))


def _event(row: dict[str, str]) -> Event | None:
    row = {key: value for key, value in row.items() if value != "-"}
    try:
        moment = datetime.fromisoformat(f"{row['date']}T{row['time']}").replace(tzinfo=UTC)
    except (KeyError, ValueError):
        return None
    doc: Event = {
        "@timestamp": isoformat(moment),
        "event": {"module": "iis", "dataset": DATASET, "kind": "event", "category": ["web"],
                  "type": ["access"]},
    }  # fmt: skip
    if source := endpoint(row.get("c-ip")):
        doc["source"] = source
    if destination := endpoint(row.get("s-ip"), row.get("s-port")):
        doc["destination"] = destination
    for key, path in _TEXT.items():
        if key in row:
            value = row[key].replace("+", " ") if key == "cs(User-Agent)" else row[key]
            set_field(doc, path, value)
    for key, path in _NUMBERS.items():
        if (number := int_or_none(row.get(key))) is not None:
            set_field(doc, path, number)
    if "url" in doc and "path" in doc["url"]:
        query = doc["url"].get("query")
        doc["url"]["original"] = doc["url"]["path"] + (f"?{query}" if query else "")
    if (status := int_or_none(row.get("sc-status"))) is not None:
        set_field(doc, "http.response.status_code", status)
        doc["event"]["outcome"] = "failure" if status >= 400 else "success"
    if version := row.get("cs-version", "").removeprefix("HTTP/"):
        set_field(doc, "http.version", version)
    for key, name in (("sc-substatus", "sub_status"), ("sc-win32-status", "win32_status")):
        if (number := int_or_none(row.get(key))) is not None:
            set_field(doc, f"iis.access.{name}", number)
    if (taken := int_or_none(row.get("time-taken"))) is not None:
        doc["event"]["duration"] = taken * 1_000_000
    return doc
