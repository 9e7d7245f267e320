"""NetFlow collector: UDP server -> decode (pure, by version) -> normalize (ECS) -> sink."""

from __future__ import annotations

from collectors.deadletter import DeadLetter
from collectors.netflow.server import NetflowListener
from collectors.sink import BatchingSink
from soc.config import NetflowSettings
from soc.enrich.agency import AgencyTagger


def start(
    settings: NetflowSettings,
    *,
    sink: BatchingSink,
    tagger: AgencyTagger,
    dead_letter: DeadLetter,
) -> NetflowListener:
    """Bind the UDP socket from `settings` and start receiving; close the result to stop."""
    return NetflowListener(settings, sink=sink, tagger=tagger, dead_letter=dead_letter)


__all__ = ["NetflowListener", "start"]
