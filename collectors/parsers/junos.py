"""Juniper Junos router, switch and firewall messages to ECS (`event.dataset: juniper.junos`).

Junos names most messages with an upper-case tag (`RPD_BGP_NEIGHBOR_STATE_CHANGED: ...`,
`UI_COMMIT: ...`), which becomes `event.code`. A line is Junos's when its program is one of the
daemons only Junos runs (rpd, mgd, chassisd, ...) or is `/kernel`, as Junos's FreeBSD kernel
signs its lines (a Linux kernel writes `kernel`); there the kernel reports, for one, the BGP
segments that fail TCP MD5 authentication, which SigmaHQ's Juniper rule searches for.
`event.original` keeps the message with its program, as the device wrote it.

Over RFC 5424 (`set system syslog ... structured-data`) the tag is the header's MSGID and the
message holds the text alone; `event.original` is then written as stream mode writes the line,
so that keyword rules match in either mode. The SRX's security logs (RT_FLOW, RT_IDP, ...) are
`junos_srx`'s.
"""

from __future__ import annotations

import re

from collectors.parsers import junos_srx
from collectors.parsers.values import endpoint, program_name
from soc.model.event import Event

DATASET = "juniper.junos"
PROGRAMS = frozenset({
    "rpd", "mgd", "chassisd", "dcd", "eventd", "jddosd", "cosd", "mib2d", "pfed", "alarmd",
    "craftd", "l2ald", "lacpd", "dfwd", "bfdd", "kmd", "ppmd", "rmopd", "lfmd", "cfmd",
    "mcsnoopd", "l2cpd", "idpd", "flowd", "appidd", "utmd", "authd", "jdhcpd", "pkid",
    *junos_srx.PROGRAMS,
})  # fmt: skip
"""Daemons that exist only on Junos (and the SRX's security log processes): their lines need no
other sign of the device."""
KERNEL = "/kernel"
LOGIN_PROGRAMS = frozenset({"sshd", "login"})
"""Programs whose lines are Junos's when they carry a Junos tag (`SSHD_...`, `LOGIN_...`)."""
_LOGIN_TAGS = ("SSHD_", "LOGIN_")
_TAG = re.compile(r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+):\s*")
# Tag -> (event.type, event.outcome, text). `UI_AUTH_EVENT` precedes the same session's
# `UI_LOGIN_EVENT`, hence `info`; `SSHD_LOGIN_ATTEMPTS_THRESHOLD` sums failures already logged.
_USER = r"'?(?P<user>[^'\s]*)'?"
_HOST = r"'?(?P<host>[^'\s]*)'?"
_LOGINS: dict[str, tuple[str, str, re.Pattern[str]]] = {
    "SSHD_LOGIN_FAILED": ("start", "failure",
                          re.compile(rf"Login failed for user {_USER} from host {_HOST}")),
    "LOGIN_FAILED": ("start", "failure",
                     re.compile(rf"Login failed for user {_USER} from host {_HOST}")),
    "LOGIN_INFORMATION": ("start", "success",
                          re.compile(rf"User {_USER} logged in from host {_HOST}")),
    "UI_LOGIN_EVENT": ("start", "success", re.compile(
        r"User '(?P<user>[^']*)' login, class '[^']*'(?: \[\d+\])?"
        r"(?:, ssh-connection '(?P<host>[0-9A-Fa-f.:]*)(?: (?P<port>\d+))?[^']*')?")),
    "UI_LOGOUT_EVENT": ("end", "success", re.compile(r"User '(?P<user>[^']*)' logout")),
    "UI_AUTH_EVENT": ("info", "success", re.compile(r"Authenticated user '(?P<user>[^']*)'")),
    "SSHD_LOGIN_ATTEMPTS_THRESHOLD": ("info", "failure",
                                      re.compile(r".*? reached by user '(?P<user>[^']*)'")),
}  # fmt: skip
_COMMAND = re.compile(r"User '(?P<user>[^']*)', command '(?P<command>.*)'$", re.S)


def parse(
    message: str,
    *,
    program: str | None = None,
    pid: str | None = None,
    msgid: str | None = None,
    structured_data: junos_srx.StructuredData | None = None,
) -> Event | None:
    """ECS fields for a Junos message; None when neither its program nor its kernel's
    signature marks it as one. `msgid` and `structured_data` are an RFC 5424 header's."""
    name = program_name(program)
    if name in junos_srx.PROGRAMS:
        return junos_srx.parse(message, program=program, msgid=msgid,
                               structured_data=structured_data)  # fmt: skip
    if program != KERNEL and name not in PROGRAMS and name not in LOGIN_PROGRAMS:
        return None
    text = message.strip()
    event: dict[str, object] = {"module": "juniper", "dataset": DATASET, "kind": "event"}
    code = msgid
    if msgid:  # RFC 5424: the tag came in the header
        event.update(code=msgid, original=f"{program}: {msgid}: {text}")
    else:
        event["original"] = f"{program}: {text}"
        if tag := _TAG.match(text):
            code = event["code"] = tag.group(1)
            text = text[tag.end() :]
    doc: Event = {"event": event, "observer": {"vendor": "Juniper", "product": "Junos"},
                  "message": text}  # fmt: skip
    if code in _LOGINS:
        kind, outcome, pattern = _LOGINS[code]
        if match := pattern.match(text):
            _login(doc, code, kind, outcome, match)
    elif code == "UI_CMDLINE_READ_LINE" and (match := _COMMAND.match(text)):
        doc["user"] = {"name": match["user"]}
        doc["juniper"] = {"junos": {"command": match["command"].strip()}}
    return doc


def tagged(message: str, msgid: str | None) -> bool:
    """Whether a `LOGIN_PROGRAMS` line is Junos's: its tag (or RFC 5424 MSGID) is."""
    return (msgid or message.lstrip()).startswith(_LOGIN_TAGS)


def _login(doc: Event, code: str, kind: str, outcome: str, match: re.Match[str]) -> None:
    doc["event"].update(category=["authentication"], type=[kind], outcome=outcome, action=code)
    groups = match.groupdict()
    related: dict[str, list[str]] = {}
    if user := groups.get("user"):
        doc["user"] = {"name": user}
        related["user"] = [user]
    if host := groups.get("host"):
        doc["source"] = endpoint(host, groups.get("port"))
        if address := doc["source"].get("ip"):
            related["ip"] = [address]
    if code.startswith("SSHD_") or (code == "UI_LOGIN_EVENT" and groups.get("host")):
        doc["network"] = {"protocol": "ssh"}
    if related:
        doc["related"] = related
