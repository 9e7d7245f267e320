"""Offline hunt (`soc hunt`): the platform's compiled rules over evidence files, no server.

The events go into an in-memory event store (`soc.storage.hunt_store`), the same table the live
store has plus a column per document field the rules read (kept in memory beside it); the rules
are compiled for that layout (`soc.rules.sqlfields.flat_columns`). A single-event rule keeps
its compiled condition, only reading a column where live detection parses the document; that
SQL condition is what runs (evaluated by `soc.storage.rule_eval` where it has a shape the
evaluator knows, with DuckDB's meaning, and by DuckDB otherwise), so a hunt reports what live
detection would have alerted on for the same events. Correlations run their compiled statement
unchanged over the whole hunt.
"""

from __future__ import annotations

import functools
import gc
import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from soc.detection.alerts import alerts_from_rows
from soc.detection.prefilter import split_conditions, statement_frame
from soc.errors import SocError
from soc.model.alert import Alert
from soc.model.event import Event, isoformat
from soc.rules import Catalog, RuleSet, compile_rules, load_rules
from soc.rules.cache import remembered
from soc.rules.sqlfields import FlatColumns, flat_columns
from soc.storage.hunt_store import HuntEventStore
from soc.storage.rule_batch import RuleCondition, RuleMatches
from soc.storage.rule_eval import ParsedRules

LOAD_BATCH_EVENTS = 5000
"""Events written to the hunt store at a time: large enough for DuckDB's bulk path, small
enough that the reader's events never pile up in memory."""
SEGMENT_EVENTS = 100_000
"""Events loaded before the single-event rules run over them. Their flat columns (~0.8 KB an
event) and the garbage reading leaves (~3 KB) are then let go, so a hunt over millions of events
holds one segment of those, not all of them: 67,204 EVTX events peaked at 785 MiB in one piece
(`bench/README.md`). Large enough that the per-segment cost of the rules (~0.15 s for the
SigmaHQ Windows rules) stays small."""
_EVERYTHING = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))

Phase = Literal["load", "match", "correlate", "done"]


@dataclass(frozen=True)
class HuntRules:
    """Rules compiled for the hunt table: the catalog and the document fields it reads, and
    the single-event conditions parsed for the evaluator (`parsed`: work that depends only on
    the rules, so it is done with the compilation and cached with it, not in every hunt)."""

    catalog: Catalog
    columns: dict[str, str]  # hunt column -> JSON path into the document
    frame: tuple[str, str]  # an event rule's statement before and after its condition
    lowered: dict[str, str] = field(default_factory=dict)  # hunt column -> column it lowers
    parsed: ParsedRules | None = None  # None: each hunt parses them


def compile_hunt_rules(
    ruleset: RuleSet, pipelines: Iterable[str | Path] | None = None
) -> HuntRules:
    """Compile `ruleset` for the hunt table (pipelines as `soc.rules.compile_rules`)."""
    layout = FlatColumns()
    with flat_columns(layout):
        catalog = compile_rules(ruleset, pipelines)
        frame = statement_frame()
    store = HuntEventStore(threads=1, columns=layout.paths, lowered=layout.lowered_columns)
    try:  # the hunt table's columns, without events: parsing reads no row
        parsed = store.parse_rules(split_conditions(catalog.compiled, frame)[0])
    finally:
        store.close()
    return HuntRules(
        catalog=catalog,
        columns=layout.paths,
        frame=frame,
        lowered=layout.lowered_columns,
        parsed=parsed,
    )


CACHE_FORMAT = 2
"""Version of what a cache entry holds, in its key: raised when `HuntRules` changes shape
(2: `parsed` added), so an entry of another shape is never read."""


def load_hunt_rules(
    rule_paths: Sequence[str | Path],
    pipelines: Sequence[str | Path] | None = None,
    *,
    fallback_pipelines: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
) -> HuntRules:
    """`load_rules` + `compile_hunt_rules`, remembered in `cache_dir` (None: not remembered;
    `soc.rules.cache`, with `CACHE_FORMAT` in the key).

    Pipelines are `pipelines`, else the rule folders' own, else `fallback_pipelines` (as `soc
    hunt` picks them).
    """

    def build() -> HuntRules:
        ruleset = load_rules(rule_paths)
        chosen = pipelines or ruleset.pipeline_dirs or fallback_pipelines
        return compile_hunt_rules(ruleset, chosen)

    inputs = (("rules", rule_paths), ("pipelines", [*(pipelines or ()), *fallback_pipelines]))
    salt = f"format {CACHE_FORMAT} {bool(pipelines)}"
    return remembered(cache_dir, "hunt", inputs, salt, build, HuntRules)


