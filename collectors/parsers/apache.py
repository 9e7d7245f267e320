"""Apache and Nginx access lines in the common, combined or vhost_combined format to ECS
(Elastic's apache and nginx integration names), whether they arrive over syslog or from a file.

The two servers write the same line; which one wrote it is known only from the syslog tag
(`nginx` gives `nginx.access`, anything else `apache.access`). Nginx's usual extra fields after
the user agent (`$http_x_forwarded_for`, timings) are allowed and ignored. Before the client
may come the site (`%v`, `$host`, with or without its port) and, behind proxies, the
`X-Forwarded-For` list (`198.51.100.7, 10.0.0.1 10.0.0.2 - - [...]`): as Elastic's nginx
pipeline does, the client is the list's first address outside the private ranges. Apache's
`ssl_request_log` (`[time] client protocol cipher "request" bytes`) is read too.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from datetime import datetime

from collectors.parsers.values import int_or_none, ip_or_none, program_name
from soc.model.event import Event, isoformat

DATASET = "apache.access"
NGINX_PROGRAMS = frozenset({"nginx"})
_QUOTED = r"\"(?P<{}>(?:[^\"\\]|\\.)*)\""
_ACCESS = re.compile(
    r"(?P<client>[^\[]+?) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    + _QUOTED.format("request")
    + r" (?P<status>\d{3}|-) (?P<bytes>\d+|-)"
    + r"(?: "
    + _QUOTED.format("referrer")
    + " "
    + _QUOTED.format("agent")
    + r")?(?:\s|$)"
)
_SSL_REQUEST = re.compile(
    r"\[(?P<time>[^\]]+)\] (?P<client>\S+) (?P<protocol>\S+) (?P<cipher>\S+) "
    + _QUOTED.format("request")
    + r" (?P<bytes>\d+|-)$"
)
# Where proxies and load balancers sit (Elastic's nginx pipeline: RFC 1918 and loopback; here
# also shared, link-local and unique-local addresses).
_PROXY_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10",
    "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10"))  # fmt: skip
_ADDRESS_SEPARATORS = re.compile(r'[\s,"]+')
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
    if '] "' in message:
        match = _ACCESS.match(message.strip())
    elif message.startswith("["):
        return _ssl_request(message, program)
    else:
        return None
    if match is None:
        return None
    doc = _base(program)
    client = match["client"]
    if " " in client or "," in client:  # a site, a proxy chain, or both before the client
        client = _prefix(doc, client)
    _client(doc, client)
    if match["user"] != "-":
        doc["user"] = {"name": match["user"]}
    if moment := _timestamp(match["time"]):  # unreadable time: the receive time stands in
        doc["@timestamp"] = moment
    http = _request(doc, match["request"])
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


def _base(program: str | None) -> Event:
    module = "nginx" if program_name(program) in NGINX_PROGRAMS else "apache"
    return {
        "event": {
            "module": module,
            "dataset": f"{module}.access",
            "kind": "event",
            "category": ["web"],
            "type": ["access"],
        }
    }


def _prefix(doc: Event, text: str) -> str:
    """The client among what precedes the identity: the site first unless the text opens with
    the proxy list (a quote, or a comma after the first address); the list's first public
    address, else its first."""
    first, _, rest = text.partition(" ")
    if rest and first[:1] != '"' and first[-1:] != ",":
        site, _, port = first.rpartition(":") if first.count(":") == 1 else (first, "", "")
        if site and site != "-":
            doc["url"] = {"domain": site}
        if port.isdigit():
            doc["destination"] = {"port": int(port)}
        text = rest
    addresses = [part for part in _ADDRESS_SEPARATORS.split(text) if part]
    if len(addresses) < 2:
        return addresses[0] if addresses else "-"
    doc[doc["event"]["module"]] = {"access": {"remote_ip_list": addresses}}
    return next((address for address in addresses if _public(address)), addresses[0])


def _public(address: str) -> bool:
    if (ip := ip_or_none(address)) is None:
        return False
    parsed = ipaddress.ip_address(ip)
    return not any(parsed in network for network in _PROXY_NETWORKS)


def _client(doc: Event, client: str) -> None:
    """`source.ip`, or `source.domain` for a name; neither for nginx's `unix:` socket peer."""
    if ip := ip_or_none(client):
        doc["source"] = {"ip": ip}
    elif client != "-" and ":" not in client:
        doc["source"] = {"domain": client}


def _request(doc: Event, text: str) -> Event:
    """The `http` object (method, version) and `url.*` of a request line."""
    http: Event = {}
    if request := _REQUEST.match(text):
        http["request"] = {"method": request["method"].upper()}
        if request["version"]:
            http["version"] = request["version"]
        target = request["target"]
        path, _, query = target.partition("?")
        url = doc.setdefault("url", {})
        url.update(original=target, path=path)
        if query:
            url["query"] = query
    return http


def _ssl_request(message: str, program: str | None) -> Event | None:
    """mod_ssl's `ssl_request_log`: `tls.*` beside the request; no status is logged."""
    match = _SSL_REQUEST.match(message.strip())
    if match is None:
        return None
    doc = _base(program)
    _client(doc, match["client"])
    if moment := _timestamp(match["time"]):
        doc["@timestamp"] = moment
    http = _request(doc, match["request"])
    if (size := int_or_none(match["bytes"])) is not None:
        http["response"] = {"body": {"bytes": size}}
    if http:
        doc["http"] = http
    protocol, cipher = match["protocol"], match["cipher"]
    name, _, version = protocol.lower().partition("v")  # TLSv1.2, SSLv3
    if version:
        doc["tls"] = {"version": version if "." in version else f"{version}.0",
                      "version_protocol": name}  # fmt: skip
    if cipher != "-":
        doc.setdefault("tls", {})["cipher"] = cipher
    return doc
