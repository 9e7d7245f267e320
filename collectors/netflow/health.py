"""Per-exporter health in the source registry, for the sources page and silent-source checks.

Counters (added per datagram): `packets`, `flows`, `sequence_gaps` (v5 and IPFIX count lost
flow records, v9 lost packets), `decode_errors` (datagrams or parts of them dead-lettered).
Gauges (`info`, re-published only when they change): protocol `version`, `templates` known,
`sets_waiting` for a template, `sets_dropped` because their template never came (also
dead-lettered), and the `sampling` rates and `interfaces` named by options records. Keyed by
exporter IP, kind "netflow", with the agency whose CIDR holds the exporter.
"""

from __future__ import annotations

from collections.abc import Iterable

from collectors.netflow.session import Session
from soc.enrich.agency import AgencyTagger
from soc.model.sources import SourceRegistry

KIND = "netflow"
VERSIONS = {5: "NetFlow v5", 9: "NetFlow v9", 10: "IPFIX"}


class ExporterHealth:
    def __init__(self, sources: SourceRegistry | None, tagger: AgencyTagger) -> None:
        self._sources = sources
        self._tagger = tagger
        self._published: dict[str, dict[str, str]] = {}
        self._versions: dict[str, set[int]] = {}

    def datagram(
        self,
        ip: str,
        *,
        version: int | None,
        flows: int = 0,
        sequence_gaps: int = 0,
        decode_errors: int = 0,
    ) -> None:
        if self._sources is None:
            return
        agency = self._tagger.lookup(ip)
        self._sources.touch(
            KIND,
            ip,
            agency_id=agency.id if agency else None,
            packets=1,
            flows=flows,
            sequence_gaps=sequence_gaps,
            decode_errors=decode_errors,
        )
        if version is not None:
            self._versions.setdefault(ip, set()).add(version)

    def publish(self, sessions: Iterable[Session]) -> None:
        """Gauges of every exporter seen (UDP and TCP sessions alike); cheap when nothing
        changed."""
        if self._sources is None:
            return
        gauges: dict[str, dict[str, str]] = {
            ip: {"version": ", ".join(VERSIONS.get(v, str(v)) for v in sorted(versions))}
            for ip, versions in self._versions.items()
        }
        totals: dict[str, list[int]] = {}
        rates: dict[str, set[str]] = {}
        for session in sessions:
            ip = session.key[0]
            total = totals.setdefault(ip, [0, 0, 0, 0])
            total[0] += len(session.templates)
            total[1] += len(session.waiting)
            total[2] += session.dropped
            total[3] += len(session.options.interfaces)
            rates.setdefault(ip, set()).update(
                f"1:{rate:g}" for rate in session.options.sampling.values() if rate != 1
            )
        for ip, (templates, waiting, dropped, interfaces) in totals.items():
            info = gauges.get(ip)
            if info is None:
                continue  # restored from the template file, not heard from since the start
            info.update(
                templates=str(templates),
                sets_waiting=str(waiting),
                sets_dropped=str(dropped),
                interfaces=str(interfaces),
                sampling=", ".join(sorted(rates[ip])) or "1:1",
            )
        for ip, info in gauges.items():
            before = self._published.get(ip, {})
            if ip not in totals and "templates" in before:  # a TCP connection's, closed since
                info.update({**before, **info, "templates": "0", "sets_waiting": "0"})
            if before != info:
                self._sources.set_info(KIND, ip, **info)
                self._published[ip] = info