@dataclass(frozen=True)
class HuntProgress:
    """Where a hunt is: events loaded so far, then rules settled (ruled out or run)."""

    phase: Phase
    events: int
    rules_done: int = 0
    rules_total: int = 0


@dataclass(frozen=True)
class RuleInfo:
    """What the hunt output says about a rule."""

    id: str
    title: str
    level: str
    tags: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "level": self.level, "tags": list(self.tags)}


@dataclass(frozen=True)
class HuntMatch:
    """One match: a rule and its event, or a correlation with its group and member events."""

    rule: RuleInfo
    events: tuple[Event, ...]
    correlation: dict[str, Any] | None = None  # the live alert's details: group_key, ...

    def to_json(self) -> dict[str, Any]:
        if self.correlation is None:
            return {"rule": self.rule.to_json(), "event": self.events[0]}
        return {
            "rule": self.rule.to_json(),
            "correlation": self.correlation,
            "events": list(self.events),
        }


@dataclass(frozen=True)
class SkippedRule:
    """A rule the hunt could not use, and why (nothing is skipped silently)."""

    rule_id: str | None
    title: str | None
    source: str
    reason: str


@dataclass(frozen=True)
class RuleStats:
    """How one rule matched: how often, when (event time, ISO 8601) and on which hosts."""

    rule: RuleInfo
    matches: int
    first_seen: str | None
    last_seen: str | None
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class HuntSummary:
    """The figures the analyst's report starts with."""

    events: int
    rules_loaded: int  # compiled and run
    skipped: tuple[SkippedRule, ...]  # did not load, compile or run, each with why
    matches: int
    rule_stats: tuple[RuleStats, ...]  # the rules that matched
    rules: dict[str, RuleInfo]  # every rule that ran, by id
    seconds: float  # loading and matching, without compiling the rules
    first_event: str | None
    last_event: str | None

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass
class HuntResult:
    """A finished hunt: its summary, and its matches read back from the in-memory store.

    Holds the store until `close()` (or the end of a `with` block), so that matches stream out
    one at a time however many there are.
    """

    summary: HuntSummary
    _store: HuntEventStore
    _event_hits: list[tuple[str, str]] = field(repr=False)  # (rule id, event id)
    _correlations: list[Alert] = field(repr=False)

    def matches(self) -> Iterator[HuntMatch]:
        """Single-event matches in event time order, then correlation matches."""
        rules = self.summary.rules
        for rule_id, doc in self._store.hits(self._event_hits):
            yield HuntMatch(rules[rule_id], (doc,))
        for alert in self._correlations:
            docs = {doc["event"]["id"]: doc for doc in self._store.get_many(alert.event_ids)}
            members = tuple(docs[i] for i in alert.event_ids if i in docs)  # the alert's order
            details = {k: v for k, v in alert.details.items() if k != "kind"}
            yield HuntMatch(rules[alert.rule_id], members, details)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> HuntResult:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def run_hunt(
    rules: HuntRules,
    events: Iterable[Event],
    *,
    on_progress: Callable[[HuntProgress], None] | None = None,
    threads: int = 2,
    segment_events: int = SEGMENT_EVENTS,
) -> HuntResult:
    """Load `events` into a fresh in-memory store and run every compiled rule over all of them.

    Single-event rules run after each `segment_events` events loaded, over those; the rules
    over all events (correlations) once at the end. Events need an `event.id`
    (`soc.model.event.stamp`; file readers stamp them). A rule that fails to run is reported in
    `summary.skipped`; the others still run.
    """
    report = on_progress or (lambda _: None)
    started = time.perf_counter()
    store = HuntEventStore(threads=threads, columns=rules.columns, lowered=rules.lowered)
    try:
        event_rules, whole = split_conditions(rules.catalog.compiled, rules.frame)
        kept = store.columns_read(rule.sql for rule in whole)
        total = len(rules.catalog.compiled)
        iterator = iter(events)
        loaded = 0
        hits: list[tuple[str, str]] = []
        failures: dict[str, str] = {}
        while True:
            first_row = len(store.text)
            segment = _load(store, itertools.islice(iterator, segment_events), loaded, report)
            if first_row and not segment:  # the last segment was full and ended the events
                break
            loaded += segment
            report(HuntProgress("match", loaded, 0, total))
            found = _match(
                store,
                event_rules,
                rules.parsed,
                functools.partial(_report_match, report, loaded, total),
                first_row,
            )
            hits.extend((key, event_id) for key, ids in found.events.items() for event_id in ids)
            failures.update(found.errors)
            if segment < segment_events:
                break
            store.text.retain(kept)
        correlations: list[Alert] = []
        for done, rule in enumerate(whole, start=len(event_rules) + 1):
            report(HuntProgress("correlate", loaded, done - 1, total))
            try:
                rows = store.run_rule(
                    rule.sql, ingested_after=_EVERYTHING[0], ingested_until=_EVERYTHING[1]
                )
            except SocError as exc:
                failures[rule.id] = str(exc)
                continue
            if rule.kind == "correlation":  # as live detection describes them on its alerts
                correlations.extend(alerts_from_rows(rule, rows, ran_at=store.now()))
            else:
                hits.extend((rule.id, str(row["event_id"])) for row in rows)
        summary = _summary(store, rules.catalog, loaded, hits, correlations, failures, started)
        report(HuntProgress("done", loaded, total, total))
    except BaseException:
        store.close()
        raise
    return HuntResult(summary, store, hits, correlations)


