"""Run every compiled rule, every few seconds, over the events ingested since its checkpoint.

Windows are measured in ingest time (`event.ingested`), not in event time, so an event that
arrives late (an agency's collector was offline for a day) is still seen exactly once by every
rule. A rule whose run fails is quarantined with its error recorded; the others keep running.

People steer it through `RuleControls`, read at the start of every pass: a disabled rule is not
run, and its checkpoint follows detection's clock while it is off. Re-enabled, it resumes from
the pass it was switched back on in; the events ingested while it was off are not examined
(an analyst usually switches a rule off because it floods the queue, and a catch-up would replay
that flood). The stretch is in the audit log, and `soc.detection.retro` hunts it on request.
A quarantined rule whose error someone cleared (a retry) runs again on the next pass.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from soc.detection.alerts import alerts_from_rows
from soc.detection.ports import AlertSink, CheckpointStore, RuleControls
from soc.detection.prefilter import quiet_rules
from soc.errors import ConfigError
from soc.model.alert import SEVERITIES, severity_rank
from soc.rules import Catalog, CompiledRule
from soc.storage.base import EventStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunReport:
    """What one pass over the rules did."""

    until: datetime
    rules_run: int = 0
    matches: int = 0
    new_alerts: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # rule id -> error, this pass


class Scheduler:
    """Detection loop over one event store; `run_once` is also usable on its own.

    Checkpoints are kept in memory and written to the checkpoint store after every run that
    matched or failed, and otherwise at most every `checkpoint_every_seconds` per rule: with
    thousands of rules, one database write per rule every few seconds would be most of the
    load. After a restart the unsaved stretch is simply run again; alert ids make that harmless.

    Without `controls` every rule is enabled and a quarantine lasts until the next start.
    """

    def __init__(
        self,
        store: EventStore,
        catalog: Catalog,
        alert_sink: AlertSink,
        checkpoints: CheckpointStore,
        *,
        interval_seconds: float = 5.0,
        initial_lookback_seconds: float = 24 * 3600.0,
        checkpoint_every_seconds: float = 60.0,
        controls: RuleControls | None = None,
        min_level: str = "informational",
    ) -> None:
        if interval_seconds <= 0:
            raise ConfigError("must be positive", where="detection.interval_seconds")
        if initial_lookback_seconds < 0 or checkpoint_every_seconds < 0:
            raise ConfigError("must not be negative", where="detection scheduler")
        self._store = store
        self._catalog = catalog
        if min_level not in SEVERITIES:
            raise ConfigError(f"one of {', '.join(SEVERITIES)}", where="detection.min_level")
        # Rules below the minimum level stay in the catalog for retro-hunts and `soc hunt`, but
        # do not raise live alerts: SigmaHQ means informational and low rules for hunting.
        floor = severity_rank(min_level)
        self._live = [r for r in catalog.compiled if severity_rank(r.level) >= floor]
        self._sink = alert_sink
        self._checkpoints = checkpoints
        self._controls = controls
        self._interval = interval_seconds
        self._lookback = timedelta(seconds=initial_lookback_seconds)
        self._persist_every = timedelta(seconds=checkpoint_every_seconds)
        self._positions: dict[str, datetime] = {}  # rule id -> end of its last good window
        self._persisted: dict[str, datetime] = {}  # rule id -> last checkpoint written
        self._quarantined: dict[str, str] = {}
        self._compile_errors_reported = False
        self._pass_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def quarantined(self) -> dict[str, str]:
        """Rules that failed to run (id -> error); skipped until a retry or the next start."""
        return dict(self._quarantined)

    # -- one pass --------------------------------------------------------------------------------

    def run_once(self) -> RunReport:
        """Run every healthy rule over (its checkpoint, now]; return what happened.

        Raises when the alert sink or the checkpoint store fails: the affected windows are not
        marked done, so the next pass runs them again.
        """
        with self._pass_lock:
            # The store guarantees every batch written after now() is stamped later than it.
            until = self._store.now()
            self._report_compile_errors(until)
            disabled = self._read_controls()
            quiet = self._quiet_rules(until, disabled)
            rules_run = matches = new_alerts = 0
            failed: dict[str, str] = {}
            for rule in self._live:
                if self._stop.is_set():
                    break
                if rule.id in disabled:
                    self._pass_over(rule.id, until)
                    continue
                if rule.id in self._quarantined:
                    continue
                after = self._position(rule.id, until)
                if after >= until:
                    continue
                try:
                    rows = (
                        []
                        if rule.id in quiet
                        else self._store.run_rule(
                            rule.sql, ingested_after=after, ingested_until=until
                        )
                    )
                    alerts = alerts_from_rows(rule, rows, ran_at=until)
                # A per-rule boundary: a rule the store cannot run must not stop the others.
                except Exception as exc:
                    failed[rule.id] = self._quarantine(rule, until, exc)
                    continue
                if alerts:
                    new_alerts += self._sink.add_alerts(alerts)
                self._advance(rule.id, until, matches=len(alerts))
                rules_run += 1
                matches += len(alerts)
            return RunReport(until, rules_run, matches, new_alerts, failed)

    def _quiet_rules(self, until: datetime, disabled: frozenset[str]) -> set[str]:
        """Rules with nothing to report in their window, found by one batch per window
        (`soc.detection.prefilter`): their statements are skipped. On any failure the pass
        simply runs every rule's statement."""
        windows: dict[datetime, list[CompiledRule]] = {}
        for rule in self._live:
            if rule.id not in disabled and rule.id not in self._quarantined:
                after = self._position(rule.id, until)
                if after < until:
                    windows.setdefault(after, []).append(rule)
        quiet: set[str] = set()
        for after, rules in windows.items():
            try:
                quiet |= quiet_rules(self._store, rules, after=after, until=until)
            except Exception:  # an optimisation only: never a reason to miss a window
                log.exception("batched pre-check failed; running every rule's statement")
        return quiet

    def _position(self, rule_id: str, until: datetime) -> datetime:
        if rule_id not in self._positions:
            saved = self._checkpoints.get_checkpoint(rule_id)
            self._positions[rule_id] = saved if saved is not None else until - self._lookback
            if saved is not None:
                self._persisted[rule_id] = saved
        return self._positions[rule_id]

    def _advance(self, rule_id: str, until: datetime, *, matches: int) -> None:
        self._positions[rule_id] = until
        last = self._persisted.get(rule_id)
        if matches or last is None or until - last >= self._persist_every:
            self._checkpoints.set_checkpoint(rule_id, until, matches=matches)
            self._persisted[rule_id] = until

    def _read_controls(self) -> frozenset[str]:
        """The disabled rules; quarantined rules whose error was cleared leave quarantine."""
        if self._controls is None:
            return frozenset()
        if self._quarantined:
            failing = self._controls.failing_rules()
            for rule_id in [r for r in self._quarantined if r not in failing]:
                del self._quarantined[rule_id]
                log.info("rule %s retried: out of quarantine", rule_id)
        return self._controls.disabled_rules()

    def _pass_over(self, rule_id: str, until: datetime) -> None:
        """Keep a disabled rule's checkpoint up with detection, written as sparingly as runs."""
        assert self._controls is not None  # only rules `_read_controls` disabled get here
        self._position(rule_id, until)  # picks up the saved checkpoint, if any
        self._positions[rule_id] = until
        last = self._persisted.get(rule_id)
        if last is None or until - last >= self._persist_every:
            self._controls.pass_over(rule_id, until)
            self._persisted[rule_id] = until

    def _quarantine(self, rule: CompiledRule, until: datetime, exc: Exception) -> str:
        error = f"{type(exc).__name__}: {exc}"
        self._quarantined[rule.id] = error
        log.error("rule %s (%s) quarantined: %s", rule.id, rule.source, error)
        self._checkpoints.set_checkpoint(rule.id, until, matches=0, error=error)
        return error

    def _report_compile_errors(self, until: datetime) -> None:
        """Rules that never compiled get their error where the UI shows rule health.

        A problem naming the id of a rule that does run (a later duplicate of it) is not that
        rule's error.
        """
        if self._compile_errors_reported:
            return
        running = {rule.id for rule in self._catalog.compiled}
        for problem in self._catalog.errors:
            if problem.rule_id and problem.rule_id not in running:
                self._checkpoints.set_checkpoint(
                    problem.rule_id, until, matches=0, error=f"does not compile: {problem}"
                )
        self._compile_errors_reported = True

    # -- background thread -----------------------------------------------------------------------

    def start(self) -> None:
        """Run passes every `interval_seconds` in a daemon thread until `stop()`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="soc-detection", daemon=True)
        self._thread.start()

    def stop(self, timeout_seconds: float = 10.0) -> None:
        """Stop after the rule running now (if any); safe to call when never started."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_seconds)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            # The loop outlives a failing pass (cases database briefly locked or down): the
            # windows of that pass were not marked done and run again next time.
            except Exception:
                log.exception("detection pass failed; retrying in %.1f s", self._interval)
            self._stop.wait(self._interval)
