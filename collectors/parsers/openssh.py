"""OpenSSH authentication lines (program `sshd`) to ECS, as Filebeat's system/auth module does.

Brute-force and credential-stuffing rules count `event.outcome: failure` of `ssh_login` per
source; PAM failures and closed connections get their own actions so that one attempt, which
sshd and PAM both log, is not counted twice.
"""

from __future__ import annotations

import re

from collectors.parsers import linux_auth
from collectors.parsers.values import int_or_none, ip_or_none
from soc.model.event import Event

DATASET = "system.auth"
_PROGRAM = re.compile(r"sshd(?:$|\(|-session$|-auth$)")
_REPEATED = re.compile(r"message repeated \d+ times: \[\s*(.*?)\s*\]$")
_LOGIN = re.compile(
    r"(?P<event>Failed|Accepted) (?P<method>\S+) for (?:invalid user )?(?P<user>.*?)"
    r" from (?P<ip>\S+) port (?P<port>\d{1,5})(?: ssh2)?(?::.*)?$"
)
_INVALID = re.compile(r"Invalid user (?P<user>.*?) from (?P<ip>\S+)(?: port (?P<port>\d{1,5}))?$")
# `Disconnecting authenticating user root 203.0.113.9 port 22: Too many authentication
# failures [preauth]` is how OpenSSH 7.6+ ends a brute-force connection, `Disconnected from user
# alice 203.0.113.9 port 22` a logged-in user's.
_CLOSED = re.compile(
    r"(?:Connection closed by|Disconnected from|Disconnecting)"
    r"(?: (?:authenticating |invalid )?user (?P<user>.*?))?"
    r" (?P<ip>[0-9A-Fa-f.:]+)(?: port (?P<port>\d{1,5}))?(?:: [^:]*?)?(?: \[preauth\])?$"
)
# A peer that went away before logging in, or never spoke SSH (`Did not receive
# identification string`: a scanner); the address may be followed by `: 11: Bye Bye`.
_PEER = re.compile(
    r"(?:error: )?(?:Received disconnect|(?P<dropped>Did not receive identification string))"
    r" from (?P<ip>[0-9A-Fa-f.:]+)(?: port (?P<port>\d{1,5}))?(?::|$)"
)
_REVERSE = re.compile(r"reverse mapping checking getaddrinfo for (?P<host>\S+) \[(?P<ip>[^\]]+)\]")
# `PAM 4 more authentication failures;` sums up the failures pam_unix did not log one by one.
_PAM_FAILURE = re.compile(
    r"(?:pam_unix\((?P<origin>[^)]*)\): |(?P<more>PAM \d+ more ))?"
    r"authentication failures?; (?P<kv>.*)"
)
_PAM_KV = re.compile(r"(\w+)=(\S*)")


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a line from sshd; None when the program is not sshd.

    Every sshd line is `system.auth`; the lines that matter to detection also get user, source
    and outcome. `sshd(pam_unix)` is how older Linux tagged sshd's PAM messages.
    """
    if not program or not _PROGRAM.match(program):
        return None
    doc: Event = {"event": {"module": "system", "dataset": DATASET}, "process": {"name": "sshd"}}
    if (number := int_or_none(pid)) is not None:
        doc["process"]["pid"] = number
    text = message.strip()
    if repeated := _REPEATED.match(text):
        text = repeated.group(1)
    if match := _LOGIN.match(text):
        _authentication(doc, match["event"], match["method"], match["user"], match)
        doc["event"].update(
            action="ssh_login", outcome="success" if match["event"] == "Accepted" else "failure"
        )
    elif match := _INVALID.match(text):
        _authentication(doc, "Invalid", None, match["user"], match)
        doc["event"].update(action="ssh_login", outcome="failure")
    elif match := _CLOSED.match(text):
        if match["user"] is not None:
            _authentication(doc, "Closed", None, match["user"], match)
            doc["event"].update(action="ssh_connection_closed", outcome="unknown")
        else:
            _source(doc, match["ip"], match["port"])
            doc["event"].update(category=["network"], action="ssh_connection_closed")
    elif match := _PEER.match(text):
        _source(doc, match["ip"], match["port"])
        doc["event"]["category"] = ["network"]
        if match["dropped"]:
            doc["system"] = {"auth": {"ssh": {"dropped_ip": match["ip"]}}}
        else:
            doc["event"]["action"] = "ssh_connection_closed"
    elif (match := _REVERSE.match(text)) and (ip := ip_or_none(match["ip"])):
        doc["source"] = {"ip": ip, "domain": match["host"]}
        doc["event"]["category"] = ["network"]
    elif (match := _PAM_FAILURE.match(text)) and (
        match["origin"] or match["more"] or "pam_unix" in program
    ):
        fields = dict(_PAM_KV.findall(match["kv"]))
        _authentication(doc, None, None, fields.get("user"), None)
        _source(doc, fields.get("rhost"), None)
        doc["event"].update(action="pam_authentication_failure", outcome="failure")
    elif "session" in text:
        linux_auth.pam_session(doc, text)
    return doc


def _authentication(
    doc: Event,
    ssh_event: str | None,
    method: str | None,
    user: str | None,
    address: re.Match[str] | None,
) -> None:
    doc["event"]["category"] = ["authentication"]
    ssh: dict[str, str] = {}
    if ssh_event:
        ssh["event"] = ssh_event
    if method:
        ssh["method"] = method
    if ssh:
        doc["system"] = {"auth": {"ssh": ssh}}
    if user:
        doc["user"] = {"name": user}
    if address is not None:
        _source(doc, address["ip"], address["port"])


def _source(doc: Event, host: str | None, port: str | None) -> None:
    """An address sshd could not resolve is an IP; PAM's rhost may be a host name."""
    if not host:
        return
    ip = ip_or_none(host)
    source: dict[str, str | int] = {"ip": ip} if ip else {"domain": host}
    if port:
        source["port"] = int(port)
    doc["source"] = source
