"""Composition root: builds the concrete parts from settings.

Nothing else in `soc` decides which implementation to use; the CLI, the UI and the tests all go
through `build_services` so that they run the same wiring.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from soc.cases import CaseService
from soc.config import Settings
from soc.detection import Scheduler
from soc.detection.silence import SilenceChecker, SourceIntervals
from soc.enrich.chain import Enricher, EnrichmentSources
from soc.enrich.geoip import GeoIp
from soc.model.plural import counted
from soc.model.sources import SourceRegistry
from soc.rules import Catalog, compile_rules, load_rules
from soc.rules.cache import remembered
from soc.storage import DuckDBEventStore
from soc.storage.base import EventStore

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    events: EventStore
    cases: CaseService
    catalog: Catalog | None = None
    sources: SourceRegistry = field(default_factory=SourceRegistry)
    silence: SilenceChecker | None = field(default=None, repr=False)
    _enricher: Enricher | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    scheduler: Scheduler | None = field(default=None, repr=False)

    def tagger(self) -> Enricher:
        """The one enrichment chain (agency, GeoIP/ASN, threat intel) that the listeners and the
        ingest API share; it reloads agencies and feeds by itself when they change."""
        with self._lock:
            if self._enricher is None:
                enrich = self.settings.enrich
                self._enricher = Enricher(
                    EnrichmentSources(
                        agencies=self.cases.agencies,
                        intel_version=self.cases.intel.version,
                        indicators=self.cases.intel.active_indicators,
                    ),
                    alerts=self.cases,
                    geoip=GeoIp(enrich.geoip_data_file) if enrich.geoip_enabled else None,
                    refresh_seconds=enrich.refresh_seconds,
                )
            return self._enricher

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.silence is not None:
            self.silence.stop()  # saves the latest last-seen times
        if self._enricher is not None:
            self._enricher.close()  # hands over pending intel alerts
        self.cases.close()
        self.events.close()


def open_cases(settings: Settings) -> CaseService:
    """The case store alone (accounts and agencies from the shell, while the server may run)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cases = CaseService(
        settings.cases_url, group_window_minutes=settings.detection.case_grouping_minutes
    )
    cases.migrate()
    return cases


def build_services(settings: Settings, *, detection: bool = True) -> Services:
    """Open (creating and migrating on first start) the stores and compile the rules.

    `detection=False` skips compiling the rules, for commands that only read or write events.
    """
    events = DuckDBEventStore(settings.events_path)  # first: it refuses while a server runs
    cases = open_cases(settings)
    services = Services(settings=settings, events=events, cases=cases)
    if detection:
        add_detection(services)
    if settings.silence.enabled:
        services.silence = SilenceChecker(
            services.sources,
            cases.sources,
            cases,
            intervals=SourceIntervals.of_settings(settings.silence),
            check_interval_seconds=settings.silence.check_interval_seconds,
        )
    return services


def add_detection(services: Services) -> None:
    """Compile the rules (10-20 s for the shipped SigmaHQ set; milliseconds when the same rules
    were compiled before, `soc.rules.cache`) and set up their scheduler, unless detection is
    disabled. Separate from opening the stores so that `soc serve` can bind its
    sockets first: a taken port is reported at once, and logs sent during the compilation are
    stored (and detected once the scheduler starts) instead of refused."""
    settings = services.settings
    if not settings.detection.enabled:
        return
    rules_dirs = [Path(d) for d in settings.detection.rules_dirs]
    pipelines = settings.detection.pipelines_dirs
    services.catalog = remembered(
        settings.data_dir / "cache" / "rules",
        "live",
        (("rules", rules_dirs), ("pipelines", pipelines)),
        "catalog 1",
        lambda: compile_rules(load_rules(rules_dirs), pipelines),
        Catalog,
    )
    if services.catalog.errors:
        log.warning(
            "%s compiled, %d not (listed by `soc rules check` and on the rules page)",
            counted(len(services.catalog.compiled), "rule"),
            len(services.catalog.errors),
        )
    services.scheduler = Scheduler(
        services.events,
        services.catalog,
        alert_sink=services.cases,
        checkpoints=services.cases,
        controls=services.cases,
        interval_seconds=settings.detection.interval_seconds,
        min_level=settings.detection.min_level,
    )


def ensure_api_token(settings: Settings) -> str:
    """The local admin token for the CLI and the ingest API, readable by its owner only."""
    path = settings.data_dir / "api.token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token)
    return token
