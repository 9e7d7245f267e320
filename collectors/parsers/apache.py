"""Apache and Nginx access lines in the common or combined format to ECS (Elastic's apache
module names), whether they arrive over syslog or from a file."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime

from collectors.parsers.values import int_or_none, ip_or_none
from soc.model.event import Event, isoformat

DATASET = "apache.access"
_QUOTED = r"\"(?P<{}>(?:[^\"\\]|\\.)*)\""
_ACCESS = re.compile(
    r"(?P<client>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    + _QUOTED.format("request")
    + r" (?P<status>\d{3}|-) (?P<bytes>\d+|-)"
    + r"(?: "
    + _QUOTED.format("referrer")
    + " "
    + _QUOTED.format("agent")
    + r")?(?:\s|$)"
)
_REQUEST = re.compile(r"(?P<method>[A-Za-z]+) (?P<target>\S+)(?: HTTP/(?P<version>[\d.]+))?$")
_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an access-log line; None when the line is not one.

    A request line that is not `METHOD target HTTP/x` (TLS bytes sent to a plain port, scanners)
    is still an access event: only the URL fields stay empty.
    """
    match = _ACCESS.match(message.strip())
    if match is None:
        return None
    doc: Event = {"event": {"module": "apache", "dataset": DATASET, "category": ["web"]}}
    client = match["client"]
    ip = ip_or_none(client)
    doc["source"] = {"ip": ip} if ip else {"domain": client}
    if match["user"] != "-":
        doc["user"] = {"name": match["user"]}
    with contextlib.suppress(ValueError):  # unreadable time: the receive time stands in
        doc["@timestamp"] = isoformat(datetime.strptime(match["time"], _TIME_FORMAT))
    http: Event = {}
    if request := _REQUEST.match(match["request"]):
        http["request"] = {"method": request["method"].upper()}
        if request["version"]:
            http["version"] = request["version"]
        target = request["target"]
        path, _, query = target.partition("?")
        doc["url"] = {"original": target, "path": path}
        if query:
            doc["url"]["query"] = query
    response: dict[str, object] = {}
    if (status := int_or_none(match["status"])) is not None:
        response["status_code"] = status
        doc["event"]["outcome"] = "failure" if status >= 400 else "success"
    if (size := int_or_none(match["bytes"])) is not None:
        response["body"] = {"bytes": size}
    if response:
        http["response"] = response
    if match["referrer"] not in (None, "-"):
        http.setdefault("request", {})["referrer"] = match["referrer"]
    if match["agent"] not in (None, "-"):
        doc["user_agent"] = {"original": match["agent"]}
    if http:
        doc["http"] = http
    return doc
