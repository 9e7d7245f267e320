"""Cisco IOS, IOS XE, IOS XR and NX-OS router and switch messages (`%FACILITY-SEVERITY-MNEMONIC:
text`) to ECS, after Elastic's Cisco IOS integration (`event.dataset: cisco.ios`).

Every message gets its facility, severity and mnemonic (`event.code`), wherever the device or a
relay put the tag: in the syslog tag (`<189>61: R1: *Mar  1 00:12:16.795: %SYS-5-CONFIG_I: ...`,
which the header parser splits, as it splits NX-OS's `: 2024 Mar  5 10:00:00 UTC:` and IOS XR's
`RP/0/RSP0/CPU0:Mar  5 10:00:00.123 UTC: bgp[1052]:` and dates the event by their clocks), or
inside the message behind a sequence number and the device's own timestamp (a relay's file),
which dates the event when it gives the year and UTC.
`event.original` keeps the tag with the text, as the device wrote it, because SigmaHQ's Cisco
rules search the whole line for tags such as `IP-TCP-3-BADAUTH`.

Parsed in detail: access-list hits (SEC/IPV6 ...ACCESSLOG*), logins (SEC_LOGIN), configuration
changes (SYS-5-CONFIG_I), commands logged by `archive log config` (PARSER-5-CFGLOG_LOGGEDCMD:
the CLI accounting SigmaHQ's `service: aaa` rules read) and TCP MD5 failures (TCP-6-BADAUTH,
the BGP peers SigmaHQ's BADAUTH rule watches).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from collectors.parsers.values import IANA_TRANSPORTS, endpoint, int_or_none, mac_or_none
from soc.model.event import Event, isoformat

DATASET = "cisco.ios"
TAG = re.compile(r"%(?P<facility>[A-Z0-9][A-Z0-9_]*(?:-[A-Z0-9_]+)*?)-(?P<severity>[0-7])-"
                 r"(?P<mnemonic>[A-Z0-9_]+)")  # fmt: skip
# The device's sequence number and clock (or IOS XR's node) first, and what a relay put before
# them (Kiwi's `Original Address=... MSGOUT host:`), as far as the dispatcher looks for `: %`.
_IN_MESSAGE = re.compile(
    r"(?:(?P<sequence>\d+):\s*)?(?:[^%]{0,160}?(?<![\w%]))?" + TAG.pattern + r"\s?:\s?"
)
_LEVELS = ("emergency", "alert", "critical", "error", "warning", "notification",
           "informational", "debug")  # fmt: skip  # as `cisco_asa` names them
_NOT_IOS = ("ASA", "FTD")  # the firewalls' own parser (`cisco_asa`) reads those
_ADDRESS = r"[0-9A-Fa-f.:]+"
# IOS writes `list 101 denied`, IOS XE's forwarding processor puts its slot first (`F0:
# fman_fp_image: list ...`) and may add the source MAC and input interface, IOS XR writes
# `access-list NAME (20) deny`; `log-input` adds `(interface MAC)` after the source.
_ACL = re.compile(
    r"list (?P<acl>\S+)(?: \(\d+\))? (?P<result>denied|permitted|deny|permit) (?P<protocol>\S+) "
    rf"(?:(?P<mac>[0-9A-Fa-f]{{2}}(?:-[0-9A-Fa-f]{{2}}){{5}}) )?(?P<src>{_ADDRESS})"
    r"(?:\((?P<sport>\d+)\))?(?: ?\((?P<iface>[A-Za-z][^ )]*)(?: (?P<imac>[0-9A-Fa-f.:-]*))?\)"
    rf"| (?P<inif>[A-Za-z]\S*?))? ?-> (?P<dst>{_ADDRESS})(?:\((?P<dport>\d+)\))?"
    r"(?: \((?P<detail>[\d/]+)\))?, (?P<packets>\d+) packets?"
)
_LOGIN = re.compile(
    r"\[user: (?P<user>[^\]]*)\] \[Source: (?P<src>[^\]]*)\]"
    r"(?: \[localport: (?P<port>\d+)\])?(?: \[Reason: (?P<reason>[^\]]*)\])?"
)
_CONFIGURED = re.compile(r"Configured from (?P<via>\S+) by (?P<user>\S+)"
                         rf"(?: on \S+)?(?: \((?P<src>{_ADDRESS})\))?")  # fmt: skip
# Without a user name (a line password, no AAA) the device names the line: `by vty0 (addr)`,
# `by console`; that is no user.
_LINE = re.compile(r"(?:console|con\d+|vty\d+|tty\d+|aux\d+)")
# TCP MD5 (BGP) authentication failures; the port in parentheses or after a colon.
_BADAUTH = re.compile(
    rf"from (?P<src>{_ADDRESS}?)(?:\((?P<sport>\d+)\)|:(?P<sport2>\d+)) "
    rf"to (?P<dst>{_ADDRESS}?)(?:\((?P<dport>\d+)\)|:(?P<dport2>\d+))"
)
# The device's clock behind a relay's header or none (`3132807: Jul 14 2023 08:23:43.398 UTC:`),
# taken when it says the year and UTC: the event's own time, which a relay's header (or the
# receipt) only approximates. A starred clock (`*`, `.`: not synchronised) is not.
_FULL_CLOCK = re.compile(
    r"(?<![*.])\b(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?P<day>\d{1,2}) "
    r"(?P<year>\d{4}) (?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)(?:\.(?P<frac>\d{1,6}))? (?:UTC|GMT):"
)
_MONTHS = {m: n for n, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"), start=1)}  # fmt: skip
_LOGGED_COMMAND = re.compile(r"User:\s*(?P<user>\S+)\s+logged command:\s*(?P<command>.*)")


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a Cisco IOS-family message; None when no `%FAC-SEV-MNEMONIC` tag leads it."""
    text = message.strip()
    tag = TAG.fullmatch(program) if program else None
    if tag is None:
        tag = _IN_MESSAGE.match(text)
        if tag is None:
            return None
        clock = _FULL_CLOCK.search(text, 0, tag.start("facility"))
        text = text[tag.end() :]
    else:
        clock = None
    facility, severity, mnemonic = tag["facility"], int(tag["severity"]), tag["mnemonic"]
    if facility.split("-", 1)[0] in _NOT_IOS:
        return None
    doc: Event = {
        "event": {"module": "cisco", "dataset": DATASET, "kind": "event", "code": mnemonic,
                  "severity": severity, "original": f"%{facility}-{severity}-{mnemonic}: {text}"},
        "log": {"level": _LEVELS[severity]},
        "observer": {"vendor": "Cisco", "product": "IOS"},
        "cisco": {"ios": {"facility": facility}},
        "message": text,
    }  # fmt: skip
    if clock is not None and (moment := _utc(clock)) is not None:
        doc["@timestamp"] = isoformat(moment)
    # The header takes a sequence number it can tell apart; behind a relay's header it is the
    # tag (`... 10.20.0.1 585917: Mar  5 ...: %SEC-...`), or still in the message.
    sequence = tag.groupdict().get("sequence") or (
        program if program and program.isdigit() else None
    )
    if sequence:
        doc["event"]["sequence"] = int(sequence)
    if "ACCESSLOG" in mnemonic and (match := _ACL.search(text)):
        _access_list(doc, match)
    elif facility == "SEC_LOGIN" and (match := _LOGIN.search(text)):
        _login(doc, mnemonic, match)
    elif mnemonic == "CONFIG_I" and (match := _CONFIGURED.match(text)):
        user = match["user"]
        _change(doc, None if _LINE.fullmatch(user) else user, match["src"])
    elif mnemonic == "BADAUTH" and (match := _BADAUTH.search(text)):
        doc["event"].update(category=["network", "authentication"], type=["info"],
                            outcome="failure")  # fmt: skip
        doc["source"] = endpoint(match["src"], match["sport"] or match["sport2"])
        doc["destination"] = endpoint(match["dst"], match["dport"] or match["dport2"])
    elif mnemonic == "CFGLOG_LOGGEDCMD" and (match := _LOGGED_COMMAND.match(text)):
        _change(doc, match["user"], None)
        doc["cisco"]["ios"]["command"] = match["command"].strip()
    return doc


