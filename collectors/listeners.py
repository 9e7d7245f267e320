"""Start the syslog and NetFlow listeners that the settings enable, for `soc serve` and
`soc collect` alike (only the sink and the tagger they are given differ)."""

from __future__ import annotations

import collectors.netflow
import collectors.syslog
from collectors.deadletter import DeadLetter
from collectors.listener import Listener
from collectors.sink import BatchingSink
from soc.config import Settings
from soc.enrich.agency import AgencyTagger
from soc.model.sources import SourceRegistry


def start_listeners(
    settings: Settings,
    *,
    sink: BatchingSink,
    tagger: AgencyTagger,
    dead_letter: DeadLetter,
    sources: SourceRegistry | None = None,
) -> dict[str, Listener]:
    """The enabled listeners by a label for people, bound and serving; close each to stop.

    NetFlow templates persist in `<data_dir>/netflow-templates.json`. When one listener
    cannot start, those already started are closed before the error propagates.
    """
    listeners: dict[str, Listener] = {}
    try:
        if settings.syslog.enabled:
            tls = settings.syslog.tls_enabled
            label = "syslog (udp, tcp, tls)" if tls else "syslog (udp, tcp)"
            listeners[label] = collectors.syslog.start(
                settings.syslog,
                sink=sink,
                tagger=tagger,
                dead_letter=dead_letter,
                sources=sources,
                idle_timeout_seconds=settings.syslog.idle_timeout_seconds,
            )
        if settings.netflow.enabled:
            tcp = ", ipfix (tcp)" if settings.netflow.tcp_enabled else ""
            listeners[f"netflow v5/v9/ipfix (udp{tcp})"] = collectors.netflow.start(
                settings.netflow,
                sink=sink,
                tagger=tagger,
                dead_letter=dead_letter,
                sources=sources,
                templates_path=settings.data_dir / "netflow-templates.json",
            )
    except BaseException:
        for listener in listeners.values():
            listener.close()
        raise
    return listeners
