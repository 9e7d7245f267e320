"""Run thousands of single-event rule conditions over a table in a few statements.

DuckDB spends 1-3 ms parsing, binding and optimising a compiled rule before it reads a single
row: for the 2,400 SigmaHQ Windows rules that is several seconds, whatever the data. Run one by
one, that is the whole cost of a detection pass over a few new events, and most of a hunt. So
`match_rules` avoids planning rules that cannot match and plans the rest together:

1. every rule's condition is split into its top-level AND terms (`soc.storage.conjuncts`); the
   first is its log source (pySigma puts it there), and rules with the same first term form a
   group;
2. one statement counts the rows of each group's first term; empty groups are dropped (over a
   few seconds of traffic, or a set of evidence files, most log sources are absent);
3. the short terms of the remaining rules are counted over their group's rows, and a rule with a
   term that no row satisfies is dropped;
4. the rest run many rules per statement (`CASE WHEN` per rule over the group's rows), terms
   shortest first so that long pattern lists only see the rows the cheap terms kept.

Every step only drops a rule none of whose rows could match: a row that satisfies a condition
satisfies each of its AND terms. Statements run with DuckDB's optimizer off (on these
conditions its expression rewriter costs more than the whole statement, and grows faster than
the condition), on `threads` connections at once: DuckDB releases the GIL while it works.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb

from soc.storage.conjuncts import conjuncts
from soc.storage.keyword_sql import LOWERED_DOCUMENT, lowered_document

GUARD_MAX_CHARS = 150
"""Terms up to this long are counted before whole rules run: cheap to plan, often decisive.
Measured on the SigmaHQ Windows rules over the EVTX samples: 0, 150 and 400 cost the same
within noise; 1000 costs twice as much (counting long terms is as dear as running them)."""
STATEMENT_CHARS = 32_000
"""Rules per statement up to about this much SQL: enough to spread the per-statement cost, small
enough that statements share out evenly between connections and a failing one is cheap to
retry rule by rule."""
TERMS_PER_STATEMENT = 256


@dataclass(frozen=True)
class RuleCondition:
    """A single-event rule as the store sees it: who it is and its condition over the table."""

    key: str
    where: str


@dataclass
class RuleMatches:
    """Matching event ids per rule, and the rules DuckDB could not run (with its message)."""

    events: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    planned: int = 0  # rules whose whole condition ran (the others were ruled out early)


@dataclass
class _Rule:
    key: str
    where: str
    terms: tuple[str, ...]


def match_rules(
    connect: Callable[[], duckdb.DuckDBPyConnection],
    rules: Sequence[RuleCondition],
    *,
    table: str = "events",
    threads: int = 1,
    on_step: Callable[[int], None] | None = None,
) -> RuleMatches:
    """Every row of `table` that matches each rule's condition (its `event_id`).

    `connect()` opens a connection to the database for each worker thread (they are closed
    after). `on_step(rules_settled)` reports progress as rules are ruled out or run.
    """
    result = RuleMatches(events={rule.key: [] for rule in rules})
    groups: dict[str, list[_Rule]] = defaultdict(list)
    for rule in rules:
        terms = conjuncts(rule.where)
        groups[terms[0] if len(terms) > 1 else ""].append(_Rule(rule.key, rule.where, terms))
    settled = 0

    def step(count: int) -> None:
        nonlocal settled
        settled += count
        if on_step is not None:
            on_step(settled)

    run = _Run(connect, table)
    try:
        with ThreadPoolExecutor(max(1, threads)) as pool:
            present = run.count_terms(pool, [(key, "") for key in groups if key])
            live = []
            for key, members in groups.items():
                if key and not present.get((key, "")):
                    step(len(members))
                else:
                    live.append((key, members))
            present.update(run.count_terms(pool, [(t, key) for key, m in live for t in _guards(m)]))
            batches: list[tuple[str, list[_Rule]]] = []
            for key, members in live:
                alive = [
                    rule
                    for rule in members
                    if all(present.get((t, key), 1) for t in _guards([rule]))
                ]
                step(len(members) - len(alive))
                result.planned += len(alive)
                batches.extend((key, batch) for batch in _batches(alive))
            # Longest first: the connections finish together instead of one waiting on a last
            # big statement.
            batches.sort(key=lambda b: -sum(len(rule.where) for rule in b[1]))
            outcomes = pool.map(lambda batch: run.batch(*batch), batches)
            for (_, batch), (matches, errors) in zip(batches, outcomes, strict=True):
                for key, event_ids in matches.items():
                    result.events[key].extend(event_ids)
                result.errors.update(errors)
                step(len(batch))
    finally:
        run.close()
    return result


class _Run:
    """The statements of one `match_rules` call, each on its worker thread's own cursor."""

    def __init__(self, connect: Callable[[], duckdb.DuckDBPyConnection], table: str) -> None:
        self._connect = connect
        self._table = table
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._opening = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._opening:
                cursor = self._local.cursor = self._connect()
                self._cursors.append(cursor)
            cursor.execute("PRAGMA disable_optimizer")
        return cursor

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()

    def rows(self, within: str) -> str:
        return f"{self._table} WHERE {within}" if within else self._table

    def count_terms(
        self, pool: ThreadPoolExecutor, terms: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], int]:
        """Rows satisfying each (term, within): `within` is a group's first term ('' = all).

        A term DuckDB cannot evaluate on its own counts as present: its rule then runs whole
        and reports its own error.
        """
        by_group: dict[str, list[str]] = defaultdict(list)
        for term, within in terms:
            by_group[within].append(term)
        jobs = [
            (within, chunk[i : i + TERMS_PER_STATEMENT])
            for within, chunk in by_group.items()
            for i in range(0, len(chunk), TERMS_PER_STATEMENT)
        ]

        def count(job: tuple[str, list[str]]) -> dict[tuple[str, str], int]:
            within, chunk = job
            counts = ", ".join(f"count_if({term})" for term in chunk)
            try:
                row = self.cursor().execute(f"SELECT {counts} FROM {self.rows(within)}").fetchone()
            except duckdb.Error:
                if len(chunk) == 1:
                    return {(chunk[0], within): 1}
                return {k: v for term in chunk for k, v in count((within, [term])).items()}
            return {(term, within): int(n or 0) for term, n in zip(chunk, row or (), strict=True)}

        found: dict[tuple[str, str], int] = {}
        for part in pool.map(count, jobs):
            found.update(part)
        return found

    def batch(self, within: str, rules: list[_Rule]) -> tuple[dict[str, list[str]], dict[str, str]]:
        """Matching event ids of each rule in one statement; on failure, rule by rule."""
        terms = [[t for t in rule.terms if t != within] for rule in rules]
        source = self.rows(within)
        lowered = lowered_document([t for each in terms for t in each])
        if lowered is not None:  # the keyword tests, over the documents lower-cased once
            source = f"(SELECT *, lower(CAST(doc AS VARCHAR)) AS {LOWERED_DOCUMENT} FROM {source})"
            at = iter(lowered)
            terms = [[next(at) for _ in each] for each in terms]
        cases = ", ".join(
            f"CASE WHEN {_cheap_first(each)} THEN {i} END" for i, each in enumerate(terms)
        )
        sql = (
            f"SELECT event_id, _m FROM (SELECT event_id, list_filter([{cases}], "
            f"lambda _x: _x IS NOT NULL) AS _m FROM {source}) WHERE len(_m) > 0"
        )
        try:
            rows = self.cursor().execute(sql).fetchall()
        except duckdb.Error as exc:
            if len(rules) == 1:
                return {}, {rules[0].key: str(exc)}
            matches: dict[str, list[str]] = {}
            errors: dict[str, str] = {}
            for rule in rules:
                found, failed = self.batch(within, [rule])
                matches.update(found)
                errors.update(failed)
            return matches, errors
        matches = defaultdict(list)
        for event_id, indexes in rows:
            for i in indexes:
                matches[rules[i].key].append(event_id)
        return dict(matches), {}


def _guards(rules: list[_Rule]) -> list[str]:
    """The short terms after the first (the group's), each once."""
    return list(dict.fromkeys(t for r in rules for t in r.terms[1:] if len(t) <= GUARD_MAX_CHARS))


def _batches(rules: list[_Rule]) -> list[list[_Rule]]:
    """Consecutive rules, up to `STATEMENT_CHARS` of SQL per batch (a longer rule alone)."""
    batches: list[list[_Rule]] = []
    size = 0
    for rule in rules:
        if not batches or size + len(rule.where) > STATEMENT_CHARS:
            batches.append([])
            size = 0
        batches[-1].append(rule)
        size += len(rule.where)
    return batches


def _cheap_first(terms: list[str]) -> str:
    """The AND of the terms, shortest first: without the optimizer DuckDB evaluates them in the
    order written, each only on the rows the earlier ones kept. The group's own term is left
    out by the caller (the statement's WHERE holds it)."""
    return " AND ".join(f"({term})" for term in sorted(terms, key=len)) or "TRUE"
