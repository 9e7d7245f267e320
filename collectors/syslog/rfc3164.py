"""RFC 3164 ("BSD") headers and the real-world variants seen on agency networks.

Handled: with or without PRI; `Mmm dd hh:mm:ss` (optionally with a weekday, a year before the
time as Cisco ASA sends it, a year after it as HPE/H3C Comware and Aruba send it, fractions after
`.` or Comware's `:`, and a `UTC`/`GMT`/`ICT` suffix) or an ISO 8601 timestamp; missing hostname;
`tag[pid]:`; Cisco sequence numbers (`123: *Mar  1 ...: %SYS-5-CONFIG_I: ...`), or a bare colon
where IOS has them off (`<189>: Jan  6 2024 ...`), `%ASA-6-302013:` tags and a host name right
before them (`fw01: %FTD-6-430003:`); a relay's header before the device's whole message, PRI
and all, left for `parse_syslog` to read; FortiGate's bare `key=value` content right after the
PRI. Cisco NX-OS and IOS XR put their clock behind a colon or their node, not where RFC 3164 has it:
`<189>: 2024 Mar  5 10:00:01 UTC: %...` or `<190>sw01: 2024 ...` (NX-OS, the year first) and
`<189>123: [router1 ]RP/0/RSP0/CPU0:Mar  5 10:00:00.123 UTC: bgp[1052]: %...` (IOS XR).

RFC 3164 timestamps carry no time zone: they are read in the configured zone (`zone`, UTC by
default; a province whose devices log local time sets Asia/Ho_Chi_Minh), unless the line names
one. An NX-OS or IOS XR clock is taken only when it has a year or names a zone we know: a zone
we cannot resolve (`PST`), or an IOS XR clock with neither, leaves the receipt time. The year is
not sent either: it is the latest year that does not put the event more than two days after its
receipt. So a December line read in January is last year's, a January line read on 31 December
is next year's, and an archive replayed months later is not dated in the future; the two days
absorb zone mistakes and clocks that drift.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from collectors.syslog.record import SyslogMessage, in_utc

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_BSD_TIMESTAMP = re.compile(
    r"[*.]?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+)?"
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+(?P<day>\d{1,2})"
    r"(?:\s+(?P<year>\d{4}))?\s+(?P<hour>\d{1,2}):(?P<minute>\d\d):(?P<second>\d\d)"
    r"(?:[.:](?P<fraction>\d{1,9}))?(?:\s+(?P<year_after>\d{4}))?"
    r"(?:\s+(?P<zone>UTC|GMT|ICT))?(?=[\s:]|$)",
    re.I,
)
# Zone names devices print after the time; ICT is Indochina Time (Cisco `show-timezone` here).
_ZONE_NAMES = {"UTC": UTC, "GMT": UTC, "ICT": timezone(timedelta(hours=7))}
# A colon may end it as it ends a BSD one: ASA's `logging timestamp rfc5424` without a device id
# sends `<166>2018-06-27T12:17:46Z: %ASA-6-110002: ...`.
_ISO_TIMESTAMP = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?(?=[\s:]|$)"
)
_SEQUENCE = re.compile(r"(\d{1,10}):\s+")
# Cisco IOS with `service sequence-numbers` and a hostname: `123: router1: *Mar  1 ...`.
_CISCO_HOST = re.compile(r"([A-Za-z0-9][\w.-]*):\s+(?=[*.]?[A-Z][a-z]{2}\s)")
# NX-OS: a colon after its PRI or its hostname, then a clock with the year first.
_NXOS_PREFIX = re.compile(r"(?P<host>[A-Za-z0-9][\w.-]{0,254})?:\s+(?=\d{4}\s)")
# IOS XR, behind its sequence number: its hostname (`logging hostnameprefix`), its node, a colon.
_XR_NODE = re.compile(
    r"(?:(?P<host>[A-Za-z0-9][\w.-]{0,254})\s+)?(?:[A-Z]{1,4}/)?\d{1,3}(?:/[A-Z0-9]{1,8}){0,3}"
    r"/CPU\d{1,3}:(?=[A-Z][a-z]{2}\s)"
)
# Their clocks end with a colon; the zone, when printed, is any name (`UTC`, `ICT`, `PST`).
_DEVICE_CLOCK = re.compile(
    r"(?:(?P<year>\d{4})\s+)?(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+"
    r"(?P<day>\d{1,2})\s+(?P<hour>\d{1,2}):(?P<minute>\d\d):(?P<second>\d\d)"
    r"(?:\.(?P<fraction>\d{1,9}))?(?:\s{0,8}(?P<zone>[A-Za-z]{1,6}))?\s{0,8}:\s*"
)
# Cisco IOS without sequence numbers: a bare colon after the PRI, perhaps the host name, then
# the clock (`<189>: Jan  6 2022 20:54:26.961: %SYS-...`, `<190>: sw1: Jul 14 2023 ...`).
_BARE_COLON = re.compile(r":\s+(?:(?P<host>[A-Za-z0-9][\w.-]{0,254}):\s+)?(?=[*.]?[A-Z][a-z]{2}\s)")
# A Cisco device's host name ends with a colon right before its `%ASA-`/`%SYS-` tag
# (`May  5 17:51:17 fw01: %FTD-6-430003: ...`): not a program.
_HOST_BEFORE_CISCO_TAG = re.compile(r"([A-Za-z0-9][\w.-]{0,254}):\s+(?=%)")
# A relay's header before the device's own message, PRI and all (`Aug 22 05:11:06 relay01
# <189>2: *Jan  2 ...`): left whole for `parse_syslog` to read as the message it is.
_INNER_PRI = re.compile(r"<\d{1,3}>")
_KEY_VALUE_START = re.compile(r"[A-Za-z_][\w.-]*=")
# A tag never opens with `{`: JSON written with a space after its colons (`{"ts": 1.5, ...}`)
# would lose its first key to the tag.
_TAG = re.compile(
    r"(?P<tag>[^\s\[\]:{][^\s\[\]:]{0,63})(?:\[(?P<pid>[^\]\s]{0,32})\]:?|:)(?:\s+|$)"
)
_FUTURE_SLACK = timedelta(days=2)
_ZONE_SLACK = timedelta(days=2)
_HOSTNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:%-]{0,254}")


def parse_rfc3164(
    text: str, priority: int | None, *, received: datetime, zone: tzinfo = UTC
) -> SyslogMessage:
    """Parse the text after the PRI (if any). Never fails: unrecognised parts stay in message."""
    rest = text
    sequence = hostname = clock = None
    if match := _SEQUENCE.match(rest):
        sequence = int(match.group(1))
        rest = rest[match.end() :]
        if host := _CISCO_HOST.match(rest):
            hostname = host.group(1)
            rest = rest[host.end() :]
        elif node := _XR_NODE.match(rest):
            clock = _DEVICE_CLOCK.match(rest, node.end())
            hostname = node["host"] if clock else None
    elif (
        (space := rest.find(" ")) > 0
        and rest[space - 1] == ":"  # NX-OS's first word ends with a colon: test that first
        and (prefix := _NXOS_PREFIX.match(rest))
        and (clock := _DEVICE_CLOCK.match(rest, prefix.end()))
    ):
        hostname = prefix["host"]
    elif rest.startswith(":") and (bare := _BARE_COLON.match(rest)):
        hostname = bare["host"]
        rest = rest[bare.end() :]
    if clock is not None:
        had_timestamp, timestamp = True, _device_moment(clock, received, zone)
        rest = rest[clock.end() :]
    else:
        had_timestamp, timestamp, rest = _take_timestamp(rest, received, zone)
    if had_timestamp:
        rest = rest.lstrip()
        if rest.startswith(":"):  # Cisco: `*Mar  1 00:01:02.123: %SYS-...`
            rest = rest[1:].lstrip()
    if _KEY_VALUE_START.match(rest):  # FortiGate: `<189>date=2024-05-10 time=... devname=...`
        return SyslogMessage(
            message=rest, priority=priority, timestamp=timestamp, sequence=sequence, zone=zone
        )
    if (
        had_timestamp
        and hostname is None
        and rest.find(": %", 0, 258) > 0
        and (host := _HOST_BEFORE_CISCO_TAG.match(rest))
    ):
        hostname = host.group(1)
        rest = rest[host.end() :]
    if had_timestamp and hostname is None and not _TAG.match(rest):
        token, _, after = rest.partition(" ")
        if _HOSTNAME.fullmatch(token):
            hostname = token
            rest = after.lstrip()
            if rest == ":" or rest.startswith(": "):  # ASA: `... asa-fw : %ASA-6-302013: ...`
                rest = rest[1:].lstrip()
    if rest.startswith("<") and _INNER_PRI.match(rest):
        return SyslogMessage(message=rest, priority=priority, timestamp=timestamp,
                             hostname=hostname, sequence=sequence, zone=zone)  # fmt: skip
    appname = procid = None
    if tag := _TAG.match(rest):
        appname, procid = tag["tag"], tag["pid"] or None
        rest = rest[tag.end() :]
    return SyslogMessage(
        message=rest,
        priority=priority,
        timestamp=timestamp,
        hostname=hostname,
        appname=appname,
        procid=procid,
        sequence=sequence,
        zone=zone,
    )


def _take_timestamp(
    text: str, received: datetime, zone: tzinfo
) -> tuple[bool, datetime | None, str]:
    """(a timestamp was there, its value if valid, the text after it)."""
    if match := _BSD_TIMESTAMP.match(text):
        return True, _bsd_moment(match, received, zone), text[match.end() :]
    if match := _ISO_TIMESTAMP.match(text):
        try:
            moment = datetime.fromisoformat(match.group(0).replace(",", "."))
        except ValueError:
            return True, None, text[match.end() :]
        moment = in_utc(moment if moment.tzinfo else moment.replace(tzinfo=zone))
        return True, moment, text[match.end() :]
    return False, None, text


def _bsd_moment(match: re.Match[str], received: datetime, zone: tzinfo) -> datetime | None:
    if match["zone"]:
        zone = _ZONE_NAMES[match["zone"].upper()]
    return _dated(match, match["year"] or match["year_after"], received, zone)


def _device_moment(match: re.Match[str], received: datetime, zone: tzinfo) -> datetime | None:
    """An NX-OS or IOS XR clock's moment: None for a zone we cannot resolve, or for a clock
    with neither a zone nor a year (IOS XR set to no zone), which the receipt time beats."""
    if name := match["zone"]:
        if (named := _ZONE_NAMES.get(name.upper())) is None:
            return None
        zone = named
    elif not match["year"]:
        return None
    return _dated(match, match["year"], received, zone)


def _dated(
    match: re.Match[str], year: str | None, received: datetime, zone: tzinfo
) -> datetime | None:
    """The clock's moment in `year`, else in the latest year that is not after its receipt."""
    fields = match.group("mon", "day", "hour", "minute", "second", "fraction")
    if year:
        return _moment(fields, zone, int(year))
    latest = received + _FUTURE_SLACK
    # Next year can only qualify in the last days of December (two days more cover any zone
    # offsets); skipping it otherwise saves building a datetime for nearly every line.
    first = received.year + 1 if (latest + _ZONE_SLACK).year > received.year else received.year
    # Walking back up to 8 years also finds the leap year a `Feb 29` belongs to (even past 2100).
    for year in range(first, received.year - 9, -1):
        moment = _moment(fields, zone, year)
        if moment is not None and moment <= latest:
            return moment
    return None


@functools.lru_cache(maxsize=4096)
def _moment(
    fields: tuple[str, str, str, str, str, str | None], zone: tzinfo, year: int
) -> datetime | None:
    """The timestamp's (month, day, hour, minute, second, fraction) text in `year`, or None
    for a date that year lacks.

    Cached: a sender's lines repeat the same second, and reading the text into a datetime was
    a third of the header's parsing."""
    month, day, hour, minute, second, fraction = fields
    try:
        moment = datetime(
            year,
            _MONTHS[month.lower()],
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError:
        return None
    return in_utc(moment)