def _utc(clock: re.Match[str]) -> datetime | None:
    fraction = int((clock["frac"] or "0").ljust(6, "0"))
    try:
        day = datetime(int(clock["year"]), _MONTHS[clock["mon"]], int(clock["day"]), tzinfo=UTC)
        return day.replace(hour=int(clock["h"]), minute=int(clock["m"]), second=int(clock["s"]),
                           microsecond=fraction)  # fmt: skip
    except ValueError:  # Feb 30, hour 25
        return None


def _access_list(doc: Event, match: re.Match[str]) -> None:
    allowed = match["result"].startswith("permit")
    doc["event"].update(category=["network"], type=["connection", "allowed" if allowed else
                        "denied"], outcome="success" if allowed else "failure",
                        action="permit" if allowed else "deny")  # fmt: skip
    doc["cisco"]["ios"]["access_list"] = match["acl"]
    protocol = match["protocol"].lower()
    network: dict[str, str | int] = {"packets": int(match["packets"])}
    if protocol.isdigit():
        network["iana_number"] = protocol
        if protocol in IANA_TRANSPORTS:
            network["transport"] = IANA_TRANSPORTS[protocol]
    elif protocol not in ("ip", "ipv6"):  # those two are any protocol, not a transport
        network["transport"] = protocol
    doc["network"] = network
    doc["source"] = {**endpoint(match["src"], match["sport"]), "packets": int(match["packets"])}
    if source := doc["source"].get("ip"):
        network["type"] = "ipv6" if ":" in source else "ipv4"
    if mac := mac_or_none(match["mac"] or match["imac"]):
        doc["source"]["mac"] = mac
    if interface := match["iface"] or match["inif"]:
        doc["observer"]["ingress"] = {"interface": {"name": interface}}
    doc["destination"] = endpoint(match["dst"], match["dport"])
    if protocol in ("icmp", "ipv6-icmp") and match["detail"] and "/" in match["detail"]:
        kind, code = match["detail"].split("/", 1)
        doc["icmp"] = {"type": int(kind), "code": int(code)}
    addresses = [doc["source"].get("ip"), doc["destination"].get("ip")]
    doc["related"] = {"ip": list(dict.fromkeys(a for a in addresses if a))}


def _login(doc: Event, mnemonic: str, match: re.Match[str]) -> None:
    success = mnemonic == "LOGIN_SUCCESS"
    doc["event"].update(category=["authentication"], type=["start" if success else "info"],
                        outcome="success" if success else "failure")  # fmt: skip
    doc["user"] = {"name": match["user"]}
    doc["source"] = endpoint(match["src"])
    if (port := int_or_none(match["port"])) is not None:
        doc["destination"] = {"port": port}
    if match["reason"]:
        doc["event"]["reason"] = match["reason"]


def _change(doc: Event, user: str | None, source: str | None) -> None:
    doc["event"].update(category=["configuration"], type=["change"])
    if user:
        doc["user"] = {"name": user}
    if source:
        doc["source"] = endpoint(source)
