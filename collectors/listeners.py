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
) -> list[Listener]:
    """The enabled listeners, bound and serving; close each to stop.

    NetFlow templates persist in `<data_dir>/netflow-templates.json`. When one listener
    cannot start, those already started are closed before the error propagates.
    """
    listeners: list[Listener] = []
    try:
        if settings.syslog.enabled:
            syslog = collectors.syslog.start(
                settings.syslog,
                sink=sink,
                tagger=tagger,
                dead_letter=dead_letter,
                sources=sources,
                idle_timeout_seconds=settings.syslog.idle_timeout_seconds,
            )
            listeners.append(syslog)
        if settings.netflow.enabled:
            netflow = collectors.netflow.start(
                settings.netflow,
                sink=sink,
                tagger=tagger,
                dead_letter=dead_letter,
                sources=sources,
                templates_path=settings.data_dir / "netflow-templates.json",
            )
            listeners.append(netflow)
    except BaseException:
        for listener in listeners:
            listener.close()
        raise
    return listeners


def listening_lines(listeners: list[Listener]) -> list[str]:
    """One line per bound address saying what it takes, for `soc serve` and `soc collect`."""
    lines = []
    for listener in listeners:
        for what, host, port in listener.endpoints:
            shown = f"[{host}]" if ":" in host else host
            lines.append(f"  listening for {what} on {shown}:{port}")
    return lines
