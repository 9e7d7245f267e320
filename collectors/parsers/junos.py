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
from collectors.parsers.values import program_name
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
_TAG = re.compile(r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+):\s*")


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
    if program != KERNEL and name not in PROGRAMS:
        return None
    text = message.strip()
    event: dict[str, object] = {"module": "juniper", "dataset": DATASET, "kind": "event"}
    if msgid:  # RFC 5424: the tag came in the header
        event.update(code=msgid, original=f"{program}: {msgid}: {text}")
    else:
        event["original"] = f"{program}: {text}"
        if tag := _TAG.match(text):
            event["code"] = tag.group(1)
            text = text[tag.end() :]
    return {"event": event, "observer": {"vendor": "Juniper", "product": "Junos"}, "message": text}
