"""Juniper Junos router, switch and firewall messages to ECS (`event.dataset: juniper.junos`).

Junos names most messages with an upper-case tag (`RPD_BGP_NEIGHBOR_STATE_CHANGED: ...`,
`UI_COMMIT: ...`), which becomes `event.code`. A line is Junos's when its program is one of the
daemons only Junos runs (rpd, mgd, chassisd, ...) or is `/kernel`, as Junos's FreeBSD kernel
signs its lines (a Linux kernel writes `kernel`); there the kernel reports, for one, the BGP
segments that fail TCP MD5 authentication, which SigmaHQ's Juniper rule searches for.
`event.original` keeps the message with its program, as the device wrote it.
"""

from __future__ import annotations

import re

from collectors.parsers.values import program_name
from soc.model.event import Event

DATASET = "juniper.junos"
PROGRAMS = frozenset({
    "rpd", "mgd", "chassisd", "dcd", "eventd", "jddosd", "cosd", "mib2d", "pfed", "alarmd",
    "craftd", "l2ald", "lacpd", "dfwd", "bfdd", "kmd", "ppmd", "rmopd", "lfmd", "cfmd",
    "mcsnoopd", "l2cpd", "idpd", "flowd", "appidd", "utmd", "authd", "jdhcpd", "pkid",
})  # fmt: skip
"""Daemons that exist only on Junos: their lines need no other sign of the device."""
KERNEL = "/kernel"
_TAG = re.compile(r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+):\s*")


def parse(message: str, *, program: str | None = None, pid: str | None = None) -> Event | None:
    """ECS fields for a Junos message; None when neither its program nor its kernel's
    signature marks it as one."""
    name = program_name(program)
    if program != KERNEL and name not in PROGRAMS:
        return None
    text = message.strip()
    event: dict[str, object] = {"module": "juniper", "dataset": DATASET, "kind": "event",
                                "original": f"{program}: {text}"}  # fmt: skip
    if tag := _TAG.match(text):
        event["code"] = tag.group(1)
        text = text[tag.end() :]
    return {"event": event, "observer": {"vendor": "Juniper", "product": "Junos"}, "message": text}
