"""Linux authentication lines other than sshd's (sudo, su, PAM, account management) to ECS, as
Filebeat's system/auth module names them (`event.dataset: system.auth`).

Privilege use is what a SOC watches on servers: who ran what as root (`sudo`), who switched
user (`su`), failed PAM authentications from any service, and accounts or groups created,
changed or removed. Lines of these programs that match none of the shapes are still
`system.auth` events with `process.name`, so rules can search their message.
"""

from __future__ import annotations

import re

from collectors.parsers.values import endpoint, int_or_none, program_name
from soc.model.event import Event

DATASET = "system.auth"
ACCOUNT_PROGRAMS = frozenset(
    {"useradd", "userdel", "usermod", "groupadd", "groupdel", "groupmod", "gpasswd", "passwd",
     "chpasswd", "chage"}
)  # fmt: skip
PROGRAMS = frozenset(
    {"sudo", "su", "login", "systemd-logind", "polkitd", "unix_chkpwd"} | ACCOUNT_PROGRAMS
)

_SUDO = re.compile(r"\s*(?P<user>\S+) : (?P<rest>.*)")
_SUDO_PAIR = re.compile(r"(?P<key>[A-Z]+)=(?P<value>.*)")
_PAM = re.compile(r"(?:pam_unix\((?P<service>[^:)]+):(?P<facility>\w+)\): )?(?P<text>.*)", re.S)
_SESSION = re.compile(
    r"session (?P<state>opened|closed) for user (?P<user>[^\s(]+)(?:\(uid=\d+\))?"
    r"(?: by (?P<by>[^\s(]*)(?:\(uid=(?P<uid>\d+)\))?)?"
)
_PAM_KV = re.compile(r"(\w+)=(\S*)")
_SU = re.compile(r"(?P<result>Successful|FAILED) su for (?P<target>\S+) by (?P<user>\S+)")
_SU_TO = re.compile(r"\(to (?P<target>[^)]+)\) (?P<user>\S+) on (?P<tty>\S+)")
_NEW_USER = re.compile(r"new user: name=(?P<name>[^,]+), UID=(?P<uid>\d+), GID=(?P<gid>\d+)")
_NEW_GROUP = re.compile(r"new group: name=(?P<name>[^,]+), GID=(?P<gid>\d+)")
_DELETE_USER = re.compile(r"delete user '(?P<name>[^']+)'")
_DELETE_GROUP = re.compile(r"(?:group '(?P<name>[^']+)' removed|removed group '(?P<g2>[^']+)')")
_ADD_TO_GROUP = re.compile(
    r"(?:add|adding user) '(?P<name>[^']+)' to (?:shadow )?group '(?P<group>[^']+)'"
)
# gpasswd -a/-d: `user alice added by root to group sudo`; userdel and gpasswd:
# `delete 'alice' from group 'sudo'` (and from the shadow group)
_GPASSWD = re.compile(
    r"user (?P<name>\S+) (?P<verb>added|removed) by \S+ (?:to|from) group (?P<group>\S+)"
)
_REMOVE_FROM_GROUP = re.compile(
    r"delete '(?P<name>[^']+)' from (?:shadow )?group '(?P<group>[^']+)'"
)
_FAILED_ADD_USER = re.compile(r"failed adding user '(?P<name>[^']+)'")
# usermod's `change user 'alice' shell from ...`, `lock user 'alice' password`; chage's
# `changed password expiry for alice`
_CHANGE_USER = re.compile(
    r"(?:(?:change|lock|unlock) user (?:name )?'(?P<name>[^']+)'"
    r"|changed password expiry for (?P<chage>\S+))"
)
_PASSWORD = re.compile(r"password (?:changed|for '?\S+?'? changed) for (?P<name>\S+)")
_CHKPWD = re.compile(r"password check failed for user \((?P<name>[^)]*)\)")


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for an authentication line of a Linux program; None when the program is not
    one of these and the line is no PAM message (`pam_unix(service:...)`)."""
    name = program_name(program)
    text = message.strip()
    if (
        name not in PROGRAMS
        and not text.startswith("pam_unix(")
        and "(pam_unix)" not in (program or "")
    ):
        return None
    doc: Event = {"event": {"module": "system", "dataset": DATASET}, "process": {"name": name}}
    if (number := int_or_none(pid)) is not None:
        doc["process"]["pid"] = number
    if name == "sudo" and (match := _SUDO.fullmatch(text)) and "COMMAND=" in text:
        _sudo(doc, match["user"], match["rest"])
    elif match := _SU.search(text):
        failed = match["result"] == "FAILED"
        _authentication(doc, "su", failed, match["user"])
        doc["user"]["effective"] = {"name": match["target"]}
    elif match := _SU_TO.fullmatch(text):
        _authentication(doc, "su", False, match["user"])
        doc["user"]["effective"] = {"name": match["target"]}
    elif name in ACCOUNT_PROGRAMS and _account(doc, text):
        pass
    elif name == "unix_chkpwd" and (match := _CHKPWD.match(text)):
        _authentication(doc, "pam_authentication_failure", True, match["name"] or None)
    else:
        _pam(doc, text)
    return doc


def _sudo(doc: Event, user: str, rest: str) -> None:
    """`alice : [error ; ]TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u`;
    COMMAND comes last and may itself contain ` ; `."""
    head, _, command = rest.partition("COMMAND=")
    sudo: dict[str, str] = {"command": command.strip()}
    errors = []
    for part in head.split(" ; "):
        part = part.strip().rstrip(";").strip()
        if match := _SUDO_PAIR.fullmatch(part):
            sudo[match["key"].lower()] = match["value"]
        elif part:
            errors.append(part)
    event = doc["event"]
    event.update(category=["process"], type=["start"], action="sudo", outcome="success")
    if errors:
        sudo["error"] = "; ".join(errors)
        event.update(type=["info"], outcome="failure")
    doc["user"] = {"name": user}
    if effective := sudo.pop("user", None):
        doc["user"]["effective"] = {"name": effective}
    if group := sudo.pop("group", None):
        doc["user"].setdefault("effective", {})["group"] = {"name": group}
    doc["process"]["command_line"] = sudo["command"]
    doc["system"] = {"auth": {"sudo": sudo}}


def _authentication(doc: Event, action: str, failed: bool, user: str | None) -> None:
    doc["event"].update(
        category=["authentication"],
        type=["info"] if failed else ["start"],
        action=action,
        outcome="failure" if failed else "success",
    )
    if user:
        doc["user"] = {"name": user}


def pam_session(doc: Event, text: str) -> bool:
    """`[pam_unix(sshd:session): ]session opened|closed for user ...` into `doc`; False for any
    other line. sshd's parser, which owns sshd's lines, reads its PAM sessions here."""
    match = _PAM.fullmatch(text)
    return _session(doc, match["text"] if match else text)


def _session(doc: Event, body: str) -> bool:
    if not (session := _SESSION.match(body)):
        return False
    opened = session["state"] == "opened"
    doc["event"].update(
        category=["session"],
        type=["start"] if opened else ["end"],
        action="session_opened" if opened else "session_closed",
        outcome="success",
    )
    doc["user"] = {"name": session["user"]}
    if session["by"]:
        doc["related"] = {"user": sorted({session["user"], session["by"]})}
    return True


def _pam(doc: Event, text: str) -> None:
    match = _PAM.fullmatch(text)
    body = match["text"] if match else text
    if _session(doc, body):
        return
    if body.startswith("authentication failure;"):
        fields = dict(_PAM_KV.findall(body))
        _authentication(doc, "pam_authentication_failure", True, fields.get("user") or None)
        if source := endpoint(fields.get("rhost")):
            doc["source"] = source
    elif body.startswith(("check pass; user unknown", "auth could not identify password")):
        _authentication(doc, "pam_authentication_failure", True, None)


def _account(doc: Event, text: str) -> bool:
    """useradd/groupadd/userdel/usermod/passwd lines: `event.category: iam`."""
    if match := _NEW_USER.search(text):
        _iam(doc, ["user", "creation"], "user_created")
        doc["user"] = {"name": match["name"], "id": match["uid"]}
        doc["group"] = {"id": match["gid"]}
    elif match := _NEW_GROUP.search(text):
        _iam(doc, ["group", "creation"], "group_created")
        doc["group"] = {"name": match["name"], "id": match["gid"]}
    elif match := _DELETE_USER.search(text):
        _iam(doc, ["user", "deletion"], "user_deleted")
        doc["user"] = {"name": match["name"]}
    elif match := _DELETE_GROUP.search(text):
        _iam(doc, ["group", "deletion"], "group_deleted")
        doc["group"] = {"name": match["name"] or match["g2"]}
    elif match := _ADD_TO_GROUP.search(text):
        _iam(doc, ["group", "change"], "user_added_to_group")
        doc["user"] = {"name": match["name"]}
        doc["group"] = {"name": match["group"]}
    elif (match := _GPASSWD.search(text)) or (match := _REMOVE_FROM_GROUP.search(text)):
        removed = match.re is _REMOVE_FROM_GROUP or match["verb"] == "removed"
        action = "user_removed_from_group" if removed else "user_added_to_group"
        _iam(doc, ["group", "change"], action)
        doc["user"] = {"name": match["name"]}
        doc["group"] = {"name": match["group"]}
    elif match := _PASSWORD.search(text):
        _iam(doc, ["user", "change"], "password_changed")
        doc["user"] = {"name": match["name"]}
    elif match := _CHANGE_USER.search(text):
        _iam(doc, ["user", "change"], "user_changed")
        doc["user"] = {"name": match["name"] or match["chage"]}
    elif match := _FAILED_ADD_USER.search(text):
        _iam(doc, ["user", "creation"], "user_created", outcome="failure")
        doc["user"] = {"name": match["name"]}
    else:
        return False
    return True


def _iam(doc: Event, types: list[str], action: str, outcome: str = "success") -> None:
    doc["event"].update(category=["iam"], type=types, action=action, outcome=outcome)
