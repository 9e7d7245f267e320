"""Apache and Nginx access lines in the common, combined or vhost_combined format to ECS
(Elastic's apache and nginx integration names), whether they arrive over syslog or from a file.

The two servers write the same line; which one wrote it is known only from the syslog tag
(`nginx` gives `nginx.access`, anything else `apache.access`). Nginx's usual extra fields after
the user agent (`$http_x_forwarded_for`, timings) are allowed and ignored.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from collectors.parsers.values import int_or_none, ip_or_none, program_name
from soc.model.event import Event, isoformat

DATASET = "apache.access"
NGINX_PROGRAMS = frozenset({"nginx"})
_QUOTED = r"\"(?P<{}>(?:[^\"\\]|\\.)*)\""
_ACCESS = re.compile(
    r"(?:(?P<vhost>[^\s:]+):(?P<vport>\d+) )?"
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


@functools.lru_cache(maxsize=4096)
def _timestamp(text: str) -> str | None:
    """Cached: a busy server writes the same second hundreds of times, and `strptime` cost
    ~50 us a line, a fifth of this parser's time (bench/bench_syslog.py --profile)."""
    try:
        return isoformat(datetime.strptime(text, _TIME_FORMAT))
    except ValueError:
        return None


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an access-log line; None when the line is not one.

    A request line that is not `METHOD target HTTP/x` (TLS bytes sent to a plain port, scanners)
    is still an access event: only the URL fields stay empty.
    """
    if '] "' not in message:
        return None
    match = _ACCESS.match(message.strip())
    if match is None:
        return None
    module = "nginx" if program_name(program) in NGINX_PROGRAMS else "apache"
    doc: Event = {
        "event": {
            "module": module,
            "dataset": f"{module}.access",
            "kind": "event",
            "category": ["web"],
            "type": ["access"],
        }
    }
    client = match["client"]
    ip = ip_or_none(client)
    doc["source"] = {"ip": ip} if ip else {"domain": client}
    if match["user"] != "-":
        doc["user"] = {"name": match["user"]}
    if moment := _timestamp(match["time"]):  # unreadable time: the receive time stands in
        doc["@timestamp"] = moment
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
    if match["vhost"]:
        doc.setdefault("url", {})["domain"] = match["vhost"]
        doc["destination"] = {"port": int(match["vport"])}
    if http:
        doc["http"] = http
    return doc
