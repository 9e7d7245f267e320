"""The enrichment chain every event goes through at ingest: agency → GeoIP/ASN → threat intel.

`Enricher` has the interface of `AgencyTagger` (`tag(event) -> event`, `lookup(ip)`), so the
listeners and the ingest API take it where they took the tagger. It is long-lived: a background
thread reloads agencies and indicators when they change (so `soc agencies add` and
`soc intel import` reach a running server without a restart) and hands intel alerts to the case
store in batches, keeping database writes off the listeners' threads. An alert may therefore
reach the queue up to `alert_flush_seconds` after its event was tagged; its deterministic id
makes a retry harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from soc.enrich.agency import AgencyTagger
from soc.enrich.geoip import GeoInfo, GeoIp
from soc.enrich.intel import IntelIndex, alerts_for, apply_matches
from soc.errors import SocError
from soc.model.agency import Agency
from soc.model.alert import Alert
from soc.model.event import Event
from soc.model.intel import Indicator

log = logging.getLogger(__name__)


class AlertSink(Protocol):
    """What the case store offers detection (`soc.detection.AlertSink`), restated here because
    `soc.enrich` may not import `soc.detection`."""

    def add_alerts(self, alerts: Sequence[Alert]) -> int: ...


@dataclass(frozen=True)
class EnrichmentSources:
    """Where the chain reads its reference data (in practice: the case store)."""

    agencies: Callable[[], Sequence[Agency]]
    intel_version: Callable[[], str]
    indicators: Callable[[], Iterable[Indicator]]


@dataclass(frozen=True)
class _Tables:
    agencies: tuple[Agency, ...]
    tagger: AgencyTagger
    intel_version: str
    intel: IntelIndex


class Enricher:
    def __init__(
        self,
        sources: EnrichmentSources,
        *,
        alerts: AlertSink,
        geoip: GeoIp | None = None,
        refresh_seconds: float = 30.0,
        alert_flush_seconds: float = 1.0,
        max_pending_alerts: int = 50_000,
    ) -> None:
        self._sources = sources
        self._alerts = alerts
        self._geoip = geoip
        self._refresh_seconds = refresh_seconds
        self._flush_seconds = alert_flush_seconds
        self._max_pending = max_pending_alerts
        self._pending: list[Alert] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.dropped_alerts = 0
        self._tables = self._load(None)

    @property
    def indicator_count(self) -> int:
        return self._tables.intel.size

    def tag(self, event: Event) -> Event:
        tables = self._tables  # one consistent snapshot even while a refresh swaps it
        tables.tagger.tag(event)
        if self._geoip is not None:
            self._geoip.tag(event)
        if tables.intel:
            matches = tables.intel.match(event)
            if matches:
                apply_matches(event, matches)
                self._queue(alerts_for(event, matches))
        if self._worker is None:
            self._start()
        return event

    def lookup(self, ip: str | list[str] | None) -> Agency | None:
        """The agency owning `ip` (`AgencyTagger.lookup`), for collectors' per-source health."""
        return self._tables.tagger.lookup(ip)

    def ipv4_prefixes(self) -> list[tuple[int, dict[int, Agency]]] | None:
        """`AgencyTagger.ipv4_prefixes` for a columnar path that applies agencies and
        `geoip_lookup` itself; None while threat-intel indicators are loaded, which only `tag`
        matches (events then stay dicts)."""
        if self._worker is None:  # as `tag` does: refreshes must run for columnar callers too
            self._start()
        tables = self._tables
        if tables.intel:
            return None
        return tables.tagger.ipv4_prefixes()

    def geoip_lookup(self) -> Callable[[str], GeoInfo | None] | None:
        """What `tag` adds after agencies, per address (`GeoIp.lookup`); None when GeoIP is off."""
        return self._geoip.lookup if self._geoip is not None else None

    def refresh(self) -> bool:
        """Reload agencies and indicators if they changed; True when something was reloaded."""
        current = self._tables
        fresh = self._load(current)
        if fresh is current:
            return False
        self._tables = fresh
        log.info(
            "enrichment reloaded: %d agencies, %d indicators", len(fresh.agencies), fresh.intel.size
        )
        return True

    def flush_alerts(self) -> int:
        """Hand the pending intel alerts to the case store; returns how many were new."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            return self._alerts.add_alerts(batch)
        except SocError:
            with self._lock:
                self._pending[:0] = batch  # keep them first in line for the next attempt
            raise

    def close(self) -> None:
        """Stop the background thread and hand over what is pending (SIGTERM path)."""
        self._stop.set()
        if self._worker is not None:
            self._worker.join(10)
        try:
            self.flush_alerts()
        except SocError as exc:
            log.error("intel alerts lost at shutdown (%d): %s", len(self._pending), exc)

    # -- internals -------------------------------------------------------------------------------

    def _load(self, current: _Tables | None) -> _Tables:
        agencies = tuple(self._sources.agencies())
        version = self._sources.intel_version()
        if (
            current is not None
            and agencies == current.agencies
            and version == current.intel_version
        ):
            return current
        tagger = (
            current.tagger if current and agencies == current.agencies else AgencyTagger(agencies)
        )
        if current is not None and version == current.intel_version:
            intel = current.intel
        else:
            intel = IntelIndex(self._sources.indicators())
        return _Tables(agencies, tagger, version, intel)

    def _queue(self, alerts: list[Alert]) -> None:
        with self._lock:
            room = self._max_pending - len(self._pending)
            if room < len(alerts):
                self.dropped_alerts += len(alerts) - max(room, 0)
                log.error(
                    "intel alert backlog full (%d): case store unreachable?", self._max_pending
                )
            self._pending.extend(alerts[: max(room, 0)])

    def _start(self) -> None:
        with self._lock:
            if self._worker is not None or self._stop.is_set():
                return
            self._worker = threading.Thread(target=self._run, name="enrichment", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        waited = 0.0
        while not self._stop.wait(self._flush_seconds):
            waited += self._flush_seconds
            try:
                self.flush_alerts()
                if waited >= self._refresh_seconds:
                    waited = 0.0
                    self.refresh()
            except SocError as exc:
                log.warning("enrichment: case store unavailable, retrying: %s", exc)
