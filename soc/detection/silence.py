"""Silent sources: an alert when a source that used to send goes quiet beyond its interval.

Every source the collectors see (a syslog host, a NetFlow exporter, a remote site) is in the
live `SourceRegistry`; each check merges it into the persisted states (so a restart does not
forget who used to send), then raises one alert per silence episode. The alert id comes from the
source and the first interval it missed, so a check that runs twice, or again after a crash,
never raises a second alert for the same silence. When the source sends again the episode is
closed (audited, and noted on its alert) and a later silence is a new episode.

After the platform itself starts, every source gets one full interval to report before it can
be called silent: the platform being down is not the sources' silence.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from soc.config import SilenceSettings
from soc.detection.ports import AlertSink
from soc.errors import ConfigError, SocError
from soc.model.alert import Alert, alert_id
from soc.model.event import isoformat, utcnow
from soc.model.source_state import SourceState
from soc.model.sources import SourceRegistry

log = logging.getLogger(__name__)

RULE_ID = "soc-silent-source"
RULE_TITLE = "Source stopped sending"
DEFAULT_INTERVAL_SECONDS = 15 * 60
_SEVERITY = {"site": "high"}  # a silent site hides every device behind it


class SourceStateStore(Protocol):
    """Implemented by `soc.cases.CaseService.sources`."""

    def load(self) -> list[SourceState]: ...

    def save(
        self, states: Sequence[SourceState], *, returned: Sequence[SourceState] = ()
    ) -> None: ...


@dataclass(frozen=True)
class SilenceReport:
    silent: tuple[SourceState, ...]  # episodes opened by this check (one alert each)
    returned: tuple[SourceState, ...]  # episodes closed by this check
    monitored: int


def parse_kind_intervals(items: Iterable[str]) -> dict[str, int]:
    """`("site=10", "netflow=5")` (minutes, as settings spell them) -> seconds per kind."""
    intervals = {}
    for item in items:
        kind, _, minutes = item.partition("=")
        try:
            value = float(minutes)
        except ValueError:
            value = -1.0
        if not kind.strip() or value < 0:
            raise ConfigError(
                f"expected KIND=MINUTES, got {item!r}", where="silence.kind_intervals"
            )
        intervals[kind.strip()] = int(value * 60)
    return intervals


@dataclass(frozen=True)
class SourceIntervals:
    """How often each source is expected to report, shared by the checker and by
    `soc sources list`, so that both call the same source silent."""

    default_seconds: int = DEFAULT_INTERVAL_SECONDS
    kind_seconds: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of_settings(cls, settings: SilenceSettings) -> SourceIntervals:
        return cls(
            int(settings.default_interval_minutes * 60),
            parse_kind_intervals(settings.kind_intervals),
        )

    def of(self, state: SourceState) -> int:
        """Seconds: the source's own, else its kind's, else the default; 0 = not monitored."""
        if state.interval_seconds is not None:
            return state.interval_seconds
        return self.kind_seconds.get(state.kind, self.default_seconds)


def overdue(
    state: SourceState,
    interval_seconds: int,
    now: datetime,
    *,
    listening_since: datetime | None = None,
) -> bool:
    """Whether the source has been quiet past its interval. `listening_since` (the platform's
    start) grants a full interval after it: a source cannot be heard while nobody listens, so
    the running checker does not blame a source for the platform's own downtime."""
    if interval_seconds <= 0:
        return False
    heard = max(state.last_seen, listening_since) if listening_since else state.last_seen
    return now > heard + timedelta(seconds=interval_seconds)


class SilenceChecker:
    def __init__(
        self,
        registry: SourceRegistry,
        store: SourceStateStore,
        alerts: AlertSink,
        *,
        intervals: SourceIntervals | None = None,
        check_interval_seconds: float = 60.0,
        started_at: datetime | None = None,
    ) -> None:
        self._registry = registry
        self._store = store
        self._alerts = alerts
        self._intervals = intervals or SourceIntervals()
        self._every = check_interval_seconds
        self._started_at = started_at or utcnow()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self, now: datetime | None = None) -> SilenceReport:
        now = now or utcnow()
        states, changed = self._merge()
        opened: list[SourceState] = []
        returned: list[SourceState] = []
        alerts: list[Alert] = []
        for key, state in states.items():
            if state.silent_since is not None and state.last_seen > state.silent_since:
                returned.append(state)
                state = replace(state, silent_since=None, alert_id=None)
                states[key] = changed[key] = state
            interval = self._intervals.of(state)
            if state.silent_since is not None or not overdue(
                state, interval, now, listening_since=self._started_at
            ):
                continue
            alert = _alert(state, interval)
            alerts.append(alert)
            state = replace(state, silent_since=state.last_seen, alert_id=alert.id)
            states[key] = changed[key] = state
            opened.append(state)
        # Alerts first: if saving fails, the next check raises the same ids again (harmless);
        # the other order could record a silence whose alert was never stored.
        if alerts:
            self._alerts.add_alerts(alerts)
        if changed:
            self._store.save(list(changed.values()), returned=returned)
        return SilenceReport(tuple(opened), tuple(returned), len(states))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="silence-checker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop, keeping the latest last-seen times for the next start."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        try:
            self.check()
        except SocError as exc:
            log.warning("silence checker: last state not saved: %s", exc)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                report = self.check()
            except SocError as exc:
                log.warning("silence check failed, retrying: %s", exc)
                continue
            for state in report.silent:
                log.warning("source silent: %s %s since %s", state.kind, state.key, state.last_seen)

    def _merge(
        self,
    ) -> tuple[dict[tuple[str, str], SourceState], dict[tuple[str, str], SourceState]]:
        """Persisted states updated with what the collectors saw since; and those that changed."""
        states = {(s.kind, s.key): s for s in self._store.load()}
        changed: dict[tuple[str, str], SourceState] = {}
        for live in self._registry.snapshot():
            key = (live.kind, live.key)
            old = states.get(key)
            if old is None:
                new = SourceState(
                    live.kind, live.key, live.first_seen, live.last_seen, live.agency_id
                )
            elif live.last_seen > old.last_seen or (
                live.agency_id and live.agency_id != old.agency_id
            ):
                new = replace(
                    old,
                    last_seen=max(old.last_seen, live.last_seen),
                    agency_id=live.agency_id or old.agency_id,
                )
            else:
                continue
            states[key] = changed[key] = new
        return states, changed


def _alert(state: SourceState, interval: int) -> Alert:
    missed = state.last_seen + timedelta(seconds=interval)
    minutes = max(1, interval // 60)
    return Alert(
        id=alert_id(RULE_ID, state.kind, state.key, isoformat(missed)),
        rule_id=RULE_ID,
        rule_title=RULE_TITLE,
        severity=_SEVERITY.get(state.kind, "medium"),
        timestamp=missed,
        entity=f"{state.kind} {state.key}",
        agency_ids=(state.agency_id,) if state.agency_id else (),
        event_ids=(),
        tags=("silent-source", f"source:{state.kind}"),
        summary=(
            f"{state.kind} source {state.key} has sent nothing since "
            f"{isoformat(state.last_seen)} (expected at least every {minutes} min)"
        ),
        details={
            "kind": state.kind,
            "key": state.key,
            "last_seen": isoformat(state.last_seen),
            "interval_seconds": interval,
        },
    )
