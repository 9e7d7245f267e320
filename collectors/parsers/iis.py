"""Microsoft IIS access logs in the W3C extended format to ECS (`iis.access`), after Elastic's
IIS integration.

A W3C file says its columns in `#Fields:` directives, which may change mid-file when an
administrator changes the logged fields: `W3CReader` follows them line by line. A line that
arrives alone (NXLog `im_file` forwarding over syslog) has no directive with it: `parse` reads
it in the layout of its number of values, the field sets IIS writes by default (IIS 7 had no
`cs(Referer)`), with the `X-Forwarded-For` custom field a load balancer setup adds, and with every
standard field (`W3SVC`, the Azure App Service layout), as Elastic's IIS pipeline knows them.
IIS writes times in UTC, whatever the server's zone. The HTTP.sys error log (HTTPERR, `s-reason`
among its fields) is the same W3C format: its files give `iis.error`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from collectors.parsers.values import endpoint, int_or_none, ip_or_none
from soc.model.event import Event, isoformat, set_field

DATASET = "iis.access"
DEFAULT_FIELDS = ("date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port",
                  "cs-username", "c-ip", "cs(User-Agent)", "cs(Referer)", "sc-status",
                  "sc-substatus", "sc-win32-status", "time-taken")  # fmt: skip
_IIS7_FIELDS = tuple(name for name in DEFAULT_FIELDS if name != "cs(Referer)")
_ALL_FIELDS = ("date", "time", "s-sitename", "s-computername", "s-ip", "cs-method", "cs-uri-stem",
               "cs-uri-query", "s-port", "cs-username", "c-ip", "cs-version", "cs(User-Agent)",
               "cs(Cookie)", "cs(Referer)", "cs-host", "sc-status", "sc-substatus",
               "sc-win32-status", "sc-bytes", "cs-bytes", "time-taken")  # fmt: skip
_AZURE_FIELDS = tuple(name for name in _ALL_FIELDS if name not in ("s-computername", "s-ip",
                                                                    "cs-version"))  # fmt: skip
_HTTPERR_FIELDS = ("date", "time", "c-ip", "c-port", "s-ip", "s-port", "cs-version", "cs-method",
                   "cs-uri", "sc-status", "s-siteid", "s-reason", "s-queuename")  # fmt: skip
# Layout by number of values (none of these sets has as many fields as another), with the
# column that must be a number: the status, or for HTTPERR (no status for a timed-out
# connection) the client port.
_LAYOUTS = {len(fields): (fields, fields.index("sc-status")) for fields in (
    _IIS7_FIELDS, DEFAULT_FIELDS, (*DEFAULT_FIELDS, "X-Forwarded-For"), _AZURE_FIELDS,
    _ALL_FIELDS, (*_ALL_FIELDS, "X-Forwarded-For"))}  # fmt: skip
_LAYOUTS[len(_HTTPERR_FIELDS)] = (_HTTPERR_FIELDS, _HTTPERR_FIELDS.index("c-port"))
_NUMBERS = {"sc-bytes": "http.response.body.bytes", "cs-bytes": "http.request.body.bytes"}
_TEXT = {"cs-method": "http.request.method", "cs-uri-stem": "url.path",
         "cs-uri-query": "url.query", "cs-username": "user.name", "cs-host": "url.domain",
         "cs(User-Agent)": "user_agent.original", "cs(Referer)": "http.request.referrer",
         "s-sitename": "iis.access.site_name", "s-computername": "iis.access.server_name",
         "cs(Cookie)": "iis.access.cookie", "s-reason": "iis.error.reason_phrase",
         "s-queuename": "iis.error.queue_name"}  # fmt: skip


class W3CReader:
    """Reads one W3C log file in order; `#` directives update the columns."""

    def __init__(self, fields: Sequence[str] = DEFAULT_FIELDS) -> None:
        self.fields: tuple[str, ...] = tuple(fields)
        self.dataset = _dataset(self.fields)

    def parse_line(self, line: str) -> Event | None:
        """The event of a data line; None for a directive, a blank line or a line whose number
        of values matches neither the columns nor a known layout (a line cut by a crash). Files
        of several servers' logs concatenated put rows under another server's directives."""
        text = line.strip()
        if text.startswith("#"):
            directive, _, value = text[1:].partition(":")
            if directive.strip() == "Fields":
                self.fields = tuple(value.split())
                self.dataset = _dataset(self.fields)
            return None
        values = text.split(" ")
        if not text:
            return None
        if len(values) != len(self.fields):
            return parse(text)
        return _event(dict(zip(self.fields, values, strict=True)), self.dataset)


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for one IIS line in a layout known by its number of values; None for anything
    else."""
    text = message.strip()
    if len(text) < 20 or text[4] != "-" or text[10] != " " or not text[:4].isdigit():
        return None
    values = text.split(" ")
    layout = _LAYOUTS.get(len(values))
    if layout is None or not values[layout[1]].isdigit():
        return None
    if layout[0] is _HTTPERR_FIELDS and not (  # 13 words after a date: want both addresses
        ip_or_none(values[2].partition("%")[0]) and ip_or_none(values[4].partition("%")[0])
    ):
        return None
    return _event(dict(zip(layout[0], values, strict=True)), _dataset(layout[0]))


def _dataset(fields: Sequence[str]) -> str:
    return "iis.error" if "s-reason" in fields else DATASET


def _event(row: dict[str, str], dataset: str = DATASET) -> Event | None:
    row = {key: value for key, value in row.items() if value != "-"}
    try:
        moment = datetime.fromisoformat(f"{row['date']}T{row['time']}").replace(tzinfo=UTC)
    except (KeyError, ValueError):
        return None
    doc: Event = {
        "@timestamp": isoformat(moment),
        "event": {"module": "iis", "dataset": dataset, "kind": "event", "category": ["web"],
                  "type": ["access" if dataset == DATASET else "error"]},
    }  # fmt: skip
    # IIS writes a link-local or loopback IPv6 address with its zone (`::1%0`): not an address
    # that stores and CIDR tests read.
    if source := endpoint(row.get("c-ip", "").partition("%")[0], row.get("c-port")):
        doc["source"] = source
    if destination := endpoint(row.get("s-ip", "").partition("%")[0], row.get("s-port")):
        doc["destination"] = destination
    forwarded = row.get("X-Forwarded-For") or row.get("cs(X-Forwarded-For)")
    if forwarded and (ip := ip_or_none(forwarded.partition(",")[0])):  # the client first
        doc["network"] = {"forwarded_ip": ip}
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
    elif uri := row.get("cs-uri"):  # HTTPERR: the target as sent
        path, _, query = uri.partition("?")
        doc["url"] = {"original": uri, "path": path, **({"query": query} if query else {})}
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
