"""Apache httpd and Nginx error-log lines to ECS (`apache.error`, `nginx.error`), after Elastic's
apache and nginx integrations.

Apache 2.4: `[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416]
[client 72.15.99.187:53211] AH00128: File does not exist: ...`, where the OS error
(`(13)Permission denied:`) and, at debug and trace levels, the source line (`mod_rewrite.c(470):`)
come before the client; Apache 2.2: `[Sun Dec 04 04:51:18 2005] [error] [client 24.147.151.74]
Directory index forbidden ...`. Nginx:
`2024/03/05 17:00:08 [error] 1234#1234: *5 open() "..." failed (...), client: 10.0.0.9,
server: example, request: "GET /x HTTP/1.1", host: "example"`. Their times carry no zone, so
over syslog `@timestamp` comes from the header (read in the configured zone). A line without a
syslog tag (read from an error.log file, which has no header) takes its own time, read in the
zone given for times that name none (UTC unless told): else each event would carry the time it
was read.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, tzinfo

from collectors.parsers.values import endpoint, int_or_none
from soc.model.event import Event, isoformat

_APACHE = re.compile(
    r"\[(?P<time>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d [\d:.]+ \d{4})\] "
    r"\[(?:(?P<module>[^:\]\s]+):)?(?P<level>[a-z]+\d?)\]"
    r"(?: \[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])?"
    r"(?: (?P<file>[\w.-]+)\((?P<line>\d+)\):)?"  # the source line, at LogLevel debug and trace
    r"(?: (?P<status>\(-?\d+\)[^:\[\]]*):)?"  # the OS error: `(13)Permission denied:`
    r"(?: \[client (?P<client>[^\]]+)\])?"
    r"\s*(?:(?P<code>AH\d{5}): )?(?P<text>.*)",
    re.S,
)
_NGINX = re.compile(
    r"(?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<level>[a-z]+)\] (?P<pid>\d+)#(?P<tid>\d+): "
    r"(?:\*(?P<connection>\d+) )?(?P<text>.*)",
    re.S,
)
_NGINX_CONTEXT = re.compile(r', (client|server|request|upstream|host|referrer): "?([^",]*)"?')
_REQUEST = re.compile(r"(?P<method>[A-Z]+) (?P<target>\S+)(?: HTTP/(?P<version>[\d.]+))?")
_APACHE_TIME = "%a %b %d %H:%M:%S %Y"
_NGINX_TIME = "%Y/%m/%d %H:%M:%S"
_ERROR_LEVELS = frozenset({"emerg", "alert", "crit", "error"})


def parse(
    message: str, *, program: str | None = None, pid: str | None = None, zone: tzinfo = UTC
) -> Event | None:
    """ECS fields for an Apache or Nginx error line; None when it is neither. `zone`: where the
    server's clock is (its error log names none)."""
    text = message.strip()
    if text.startswith("[") and (match := _APACHE.fullmatch(text)):
        doc, layout = _apache(match), _APACHE_TIME
    elif text[:1].isdigit() and (match := _NGINX.fullmatch(text)):
        doc, layout = _nginx(match), _NGINX_TIME
    else:
        return None
    if program is None and (moment := _timestamp(match["time"], layout, zone)):
        doc["@timestamp"] = moment
    return doc


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str, layout: str, zone: tzinfo) -> str | None:
    """Cached: a busy server logs the same second many times."""
    if "." in text:  # Apache 2.4: `10:42:29.902022 2011`
        layout = layout.replace("%S", "%S.%f")
    try:
        return isoformat(datetime.strptime(text, layout).replace(tzinfo=zone))
    except ValueError:
        return None


def _base(module: str, level: str, text: str) -> Event:
    types = ["error"] if level in _ERROR_LEVELS else ["info"]
    return {
        "event": {"module": module, "dataset": f"{module}.error", "kind": "event",
                  "category": ["web"], "type": types},
        "log": {"level": level},
        "message": text,
    }  # fmt: skip


def _apache(match: re.Match[str]) -> Event:
    text = match["text"].strip()
    doc = _base("apache", match["level"], f"{match['status']}: {text}" if match["status"] else text)
    if match["file"]:
        doc["log"]["origin"] = {"file": {"name": match["file"], "line": int(match["line"])}}
    if match["module"]:
        doc["apache"] = {"error": {"module": match["module"]}}
    if match["code"]:
        doc["error"] = {"code": match["code"]}
    _process(doc, match["pid"], match["tid"])
    if client := match["client"]:
        host, _, port = client.rpartition(":") if client.count(":") == 1 else (client, "", "")
        doc["source"] = endpoint(host, port)
    return doc


def _nginx(match: re.Match[str]) -> Event:
    text = match["text"].strip()
    context = dict(_NGINX_CONTEXT.findall(text))
    doc = _base("nginx", match["level"], text)
    _process(doc, match["pid"], match["tid"])
    if match["connection"]:
        doc["nginx"] = {"error": {"connection_id": int(match["connection"])}}
    if source := endpoint(context.get("client")):
        doc["source"] = source
    if host := context.get("host") or context.get("server"):
        doc["url"] = {"domain": host}
    if request := _REQUEST.fullmatch(context.get("request", "")):
        path, _, query = request["target"].partition("?")
        doc.setdefault("url", {}).update(original=request["target"], path=path)
        if query:
            doc["url"]["query"] = query
        doc["http"] = {"request": {"method": request["method"]}}
        if request["version"]:
            doc["http"]["version"] = request["version"]
    return doc


def _process(doc: Event, pid: str | None, tid: str | None) -> None:
    process: dict[str, object] = {}
    if (number := int_or_none(pid)) is not None:
        process["pid"] = number
    if (thread := int_or_none(tid)) is not None:
        process["thread"] = {"id": thread}
    if process:
        doc["process"] = process
