"""Retro-hunt: run chosen rules over a past window of event time, through the normal alert sink.

Analysts ask "did this new rule fire last week?", so the window is in `@timestamp` (when the
activity happened), not in ingest time: the result is every alert of the rules whose time falls
in [start, end). The store runs rules over ingest-time windows, so the hunt covers events
ingested from `start - clock_skew` until now (an event cannot reach us before it happens, give
or take a sender's clock running ahead) and keeps the alerts whose time is in the window.

The ingest range is cut into slices of `slice_seconds`: the embedded store runs one statement
at a time, and a month-long scan in one statement would hold back ingestion for its duration.
Alert ids are the scheduler's, so re-running a hunt, or hunting what live detection already
saw, adds nothing twice. A hunt changes no checkpoint and no rule state.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from soc.detection.alerts import alerts_from_rows
from soc.detection.ports import AlertSink
from soc.errors import NotFound, ValidationError
from soc.model.event import isoformat
from soc.rules import Catalog, CompiledRule
from soc.storage.base import EventStore

Progress = Callable[[int, int], None]
"""`(steps done, steps in all)`; a step is one rule over one slice of the ingest range."""

MAX_RULES = 5000


@dataclass(frozen=True)
class RuleRetro:
    """How one rule did over the window; `error` set when the store could not run it."""

    rule_id: str
    title: str
    matches: int = 0
    new_alerts: int = 0
    error: str | None = None


@dataclass(frozen=True)
class RetroResult:
    start: datetime
    end: datetime
    rules: tuple[RuleRetro, ...]

    @property
    def matches(self) -> int:
        return sum(rule.matches for rule in self.rules)

    @property
    def new_alerts(self) -> int:
        return sum(rule.new_alerts for rule in self.rules)

    @property
    def failed(self) -> dict[str, str]:
        return {rule.rule_id: rule.error for rule in self.rules if rule.error is not None}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the API and the CLI that prints what the server ran."""
        return {
            "from": isoformat(self.start),
            "to": isoformat(self.end),
            "matches": self.matches,
            "new_alerts": self.new_alerts,
            "rules": [
                {
                    "rule_id": rule.rule_id,
                    "title": rule.title,
                    "matches": rule.matches,
                    "new_alerts": rule.new_alerts,
                    "error": rule.error,
                }
                for rule in self.rules
            ],
        }


def select_rules(catalog: Catalog, rule_ids: Sequence[str]) -> list[CompiledRule]:
    """The compiled rules named, in the order given; raises for any that cannot run.

    Checked before a hunt starts, so that a typo is a message to the person asking rather than
    a hunt that quietly covers fewer rules than asked for.
    """
    wanted = list(dict.fromkeys(rule_ids))
    if not wanted:
        raise ValidationError("name at least one rule", where="retro-hunt")
    if len(wanted) > MAX_RULES:
        raise ValidationError(f"at most {MAX_RULES} rules at once", where="retro-hunt")
    compiled = {rule.id: rule for rule in catalog.compiled}
    problems = {p.rule_id: p for p in catalog.errors if p.rule_id}
    chosen = []
    for rule_id in wanted:
        if rule_id in compiled:
            chosen.append(compiled[rule_id])
        elif rule_id in problems:
            raise ValidationError(f"does not compile: {problems[rule_id]}", where=f"rule {rule_id}")
        else:
            raise NotFound("no such rule", where=f"rule {rule_id}")
    return chosen


def check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("times need a time zone", where="retro-hunt")
    if start >= end:
        raise ValidationError("the window must end after it starts", where="retro-hunt")


def run_retro(
    store: EventStore,
    catalog: Catalog,
    rule_ids: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    alert_sink: AlertSink,
    on_progress: Progress | None = None,
    slice_seconds: float = 86400.0,
    clock_skew_seconds: float = 86400.0,
) -> RetroResult:
    """Run `rule_ids` over the alert-time window [start, end) and store what they find.

    A rule the store cannot run is reported in the result and the others go on; a failing
    alert sink raises (nothing of that slice was stored, so running the hunt again is the fix).
    """
    rules = select_rules(catalog, rule_ids)
    check_window(start, end)
    if slice_seconds <= 0 or clock_skew_seconds < 0:
        raise ValidationError("slices must be positive and skew not negative", where="retro")
    lo = start - timedelta(seconds=clock_skew_seconds)
    hi = store.now()
    slices = _slices(lo, hi, timedelta(seconds=slice_seconds))
    total = len(rules) * len(slices)
    done = 0
    outcomes = []
    for rule in rules:
        seen: set[str] = set()
        new_alerts = 0
        error = None
        for after, until in slices:
            done += 1
            if error is None:
                try:
                    rows = store.run_rule(rule.sql, ingested_after=after, ingested_until=until)
                    found = alerts_from_rows(rule, rows, ran_at=until)
                # A per-rule boundary, as in the scheduler: one broken rule must not end the hunt.
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                else:
                    # A correlation window that spans two slices is reported by both.
                    fresh = [a for a in found if start <= a.timestamp < end and a.id not in seen]
                    seen.update(a.id for a in fresh)
                    if fresh:
                        new_alerts += alert_sink.add_alerts(fresh)
            if on_progress is not None:
                on_progress(done, total)
        outcomes.append(RuleRetro(rule.id, rule.title, len(seen), new_alerts, error))
    return RetroResult(start, end, tuple(outcomes))


def _slices(lo: datetime, hi: datetime, step: timedelta) -> list[tuple[datetime, datetime]]:
    """(after, until] pieces covering (lo, hi]; at least one, so progress always completes."""
    count = max(1, math.ceil((hi - lo) / step))
    bounds = [min(lo + step * i, hi) for i in range(count)] + [hi]
    return list(itertools.pairwise(bounds))
