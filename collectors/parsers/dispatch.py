"""Choosing the message parser for a line, whatever transport delivered it.

Two steps, cheapest first. A line whose syslog tag names a program we know (sshd, sudo, kernel,
filterlog, dhcpd, nginx, squid, suricata, openvpn, zeek_dns, audispd, rpd, CheckPoint, `%ASA-...`,
`%SYS-5-...`) goes to that program's parser and no other: a user name typed into an SSH login cannot
make the line pass for a FortiGate log. Any other line is recognised by content, each parser guarded
by a test costing a few string operations (a first character, a key) before any regex or JSON
decoding runs. CEF and LEEF come first among those, wherever in the first characters their `CEF:` or
`LEEF:` is (devices and relays put host names and clocks before it): a FortiGate or Palo Alto in CEF
mode carries the `logid=` or `,TRAFFIC,` that would otherwise send it to the native parser.
Lines no parser claims are stored as plain syslog events (`message` plus the header fields),
never dropped.
"""

from __future__ import annotations

import functools
from datetime import UTC, tzinfo
from typing import Protocol

from collectors.parsers import (
    apache,
    auditd,
    cef,
    checkpoint,
    cisco_asa,
    cisco_ios,
    citrix_adc,
    dhcpd,
    event_xml,
    fortigate,
    huawei_vrp,
    iis,
    iptables,
    junos,
    junos_srx,
    leef,
    linux_auth,
    openssh,
    openvpn,
    panos,
    pfsense,
    pulse_connect_secure,
    sophos_xg,
    squid,
    suricata,
    web_error,
    windows_json,
    zeek,
)
from collectors.parsers.values import StructuredData, program_name
from soc.model.event import Event


class MessageParser(Protocol):
    """What every parser module's `parse` is: ECS fields for a line, or None if not its own."""

    def __call__(
        self, message: str, *, program: str | None = None, pid: str | None = None
    ) -> Event | None: ...