def _report_match(
    report: Callable[[HuntProgress], None], loaded: int, total: int, done: int
) -> None:
    report(HuntProgress("match", loaded, done, total))


def _load(
    store: HuntEventStore,
    events: Iterable[Event],
    before: int,
    report: Callable[[HuntProgress], None],
) -> int:
    """Write the events in batches. The objects alive before (compiled rules, pySigma's parsed
    rules when the caller keeps them: 300k+ objects) are frozen out of the garbage collector
    meanwhile: reading creates millions of short-lived dicts, and each full collection would
    walk all of those old objects again (measured: the EVTX samples read in 0.63 s instead of
    0.85 s with SigmaHQ's Windows rules loaded). Automatic collections are off as well, and the
    young generations are collected once per batch instead (the events are trees, without
    cycles, so this only bounds what an odd cycle could keep): 0.1 s less CPU of 1.5 s for
    reading and loading the samples, alternating runs."""
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        with store.loading():
            return _load_batches(store, events, before, report)
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def _load_batches(
    store: HuntEventStore,
    events: Iterable[Event],
    before: int,
    report: Callable[[HuntProgress], None],
) -> int:
    loaded = 0
    iterator = iter(events)
    while batch := list(itertools.islice(iterator, LOAD_BATCH_EVENTS)):
        store.write_batch(batch)
        loaded += len(batch)
        del batch
        gc.collect(1)
        report(HuntProgress("load", before + loaded))
    return loaded


def _match(
    store: HuntEventStore,
    rules: Sequence[RuleCondition],
    parsed: ParsedRules | None,
    on_step: Callable[[int], None],
    first_row: int,
) -> RuleMatches:
    """The store's `match_rules` with automatic garbage collection off: the evaluator makes
    many short-lived containers (value lists, masks, per-value results), and each collection
    they set off walks every older object again; nothing it keeps holds a cycle. 0.1-0.2 s
    less CPU of ~1.1 s matching the EVTX samples, alternating runs."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return store.match_rules(rules, parsed=parsed, on_step=on_step, first_row=first_row)
    finally:
        if enabled:
            gc.enable()


def _summary(
    store: HuntEventStore,
    catalog: Catalog,
    events: int,
    hits: Sequence[tuple[str, str]],
    correlations: Sequence[Alert],
    failures: dict[str, str],
    started: float,
) -> HuntSummary:
    counts: dict[str, int] = {}
    for rule_id in itertools.chain((r for r, _ in hits), (a.rule_id for a in correlations)):
        counts[rule_id] = counts.get(rule_id, 0) + 1
    members = [(a.rule_id, e) for a in correlations for e in a.event_ids]
    seen = store.hit_stats([*hits, *members])
    skipped = [
        SkippedRule(p.rule_id, p.title, f"{p.path}:{p.line}" if p.line else p.path, p.reason)
        for p in catalog.errors
    ]
    infos = {r.id: RuleInfo(r.id, r.title, r.level, r.tags) for r in catalog.compiled}
    skipped.extend(
        SkippedRule(r.id, r.title, r.source, f"failed to run: {failures[r.id]}")
        for r in catalog.compiled
        if r.id in failures
    )
    stats = []
    for rule_id, count in counts.items():
        first_seen, last_seen, hosts = seen.get(rule_id, (None, None, []))
        stats.append(
            RuleStats(infos[rule_id], count, _iso(first_seen), _iso(last_seen), tuple(hosts))
        )
    first, last = store.time_span()
    return HuntSummary(
        events=events,
        rules_loaded=len(catalog.compiled) - len(failures),
        skipped=tuple(skipped),
        matches=len(hits) + len(correlations),
        rule_stats=tuple(stats),
        rules=infos,
        seconds=time.perf_counter() - started,
        first_event=_iso(first),
        last_event=_iso(last),
    )


def _iso(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment is not None else None
