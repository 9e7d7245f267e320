"""Squid's access log to ECS, so that Sigma's `category: proxy` rules see a proxy's requests.

The native `squid` format (`logformat squid %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un
%Sh/%<a %mt`) is read here; text a custom `logformat` adds after the MIME type is ignored.
Squid's predefined `common` and `combined` formats are Apache's lines with `%Ss:%Sh` appended:
the Apache parser reads them and, under Squid's tag, they are relabelled as Squid's.
Lines come over syslog (`access_log syslog:local4.info squid`: tag `squid`, or `(squid-1)` from
an SMP worker) or from /var/log/squid/access.log, whose lines open with the epoch.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

from collectors.parsers import apache
from collectors.parsers.values import int_or_none, ip_or_none
from soc.model.event import Event, isoformat

DATASET = "squid.access"
PROGRAMS = frozenset({"squid"})
_NATIVE = re.compile(
    r"\s*(?P<seconds>\d{9,10})\.(?P<millis>\d{3})\s+(?P<elapsed>-?\d+) (?P<client>\S+) "
    r"(?P<result>[A-Z0-9_]+)/(?P<status>\d{3}|-) (?P<bytes>\d+|-) (?P<method>\S+) (?P<url>\S+) "
    r"(?P<user>\S+) (?P<hierarchy>[A-Z0-9_]+)/(?P<peer>\S+)(?: (?P<mime>\S+))?"
)
_TAIL = re.compile(r" (?P<result>[A-Z_]+):(?P<hierarchy>[A-Z_]+)\s*$")  # common's `%Ss:%Sh`


def claims(message: str) -> bool:
    """Whether the line opens like Squid's (`1709632811.779 `): an epoch with milliseconds,
    which neither an address (Apache, nginx) nor a date (IIS) can be."""
    dot = message.find(".", 9, 11)
    return (
        dot > 0
        and message[:dot].isdigit()
        and message[dot + 1 : dot + 4].isdigit()
        and message[dot + 4 : dot + 5].isspace()
    )


def parse_tagged(
    message: str, *, program: str | None = None, pid: str | None = None
) -> Event | None:
    """A line under Squid's tag: the `squid` format, else `common`/`combined`; None for
    anything else (cache.log's lines)."""
    return parse(message) or _apache_format(message)


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an access-log line in the `squid` format; None when the line is not one."""
    match = _NATIVE.match(message)
    if match is None:
        return None
    result, status = match["result"], int_or_none(match["status"])
    denied = "DENIED" in result
    failed = denied or (status is not None and status >= 400)
    seconds = datetime.fromtimestamp(int(match["seconds"]), UTC)
    doc: Event = {
        "@timestamp": isoformat(seconds.replace(microsecond=int(match["millis"]) * 1000)),
        "event": _event(result, denied, failed),
        "observer": {"type": "proxy", "vendor": "Squid"},
    }
    if (elapsed := int_or_none(match["elapsed"])) is not None:
        doc["event"]["duration"] = elapsed * 1_000_000
    source = _endpoint(match["client"])
    if source:
        doc["source"] = source
    if (user := match["user"]) != "-":
        user = unquote(user) if "%" in user else user  # Squid URL-encodes it (`bob%40corp`)
        doc["user"] = {"name": user}
    method = match["method"]
    http: Event = {"request": {"method": method}} if method != "NONE" else {}
    response: Event = {}
    if status:  # `000`: no reply (aborted, denied before one was made)
        response["status_code"] = status
    if (size := int_or_none(match["bytes"])) is not None:
        response["bytes"] = size
    if (mime := match["mime"]) and mime != "-":
        response["mime_type"] = mime
    if response:
        http["response"] = response
    if http:
        doc["http"] = http
    destination = _url(doc, match["url"], method == "CONNECT")
    peer = match["peer"]
    if ip := ip_or_none(peer):
        destination["ip"] = ip
    if destination:
        doc["destination"] = destination
    access = {"result_code": result, "hierarchy_code": match["hierarchy"]}
    if peer != "-":
        access["peer"] = peer
    doc["squid"] = {"access": access}
    related = [ip for ip in (source.get("ip"), destination.get("ip")) if ip]
    if related:
        doc["related"] = {"ip": list(dict.fromkeys(related))}
    if user != "-":
        doc.setdefault("related", {})["user"] = [user]
    return doc


def _event(result: str, denied: bool, failed: bool) -> Event:
    return {
        "module": "squid",
        "dataset": DATASET,
        "kind": "event",
        "category": ["web", "network"],
        "type": ["access", "denied" if denied else "allowed"],
        "action": result.lower(),
        "outcome": "failure" if failed else "success",
    }


def _endpoint(text: str) -> Event:
    if ip := ip_or_none(text):
        return {"ip": ip}
    return {"domain": text} if text != "-" else {}


def _url(doc: Event, original: str, connect: bool) -> Event:
    """`url.*` from the logged URL; a CONNECT's `host:port` also names the destination, which
    is returned (as an empty object for other requests)."""
    url: Event = {"original": original}
    doc["url"] = url
    scheme, sep, rest = original.partition("://")
    if not sep:
        if not connect:  # `error:invalid-request` and the like
            return {}
        scheme, rest = "", original
    elif scheme:
        url["scheme"] = scheme.lower()
    authority, slash, target = rest.partition("/")
    host, port = _host_port(authority.rpartition("@")[2])
    if host:
        url["domain"] = host
    if port:
        url["port"] = port
    if slash:
        path, question, query = target.partition("?")
        url["path"] = f"/{path}"
        if question and query:
            url["query"] = query
        name = path.rpartition("/")[2]
        if "." in name and (extension := name.rpartition(".")[2]):
            url["extension"] = extension
    if not connect:
        return {}
    destination: Event = {"domain": host} if host and not ip_or_none(host) else {}
    if port:
        destination["port"] = port
    return destination


def _host_port(authority: str) -> tuple[str, int | None]:
    """Host and port of `host`, `host:port`, `[2001:db8::1]:443`."""
    if authority.startswith("["):
        host, _, port = authority[1:].partition("]")
        return host, int_or_none(port[1:])
    host, colon, port = authority.rpartition(":")
    if not colon or ":" in host:
        return authority, None
    return host, int_or_none(port)


def _apache_format(message: str) -> Event | None:
    """Squid's `common`/`combined` lines, read by the Apache parser: Squid's labels, its result
    and hierarchy codes, and the absolute URL split (Apache takes its target for a path)."""
    doc = apache.parse(message)
    if doc is None:
        return None
    event = doc["event"]
    event.update(module="squid", dataset=DATASET, category=["web", "network"])
    doc["observer"] = {"type": "proxy", "vendor": "Squid"}
    if tail := _TAIL.search(message):
        result = tail["result"]
        event["action"] = result.lower()
        if "DENIED" in result:
            event["outcome"] = "failure"
        event["type"] = ["access", "denied" if "DENIED" in result else "allowed"]
        doc["squid"] = {"access": {"result_code": result, "hierarchy_code": tail["hierarchy"]}}
    response = doc.get("http", {}).get("response", {})
    if body := response.pop("body", None):  # `%<st` counts the headers too
        response["bytes"] = body["bytes"]
    if original := doc.get("url", {}).get("original"):
        connect = doc.get("http", {}).get("request", {}).get("method") == "CONNECT"
        if destination := _url(doc, original, connect):
            doc.setdefault("destination", {}).update(destination)
    return doc