def _kernel(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """The kernel logs netfilter's packets and, through journald, audit records; Junos's
    kernel signs as `/kernel`."""
    if program == junos.KERNEL:
        return junos.parse(message, program=program, pid=pid)
    if "audit(" in message:
        return auditd.parse(message)
    return iptables.parse(message, program=program, pid=pid)


def _web(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """A web server's own tag covers both of its logs."""
    return apache.parse(message, program=program, pid=pid) or web_error.parse(
        message, program=program, pid=pid
    )


def _cef_tag(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """`CEF: 0|...`: the RFC 3164 header read `CEF` as the tag; the message is the rest."""
    return _cef(f"CEF:{message}")


def _cef(message: str) -> Event | None:
    """CEF, read as its device's own log where we know the device (FortiGate)."""
    doc = cef.parse(message)
    return fortigate.from_cef(doc) or doc if doc is not None else None


def _leef_tag(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    return leef.parse(f"LEEF:{message}")


# Tag (lower case, see `program_name`) -> the only parser for that program's lines.
_BY_PROGRAM: dict[str, MessageParser] = {
    "sshd": openssh.parse,
    **dict.fromkeys(linux_auth.PROGRAMS, linux_auth.parse),
    "kernel": _kernel,
    **dict.fromkeys(auditd.PROGRAMS, auditd.parse),
    "filterlog": pfsense.parse,
    "openvpn": openvpn.parse,
    **dict.fromkeys(dhcpd.PROGRAMS, dhcpd.parse),
    "suricata": suricata.parse,
    **dict.fromkeys(("nginx", "apache", "apache2", "httpd"), _web),
    **dict.fromkeys(event_xml.PROGRAMS, event_xml.parse),
    **dict.fromkeys(junos.PROGRAMS, junos.parse),
    **dict.fromkeys(squid.PROGRAMS, squid.parse_tagged),
    "cef": _cef_tag,
    "leef": _leef_tag,
}
# How far into a message `CEF:`/`LEEF:` is looked for: past a host name and a clock, not
# through a whole long line for every message of the hot path.
_MARK_WITHIN = 128


def _cef_or_leef(message: str, mark: int) -> Event | None:
    """CEF or LEEF by the letters before the `EF:` found (one search for both formats)."""
    if message[mark - 1] == "C":
        return _cef(message)
    if message[mark - 2 : mark] == "LE":
        return leef.parse(message)
    return None


def _content_parser(message: str, zone: tzinfo) -> tuple[MessageParser, ...]:
    """The parsers worth trying on this content, by cheap tests on it."""
    head = message.lstrip()[:1]
    if head == "{" or message.startswith("@cee:"):
        return (suricata.parse, functools.partial(windows_json.parse, zone=zone), zeek.parse)
    if head == "%":
        return (cisco_asa.parse, huawei_vrp.parse, cisco_ios.parse)
    if head == "<" and message.lstrip().startswith("<Event"):
        return (event_xml.parse,)
    if head.isdigit() and squid.claims(message):  # an epoch, before any URL's text is searched
        return (squid.parse,)
    # NetScaler's `03/05/2024:10:00:01 GMT ns01 0-PPE-0 : ...`
    if head.isdigit() and citrix_adc.MARK in message[18:80]:
        return (citrix_adc.parse,)
    if (head == "i" or head.isdigit()) and pulse_connect_secure.claims(message):  # untagged
        return (pulse_connect_secure.parse,)
    if "[junos@" in message:  # an SRX's structured log behind a relay's header
        return (junos_srx.parse,)
    if 'loguid:"' in message or "[Fields@1.3.6.1.4.1.2620" in message:  # Check Point, relayed
        return (checkpoint.parse,)
    if "logid=" in message and ("devname=" in message or "subtype=" in message):
        return (fortigate.parse,)
    if sophos_xg.claims(message):  # `log_id=`/`log_type=`, never a FortiGate's `logid=`
        return (functools.partial(sophos_xg.parse, zone=zone),)
    if ",TRAFFIC," in message or ",THREAT," in message:
        return (panos.parse,)
    if panos.claims(message):  # PAN-OS SYSTEM, CONFIG, GLOBALPROTECT... by the type column
        return (panos.parse,)
    if "IN=" in message and "SRC=" in message:
        return (iptables.parse,)
    if "audit(" in message and message.lstrip().startswith(("type=", "node=")):
        return (auditd.parse,)
    if head == "t" and message.lstrip().startswith("time="):  # Log Exporter's splunk format
        return (checkpoint.parse,)
    if ": %" in (start := message[:160]) or " %ASA-" in start or " %FTD-" in start:
        # a Cisco tag behind a sequence number and the device's clock, or a relay's host name
        return (cisco_ios.parse, cisco_asa.parse, *_text_parsers(head, zone))
    return _text_parsers(head, zone)


def _text_parsers(head: str, zone: tzinfo) -> tuple[MessageParser, ...]:
    if head == "[":  # Apache's error log, or its ssl_request_log
        return (functools.partial(web_error.parse, zone=zone), apache.parse)
    if head.isdigit():
        return (apache.parse, iis.parse, functools.partial(web_error.parse, zone=zone))
    return (apache.parse,)


def parse_message(
    message: str,
    *,
    program: str | None = None,
    pid: str | None = None,
    msgid: str | None = None,
    structured_data: StructuredData | None = None,
    zone: tzinfo = UTC,
) -> Event | None:
    """ECS fields (with `event.dataset`) from the parser that knows the line, else None.

    `program` and `pid` are what the transport knows of the sender (the syslog tag); parsers that
    need them (sshd, sudo) use them, the others read only the message. `msgid` and
    `structured_data` are an RFC 5424 header's, which Junos fills with the event's name and
    fields, and Check Point R81 with its fields. `zone` is where content times that name no zone
    were written (NXLog's `EventTime`, a web server's error log), as for the header's.
    """
    name = program_name(program)
    rfc5424 = msgid is not None or bool(structured_data)
    if rfc5424 and (name in junos.PROGRAMS or program == junos.KERNEL):
        return junos.parse(message, program=program, pid=pid, msgid=msgid,
                           structured_data=structured_data)  # fmt: skip
    # Log Exporter's own formats; its `cef` and `leef` formats carry the same tag, so a line the
    # Check Point parser does not read goes on to the others.
    checkpoint_sd = structured_data and checkpoint.SD_ID in structured_data
    if (name in checkpoint.PROGRAMS or checkpoint_sd) and (
        doc := checkpoint.parse(message, program=program, pid=pid, structured_data=structured_data)
    ):
        return doc
    # Junos's sshd and login tag their log-in lines (`SSHD_LOGIN_FAILED: ...`), which OpenSSH
    # and Linux's login never do.
    if name in junos.LOGIN_PROGRAMS and junos.tagged(message, msgid):
        return junos.parse(message, program=program, pid=pid, msgid=msgid)
    # A Cisco tag leading the message outranks the program: IOS XR's processes (`sshd[1149]:`)
    if (claimed := _BY_PROGRAM.get(name)) and message[:1] != "%":
        return claimed(message, program=program, pid=pid)
    if zeek.claims(program):  # one tag per log (`zeek_dns`, `bro-conn`): no table entry
        return zeek.parse(message, program=program, pid=pid)
    if openvpn.claims(name):  # one tag per instance (`openvpn_server1`, `ovpn-office`)
        return openvpn.parse(message, program=program, pid=pid)
    if program and program.startswith("%"):  # the header took a Cisco tag for the program
        if program.startswith(("%ASA-", "%FTD-")):
            return cisco_asa.parse(message, program=program, pid=pid)
        return cisco_ios.parse(message, program=program, pid=pid)
    # Ivanti Connect Secure's tags (`PulseSecure`, `Juniper`) are vendors' names, which other
    # products of theirs may use too: a line the parser does not read goes on to the others.
    if name in pulse_connect_secure.PROGRAMS and (
        doc := pulse_connect_secure.parse(message, program=program, pid=pid)
    ):
        return doc
    pam = "pam_unix(" in message or (program and "(pam_unix)" in program)
    if pam and (doc := linux_auth.parse(message, program=program, pid=pid)):
        return doc
    if (mark := message.find("EF:", 0, _MARK_WITHIN)) > 0 and (doc := _cef_or_leef(message, mark)):
        return doc
    for parser in _content_parser(message, zone):
        doc = parser(message, program=program, pid=pid)
        if doc is not None:
            return doc
    return None
