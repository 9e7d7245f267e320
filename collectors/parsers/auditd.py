"""Linux audit records to ECS, as Filebeat's auditd module names them (`event.dataset:
auditd.log`, every key under `auditd.log.<key>`, the type in `auditd.log.record_type`): the
shape the SigmaHQ auditd rules reach through the `soc-linux` pipeline.

Records come as `/var/log/audit/audit.log` holds them (`type=EXECVE msg=audit(1709632801.123:
4412): argc=3 a0="cat" ...`, read by `soc ingest` or forwarded by rsyslog's imfile), from
audisp's syslog plugin (tag `audispd` or `audisp-syslog`, perhaps behind `node=<host>`), from
the kernel through journald (`audit: type=1309 audit(...)`, numeric types), or from journald's
audit transport (`audit[1]: SERVICE_START pid=1 ...`, no serial). With auditd's
`log_format = ENRICHED`, the interpreted fields follow a 0x1d separator in upper case
(`SYSCALL=personality`, `UID="root"`); SigmaHQ's rules read some of them, so they are kept.

The kernel writes an untrusted string (a command argument, a path, the process title) as hex
when it holds a space, a quote or a control character, and quoted otherwise. Rules compare the
text, so hex strings are decoded; `a0`..`aN` only in EXECVE records, where they are arguments
(in SYSCALL records they are the call's register values, in hex).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from collectors.parsers.values import int_or_none, ip_or_none, program_name
from soc.model.event import Event, isoformat

DATASET = "auditd.log"
PROGRAMS = frozenset({"audispd", "audisp-syslog", "audit", "auditd"})
"""Syslog tags under which audit records are forwarded."""

_RECORD = re.compile(
    r"(?:node=(?P<node>\S+) )?(?:audit: )?type=(?P<type>\w+) "
    r"(?:msg=)?audit\((?P<seconds>\d+)\.(?P<millis>\d{3}):(?P<serial>\d+)\):\s?(?P<body>.*)",
    re.S,
)
_JOURNAL = re.compile(r"(?P<type>[A-Z][A-Z0-9_]+) (?P<body>.*=.*)", re.S)
"""A record as journald's audit transport hands it on (tag `audit[pid]`): the type's name and
the fields, without `audit(time:serial)`; the syslog header has the time."""
# `a1[0]=`, `a1[1]=`: the pieces of an EXECVE argument too long for one field
_PAIR = re.compile(r"""([\w-]+(?:\[\d+\])?)=("[^"]*"|'[^']*'|\S*)""")
_HEX = re.compile(r"(?:[0-9A-F]{2})+")
_UNTRUSTED = frozenset(
    {"comm", "exe", "cwd", "name", "path", "proctitle", "cmd", "acct", "data", "key", "new",
     "old", "ocomm", "vm", "watch", "dir", "file", "root_dir", "sauid"}
)  # fmt: skip
_ARGUMENT = re.compile(r"a\d+(?:\[\d+\])?")
_TYPES = {
    1006: "LOGIN", 1100: "USER_AUTH", 1101: "USER_ACCT", 1103: "CRED_ACQ", 1104: "CRED_DISP",
    1105: "USER_START", 1106: "USER_END", 1112: "USER_LOGIN", 1123: "USER_CMD",
    1130: "SERVICE_START", 1131: "SERVICE_STOP", 1300: "SYSCALL", 1302: "PATH",
    1305: "CONFIG_CHANGE", 1307: "CWD", 1309: "EXECVE", 1320: "EOE", 1325: "NETFILTER_CFG",
    1326: "SECCOMP", 1327: "PROCTITLE", 1400: "AVC",
}  # fmt: skip
"""Kernel message numbers of the common record types (libaudit's table), for records that
arrive through the kernel log with the number instead of the name."""
_UNSET_ID = "4294967295"  # (uid_t)-1: the login id of a process no login started


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for one audit record; None when the line is not one."""
    text = message.strip()
    if match := _RECORD.match(text):
        doc = _document(match["type"], match["body"], int(match["serial"]))
        moment = datetime.fromtimestamp(int(match["seconds"]), UTC).replace(
            microsecond=int(match["millis"]) * 1000
        )
        doc["@timestamp"] = isoformat(moment)
        if match["node"]:
            doc["host"] = {"name": match["node"]}
        return doc
    if program_name(program) == "audit" and (match := _JOURNAL.match(text)):
        return _document(match["type"], match["body"], None)
    return None


def _document(record_type: str, body: str, sequence: int | None) -> Event:
    if record_type.isdigit():
        record_type = _TYPES.get(int(record_type), f"UNKNOWN[{record_type}]")
    log: dict[str, object] = {"record_type": record_type}
    if sequence is not None:
        log["sequence"] = sequence
    raw, _, enriched = body.partition("\x1d")
    _pairs(raw, record_type, log)
    _pairs(enriched, record_type, log)
    doc: Event = {
        "event": {"module": "auditd", "dataset": DATASET, "kind": "event"},
        "auditd": {"log": log},
    }
    _ecs(doc, log, record_type)
    return doc


def _pairs(text: str, record_type: str, log: dict[str, object]) -> None:
    """`key=value` pairs into `log`, the values of a userspace record's `msg='...'` too."""
    for key, value in _PAIR.findall(text):
        if value[:1] in "\"'" and len(value) >= 2 and value[-1] == value[0]:
            inner = value[1:-1]
            if key == "msg" and value[0] == "'":
                _pairs(inner, record_type, log)
                continue
            log[key] = inner
        elif _decodes(key, value, record_type):
            log[key] = _text(key, bytes.fromhex(value))
        else:
            log[key] = value


