"""Composition root: builds the concrete parts from settings.

Nothing else in `soc` decides which implementation to use; the CLI, the UI and the tests all go
through `build_services` so that they run the same wiring.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from soc.cases import CaseService
from soc.config import Settings
from soc.detection import Scheduler
from soc.enrich.agency import AgencyTagger
from soc.model.sources import SourceRegistry
from soc.rules import Catalog, compile_rules, load_rules
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
    scheduler: Scheduler | None = field(default=None, repr=False)

    def tagger(self) -> AgencyTagger:
        """A tagger over the agencies as they are now (agencies change rarely)."""
        return AgencyTagger(self.cases.agencies())

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
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


def build_services(settings: Settings) -> Services:
    """Open (creating and migrating on first start) the stores and compile the rules."""
    events = DuckDBEventStore(settings.events_path)  # first: it refuses while a server runs
    cases = open_cases(settings)
    services = Services(settings=settings, events=events, cases=cases)
    if settings.detection.enabled:
        ruleset = load_rules([Path(d) for d in settings.detection.rules_dirs])
        services.catalog = compile_rules(ruleset, settings.detection.pipelines_dirs)
        for error in services.catalog.errors:
            log.warning("rule not loaded: %s", error)
        services.scheduler = Scheduler(
            events,
            services.catalog,
            alert_sink=cases,
            checkpoints=cases,
            controls=cases,
            interval_seconds=settings.detection.interval_seconds,
        )
    return services


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
