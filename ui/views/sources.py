"""Source health: every exporter and host that sends us data, and whether we lose any of it.

For NetFlow, loss has three places to hide: the network (sequence gaps), the exporter's
templates (data waiting for or dropped without one) and this machine's kernel (UDP receive
buffer overflows, which no exporter can see). The kernel's counters are host-wide, for every
UDP socket on the machine, and are labelled so. Province staff see every source; an agency
admin sees the sources inside their agency's ranges.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from ui.context import principal, services

blueprint = Blueprint("sources", __name__, url_prefix="/sources")

SNMP_PATH = Path("/proc/net/snmp")
UDP_COUNTERS = ("InDatagrams", "RcvbufErrors", "InErrors")


@blueprint.route("/")
@login_required
def index() -> ResponseReturnValue:
    scope = principal().agency_scope
    visible = [
        source
        for source in services().sources.snapshot()
        if scope is None or source.agency_id in scope
    ]
    return render_template(
        "sources.html",
        exporters=[s for s in visible if s.kind == "netflow"],
        others=[s for s in visible if s.kind != "netflow"],
        kernel=udp_counters() if scope is None else None,
    )


def udp_counters(path: Path = SNMP_PATH) -> dict[str, int] | None:
    """The kernel's `Udp:` counters (host-wide, since boot), None where /proc has none."""
    try:
        lines = [line.split() for line in path.read_text().splitlines() if line.startswith("Udp:")]
    except OSError:
        return None
    if len(lines) < 2:
        return None
    names, values = lines[0][1:], lines[1][1:]
    found = dict(zip(names, values, strict=False))
    return {name: int(found[name]) for name in UDP_COUNTERS if name in found}
