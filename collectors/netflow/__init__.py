"""NetFlow v5, v9 and IPFIX collector: UDP server -> decode (pure, by version) -> template
state per exporter (v9/IPFIX: `session`) -> normalize (ECS) -> sink."""

from __future__ import annotations

from pathlib import Path

from collectors.deadletter import DeadLetter
from collectors.netflow.server import NetflowListener
from collectors.sink import BatchingSink
from soc.config import NetflowSettings
from soc.enrich.agency import AgencyTagger
from soc.model.sources import SourceRegistry


def start(
    settings: NetflowSettings,
    *,
    sink: BatchingSink,
    tagger: AgencyTagger,
    dead_letter: DeadLetter,
    sources: SourceRegistry | None = None,
    templates_path: str | Path | None = None,
) -> NetflowListener:
    """Bind the UDP socket from `settings` and start receiving; close the result to stop.

    `templates_path` (normally `<data_dir>/netflow-templates.json`) keeps v9/IPFIX templates
    and options across restarts; `sources` receives per-exporter health.
    """
    return NetflowListener(
        settings,
        sink=sink,
        tagger=tagger,
        dead_letter=dead_letter,
        sources=sources,
        templates_path=templates_path,
    )


__all__ = ["NetflowListener", "start"]
