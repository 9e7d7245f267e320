"""From one framed message to the sink: parse, normalize, stamp, tag, put; or dead-letter.

Shared by every transport (UDP, TCP, TLS) so that they differ only in how bytes arrive. Per-host
activity goes to the source registry once per batch of work (`flush_sources`), not per message:
the registry takes a lock, and 50,000 lock round-trips a second would cost more than parsing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import tzinfo

from collectors.deadletter import DeadLetter
from collectors.sink import BatchingSink
from collectors.syslog.header import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.enrich.agency import AgencyTagger
from soc.errors import ParseError
from soc.model.event import stamp, utcnow
from soc.model.sources import SourceRegistry

log = logging.getLogger(__name__)

SOURCE_KIND = "syslog"


@dataclass
class _Tally:
    messages: int = 0
    bytes: int = 0
    rejected: int = 0
    agency_id: str | None = None


class Intake:
    """Turns messages into stored events for one listener (not thread-safe: one per thread)."""

    def __init__(
        self,
        *,
        sink: BatchingSink,
        tagger: AgencyTagger | None,
        dead_letter: DeadLetter,
        sources: SourceRegistry | None,
        zone: tzinfo,
    ) -> None:
        self._sink = sink
        self._tagger = tagger
        self._dead_letter = dead_letter
        self._sources = sources
        self._zone = zone
        self._tallies: dict[str, _Tally] = {}

    def handle(self, source: str, raw: bytes, peer: tuple[str, int]) -> None:
        """One message from `peer`; `source` names the transport in dead-letter records."""
        received = utcnow()
        try:
            doc = to_ecs(parse_syslog(raw, received=received, zone=self._zone), peer_ip=peer[0])
        except ParseError as exc:
            self.reject(source, str(exc), raw, peer)
            return
        except Exception as exc:  # a parser bug must cost one message, not the listener
            log.exception("syslog message from %s could not be normalized", peer[0])
            self.reject(source, f"internal error: {exc!r}", raw, peer)
            return
        stamp(doc, dataset="syslog", received=received)
        if self._tagger is not None:  # None: a worker process; its parent tags
            doc = self._tagger.tag(doc)
        if self._sources is not None:
            tally = self._tally(peer[0])
            tally.messages += 1
            tally.bytes += len(raw)
            if organization := doc.get("organization"):
                tally.agency_id = organization.get("id")
        self._sink.put(doc)

    def reject(self, source: str, reason: str, raw: bytes, peer: tuple[str, int]) -> None:
        self._dead_letter.write(source=source, reason=reason, raw=raw, peer=f"{peer[0]}:{peer[1]}")
        if self._sources is not None:
            self._tally(peer[0]).rejected += 1

    def note(self, peer_ip: str, **increments: int) -> None:
        """Counters that are not messages (refused connections, TLS failures), right away."""
        if self._sources is not None:
            self._sources.touch(SOURCE_KIND, peer_ip, **increments)

    def describe(self, peer_ip: str, **values: str) -> None:
        if self._sources is not None:
            self._sources.set_info(SOURCE_KIND, peer_ip, **values)

    def flush_sources(self) -> None:
        """Hand the counts gathered since the last flush to the registry."""
        if self._sources is None or not self._tallies:
            return
        tallies, self._tallies = self._tallies, {}
        for ip, tally in tallies.items():
            counters = {"messages": tally.messages, "bytes": tally.bytes}
            if tally.rejected:
                counters["rejected"] = tally.rejected
            self._sources.touch(SOURCE_KIND, ip, agency_id=tally.agency_id, **counters)

    def _tally(self, ip: str) -> _Tally:
        tally = self._tallies.get(ip)
        if tally is None:
            tally = self._tallies[ip] = _Tally()
        return tally