def _decodes(key: str, value: str, record_type: str) -> bool:
    if not _HEX.fullmatch(value):
        return False
    return key in _UNTRUSTED or (record_type == "EXECVE" and bool(_ARGUMENT.fullmatch(key)))


def _text(key: str, raw: bytes) -> str:
    """The process title separates its arguments with NULs, a key list its keys with 0x01."""
    text = raw.decode("utf-8", "replace")
    if key == "proctitle":
        return text.replace("\x00", " ")
    if key == "key":
        return text.replace("\x01", ",")
    return text


def _ecs(doc: Event, log: dict[str, object], record_type: str) -> None:
    """The ECS fields Filebeat derives that analysts search by: the record type as the action,
    process (an EXECVE's arguments too), user (a userspace record's `acct` is the account that
    logged in, authenticated or changed), the remote address and the outcome."""
    doc["event"]["action"] = record_type.lower()
    process: dict[str, object] = {}
    if (pid := int_or_none(_known(log.get("pid")))) is not None:
        process["pid"] = pid
    if (ppid := int_or_none(_known(log.get("ppid")))) is not None:
        process["parent"] = {"pid": ppid}
    for key, field in (("exe", "executable"), ("comm", "name")):
        if value := _known(log.get(key)):
            process[field] = value
    if record_type == "EXECVE" and (args := _arguments(log)):
        process["args"] = args
    if process:
        doc["process"] = process
    user: dict[str, object] = {}
    if (uid := _known(log.get("uid"))) and uid.isdigit():
        user["id"] = uid
    if (auid := _known(log.get("auid"))) and auid.isdigit() and auid != _UNSET_ID:
        user["audit"] = {"id": auid}
    if name := _known(log.get("acct")):
        user["name"] = name
    if user:
        doc["user"] = user
    if ip := ip_or_none(_known(log.get("addr"))):
        doc["source"] = {"ip": ip}
    result = log.get("success", log.get("res"))
    if result in ("yes", "success"):
        doc["event"]["outcome"] = "success"
    elif result in ("no", "failed"):
        doc["event"]["outcome"] = "failure"


def _arguments(log: dict[str, object]) -> list[str]:
    """`a0`..`a<argc-1>`; an argument too long for one field comes in pieces `a1[0]`, `a1[1]`
    (after `a1_len`). Only the arguments up to the first missing one: the kernel splits a long
    command line over several EXECVE records, of which only the first has `argc`."""
    args: list[str] = []
    for index in range(int_or_none(log.get("argc")) or 0):
        value = log.get(f"a{index}")
        if value is None:
            pieces = []
            while isinstance(piece := log.get(f"a{index}[{len(pieces)}]"), str):
                pieces.append(piece)
            value = "".join(pieces) if pieces else None
        if not isinstance(value, str):
            break
        args.append(value)
    return args


def _known(value: object) -> str | None:
    """A value the record actually gives: auditd writes `?` or `(null)` for none."""
    return value if isinstance(value, str) and value not in ("", "?", "(null)") else None
