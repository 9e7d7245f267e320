"""Single-event rule conditions evaluated in Python over a table's columns, for `soc hunt`.

Why this exists, against the project rule of not hand-writing what a library does: DuckDB
spends ~1.5 ms parsing, binding and planning each compiled rule before it reads a row, and a
hunt plans hundreds of them. `soc.storage.rule_batch` already plans only the rules whose log
source and short terms have rows, several per statement; on the SigmaHQ Windows rules over the
16,801 EVTX sample events that was still 937 rules planned, 1.72 s of a 3.9 s hunt (guard counts
0.55 s, statements 1.17 s), nearly all of it planning (`bench/bench_hunt.py`, one run). The
conditions themselves are few, regular shapes written by our own backend, and text columns of
evidence files hold few distinct values, so this module evaluates them itself (figures after,
same run: `bench/README.md`):

- a condition is parsed into a tree (`soc.storage.condition_tree`, strict: any shape it does not
  know leaves the rule to DuckDB, through `rule_batch`, so nothing is lost or reinterpreted);
  rules are grouped by their first AND term (the log source) and only the groups some row
  satisfies are read further; a rule's other terms are evaluated shortest first, each seeing
  only the rows the earlier ones kept (one the parser does not know sends the rule to DuckDB
  only if rows reach it); the split and parsed terms depend only on the rules, so `soc hunt`
  keeps them with the compiled rules (`ParsedRules`) instead of parsing in every hunt;
- the flat columns the rules read are the hunt's in-memory Arrow columns
  (`soc.storage.hunt_load.TextColumns`), the typed text columns are fetched from DuckDB; a
  chunk of rows at a time, each column is dictionary-encoded: each test (atom) runs once per
  distinct value of the chunk, not per row, and an atom shared by many rules runs once;
- `=`/`IN` are dictionary look-ups; the texts of `contains`/`starts_with`/`ends_with` and of
  regular expressions that are only literal alternatives with `^`/`$` anchors (what the backend
  writes for value lists) are all found in one Aho-Corasick pass (`pyahocorasick`) per column
  over its values joined by NUL (code points: the same result as DuckDB's bytes over UTF-8);
  measured on the same samples, one `str.find` scan per text cost ~0.7 s, the automaton
  ~0.06 s for every column; other regular expressions and `LIKE` (translated, `%`, `_` = one
  character, `ESCAPE`) run in Arrow's RE2, the engine and default options DuckDB uses;
  `lower()` of a column (and a lower-cased column the rules name) is computed here on the
  chunk's distinct values, with DuckDB's meaning: ASCII values by Arrow's `ascii_lower` (DuckDB
  too maps only A-Z there), any other value, and `lower()` of a literal, asked of DuckDB once
  per run (Unicode case mappings differ between libraries and their versions);
- SQL's three-valued logic is kept as two masks per node, TRUE and FALSE (neither = NULL), so
  `NOT`, `coalesce(x, FALSE)` and `IS NULL` mean what they mean in DuckDB.

`tests/unit/hunt/test_rule_eval.py` checks the evaluator against DuckDB on random strings and on
the real rules over real EVTX files.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import ahocorasick
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from soc.storage.condition_tree import (
    And,
    Atom,
    Atoms,
    Const,
    FalseIfNull,
    Node,
    Not,
    Or,
    UnlessList,
    Unsupported,
    parse,
)
from soc.storage.conjuncts import conjuncts
from soc.storage.hunt_load import TextColumns

CHUNK_ROWS = 65_536
"""Rows evaluated at a time: their columns and per-value results are all that is held."""

_Masks = tuple[np.ndarray, np.ndarray]  # TRUE, FALSE per row (neither: NULL)
_LITERAL = r"'([^']*(?:''[^']*)*)'"
_LOWER_LITERAL = re.compile(r"lower\(" + _LITERAL + r"\)")
_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")


class _NeedsDuckDB(Exception):
    """Raised while evaluating: the rule has a shape or meets data the evaluator does not
    cover (a term the parser does not know, a JSON list): DuckDB runs it."""


@dataclass
class _Rule:
    key: str
    group: int  # index of its first AND term among the groups
    terms: list[str]  # the other terms, cheapest (shortest) first, parsed when reached


@dataclass
class Evaluated:
    """What the evaluator decided: matching event ids per rule it ran (table order), the rules
    it left to DuckDB (indexes into the rules given, ascending) and why, and `planned`: the
    rules no term ruled out, as `RuleMatches.planned` counts them (terms only see the rows the
    earlier ones kept, so these are the rules that matched)."""

    events: dict[str, list[str]]
    fallback: list[int]
    reasons: dict[int, str] = field(default_factory=dict)
    planned: int = 0


def evaluate_rules(
    cursor: duckdb.DuckDBPyConnection,
    text: TextColumns,
    keys: Sequence[str],
    conditions: Sequence[str],
    *,
    parsed: ParsedRules | None = None,
    chunk_rows: int = CHUNK_ROWS,
    on_step: Callable[[int], None] | None = None,
) -> Evaluated:
    """Evaluate each condition over the rows of `text` and the `events` table of `cursor`
    (the same rows in the same order: its text columns are read too).

    Rules are grouped by their first AND term (their log source, as in `rule_batch`); a group
    no row satisfies is settled without reading its rules further. The other terms of a rule
    are evaluated shortest first, each on the rows the earlier ones kept; a term of a shape the
    parser does not know sends its rule to DuckDB only when rows reach it. `parsed`: the
    conditions parsed beforehand (`parse_rules`, kept with the compiled rules), used when it
    was parsed for this table's columns; whatever it lacks is parsed here. `on_step(
    rules_settled)` reports progress; rules left to DuckDB are not counted.
    """
    run = _Run(cursor, text, parsed)
    result = Evaluated(events={}, fallback=[])
    groups: dict[str, int] = {}
    members: dict[int, list[int]] = defaultdict(list)
    split = run.parse(conditions)
    for index, terms in enumerate(split):
        first = terms[0] if len(terms) > 1 else ""
        members[groups.setdefault(first, len(groups))].append(index)
    group_trees = [run.tree(first) if first else Const(True) for first in groups]

    live = _live_groups(run, group_trees, list(groups), chunk_rows)
    settled = 0
    rules: list[_Rule] = []
    for group, indexes in members.items():
        if group_trees[group] is None:
            result.fallback.extend(indexes)
            result.reasons.update((i, run.failures.get(split[i][0], "")) for i in indexes)
        elif group not in live:
            result.events.update((keys[index], []) for index in indexes)
            settled += len(indexes)
        else:
            for index in indexes:
                terms = split[index]
                rest = sorted(terms[1:] if len(terms) > 1 else terms, key=len)
                rules.append(_Rule(keys[index], group, rest))
    if on_step is not None and settled:
        on_step(settled)

    matches: dict[str, list[str]] = {rule.key: [] for rule in rules}
    whole: set[str] = set()
    failed: dict[str, str] = {}
    if rules:
        sources = run.sources([*groups, *(t for rule in rules for t in rule.terms)])
        for ids, arrays in run.batches(sources, chunk_rows):
            chunk = _Chunk(run, len(ids), arrays)
            group_rows: dict[int, np.ndarray | str] = {}
            for group in {rule.group for rule in rules}:
                try:
                    group_rows[group] = chunk.rows(group_trees[group])  # type: ignore[arg-type]
                except _NeedsDuckDB as exc:
                    group_rows[group] = str(exc)
            for rule in rules:
                if rule.key in failed:
                    continue
                rows = group_rows[rule.group]
                try:
                    if isinstance(rows, str):
                        raise _NeedsDuckDB(rows)
                    for term in rule.terms:
                        if not len(rows):
                            break
                        rows = rows[chunk.eval(run.tree_or_raise(term), rows)[0]]
                    if len(rows):  # no term ruled it out
                        whole.add(rule.key)
                except _NeedsDuckDB as exc:
                    failed[rule.key] = str(exc)
                    continue
                if len(rows):
                    matches[rule.key].extend(ids.take(pa.array(rows)).to_pylist())
    index_of = {key: i for i, key in enumerate(keys)}
    for key, reason in failed.items():
        result.fallback.append(index_of[key])
        result.reasons[index_of[key]] = reason
    result.fallback.sort()
    for rule in rules:
        if rule.key not in failed:
            result.events[rule.key] = matches[rule.key]
    result.planned = len(whole - set(failed))
    if on_step is not None:
        on_step(settled + len(rules) - len(failed))
    return result


@dataclass
class ParsedRules:
    """The rule-only work of `evaluate_rules`, done once per compiled rule set: each
    condition split into AND terms, each term parsed, and what a term reads and searches for.
    It depends on the rules and the table's text columns (`columns`, the map the terms were
    parsed against), never on the events, so `soc hunt` keeps it with the compiled rules in
    its rule cache instead of redoing it per hunt (SigmaHQ Windows rules over the EVTX samples:
    the evaluator 0.9-1.2 s -> ~0.7 s, `bench/README.md`). Picklable; evaluation copies what it
    adds to, so one instance serves any number of hunts.
    """

    columns: dict[str, str]  # lower-cased column name -> source, as `_Run.columns`
    terms: dict[str, tuple[str, ...]]  # condition -> its AND terms (`conjuncts`)
    trees: dict[str, Node | None]  # term -> tree; None: the parser does not know it
    failures: dict[str, str]  # term -> why it is not parsed
    atoms: Atoms  # the atoms of the trees, interned (new terms' atoms get new slots)
    lowered: dict[str, str]  # DuckDB's lower() of the literals the terms lower
    reads: dict[str, _Reads]  # term -> the sources it reads and the texts it searches for
    shapes: dict[int, list[tuple[str, bool, bool]] | None]  # regex atom slot -> `_shapes`


def parse_rules(
    cursor: duckdb.DuckDBPyConnection, text: TextColumns, conditions: Sequence[str]
) -> ParsedRules:
    """Every term of `conditions` parsed for the text columns of `text` and of the `events`
    table of `cursor` (`evaluate_rules` takes the result as `parsed`)."""
    run = _Run(cursor, text)
    run.parse(conditions)
    return ParsedRules(
        run.columns,
        run.terms,
        run.trees,
        run.failures,
        run.atoms,
        run.lowered,
        run.reads,
        run.regex_shapes,
    )


_Reads = tuple[frozenset[str], tuple[tuple[str, str], ...]]
"""What a term needs of a chunk: the sources it reads, and (source, needle) per text it
searches for (found by the source's Aho-Corasick automaton)."""


class _Run:
    """What one `evaluate_rules` call shares between its rules and chunks: the text columns
    (as sources: a quoted column, or `lower()` of one), parsed terms (by their SQL) and what
    each reads, interned
    atoms, per source the texts searched for (an Aho-Corasick automaton finds all of them in
    one pass over a chunk's values), and DuckDB's `lower()` of the literals and non-ASCII
    values met. Seeded from `parsed` when that was parsed for the same columns."""

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        text: TextColumns,
        parsed: ParsedRules | None = None,
    ) -> None:
        self.cursor = cursor
        self.text = text
        self._stored = _stored_text_columns(cursor)
        names = [*self._stored, *text.names]
        self.columns = {name.lower(): _quote(name) for name in names}
        for name, sql in text.lowered.items():
            column = sql[1:-1].replace('""', '"') if sql.startswith('"') else sql
            if column.lower() in self.columns:
                self.columns[name.lower()] = f"lower({self.columns[column.lower()]})"
        names.extend(text.lowered)
        self._names = {name.lower(): name for name in names}
        self._fetched: dict[str, pa.ChunkedArray] = {}  # stored column -> its values
        self.needles: dict[str, dict[str, int]] = defaultdict(dict)
        self._automata: dict[str, ahocorasick.Automaton] = {}
        if parsed is not None and parsed.columns == self.columns:
            self.terms = dict(parsed.terms)
            self.trees = dict(parsed.trees)
            self.failures = dict(parsed.failures)
            self.atoms = parsed.atoms.copy()
            self.lowered = dict(parsed.lowered)
            self.reads = dict(parsed.reads)
            self.regex_shapes = dict(parsed.shapes)
        else:
            self.terms = {}
            self.trees = {}
            self.failures = {}
            self.atoms = Atoms()
            self.lowered = {}
            self.reads = {}
            self.regex_shapes = {}

    def parse(self, conditions: Sequence[str]) -> list[tuple[str, ...]]:
        """The AND terms of each condition, every term parsed (those not parsed before: a
        tree, or None and why in `failures`)."""
        split = []
        for condition in conditions:
            terms = self.terms.get(condition)
            if terms is None:
                terms = self.terms[condition] = conjuncts(condition)
            split.append(terms)
        new = list(dict.fromkeys(t for terms in split for t in terms if t not in self.trees))
        if new:
            self.lowered.update(_lowered_literals(self.cursor, "\n".join(new)))
            for term in new:
                self.tree(term)
        return split

    def tree(self, sql: str) -> Node | None:
        """The parsed term; None (and why in `failures`) when the parser does not know it."""
        if sql in self.trees:
            return self.trees[sql]
        try:
            node: Node | None = parse(sql, self.columns, self.atoms, self.lower_text)
        except Unsupported as exc:
            node = None
            self.failures[sql] = str(exc)
        self.trees[sql] = node
        if node is not None:
            self.reads[sql] = self._reads(node)
        return node

    def _reads(self, node: Node) -> _Reads:
        """The sources a tree reads and its texts to find, from the tree rather than a scan of
        the SQL: no column is fetched in vain, and every text searched in a source (`lower()`
        ones too) goes to its automaton instead of a scan of its own."""
        sources: set[str] = set()
        searches: dict[tuple[str, str], None] = {}

        def visit(node: Node) -> None:
            if isinstance(node, Atom) and node.op in ("any", "all"):
                for part in node.arg:  # type: ignore[attr-defined]
                    visit(part)  # of the same source, and may be `any`/`all` themselves
            elif isinstance(node, Atom):
                sources.add(node.source)
                for text, start, end in self.shapes(node) or ():
                    if text and "\0" not in text and not (start and end):
                        searches[node.source, _needle(text, start, end)] = None
            elif isinstance(node, UnlessList):
                sources.add(node.source)
                searches[node.source, _needle("[", True, False)] = None
                visit(node.test)
            elif isinstance(node, And | Or):
                for child in node.children:
                    visit(child)
            elif isinstance(node, Not | FalseIfNull):
                visit(node.child)

        visit(node)
        return frozenset(sources), tuple(searches)

    def shapes(self, atom: Atom) -> Sequence[tuple[str, bool, bool]] | None:
        """`_shapes(atom)`, a regular expression's remembered (per rule set, with `parsed`)."""
        if atom.op != "regex":
            return _shapes(atom)
        if atom.slot not in self.regex_shapes:
            self.regex_shapes[atom.slot] = literal_alternatives(str(atom.arg))
        return self.regex_shapes[atom.slot]

    def lower_text(self, text: str) -> str:
        try:
            return self.lowered[text]
        except KeyError:
            raise Unsupported(f"lower() of a literal not looked up: {text!r}") from None

    def tree_or_raise(self, sql: str) -> Node:
        node = self.tree(sql)
        if node is None:
            raise _NeedsDuckDB(self.failures[sql])
        return node

    def lower_values(self, values: pa.Array) -> pa.Array:
        """DuckDB's `lower()` of each of `values` (text, no NULL)."""
        lowered = pc.ascii_lower(values)
        other = pc.invert(pc.string_is_ascii(values))
        if not pc.any(other).as_py():
            return lowered
        texts = values.filter(other).to_pylist()
        self.lowered.update(_duckdb_lower(self.cursor, set(texts) - self.lowered.keys()))
        return pc.replace_with_mask(
            lowered, other, pa.array([self.lowered[t] for t in texts], pa.string())
        )

    def sources(self, terms: Iterable[str]) -> list[str]:
        """What to fetch for the parsed `terms` (the others need nothing: they send their
        rule to DuckDB when reached). The texts they search for are registered too."""
        found: set[str] = set()
        for term in terms:
            reads = self.reads.get(term)
            if reads is None:
                continue
            found |= reads[0]
            for source, needle in reads[1]:
                needles = self.needles[source]
                needles.setdefault(needle, len(needles))
        return sorted(found)

    def automaton(self, source: str) -> ahocorasick.Automaton | None:
        """An automaton finding every text registered for `source` (rebuilt if more were
        registered since); None if there are none."""
        needles = self.needles.get(source) or {}
        built = self._automata.get(source)
        if built is None or len(built) != len(needles):
            built = ahocorasick.Automaton()
            for needle, number in needles.items():
                built.add_word(needle, number)
            if needles:
                built.make_automaton()
            self._automata[source] = built
        return built if needles else None

    def batches(
        self, sources: Sequence[str], chunk_rows: int
    ) -> Iterator[tuple[pa.Array, dict[str, pa.Array]]]:
        """The event ids and the values of the columns the sources read (by quoted name),
        `chunk_rows` rows at a time, in table order."""
        quoted = {_unlowered(source) for source in sources}
        names = {self._names[_unquote(q).lower()]: q for q in quoted}
        stored = [name for name in names if name in self._stored]
        missing = [name for name in stored if name not in self._fetched]
        if missing:
            select = ", ".join(_quote(name) for name in missing)
            table = self.cursor.sql(
                f"SELECT {select} FROM events{rows_from(self.text.first_row)}"
            ).to_arrow_table()
            if table.num_rows != len(self.text):  # a bug of the store's, not a rule's
                raise ValueError("the stored table and the flat columns differ in rows")
            self._fetched.update(zip(missing, table.columns, strict=True))
        flat = [name for name in names if name not in self._stored]
        for start, chunk in zip(
            itertools.count(0, chunk_rows), self.text.chunks(flat, chunk_rows), strict=False
        ):
            arrays = {names[name]: chunk[name] for name in flat}
            for name in stored:
                arrays[names[name]] = self._fetched[name].slice(start, chunk_rows).combine_chunks()
            yield chunk[TextColumns.ID], arrays


def rows_from(row: int) -> str:
    """The clause that skips the stored table's rows before `row`: they were appended in
    order and never deleted, so a row's `rowid` is its position, the flat columns' order."""
    return f" WHERE rowid >= {int(row)}" if row else ""


def _needle(text: str, start: bool, end: bool) -> str:
    """What to find in the values joined by NUL: NUL marks a value's start or end."""
    return ("\0" if start else "") + text + ("\0" if end else "")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unquote(quoted: str) -> str:
    return quoted[1:-1].replace('""', '"')


def _unlowered(source: str) -> str:
    """The quoted column a source reads (`lower()` taken off, however many times)."""
    while source.startswith("lower("):
        source = source[6:-1]
    return source


def _stored_text_columns(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    rows = cursor.execute(
        "SELECT column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name = 'events' AND data_type = 'VARCHAR'"
    ).fetchall()
    return {name for (name,) in rows}


def _lowered_literals(cursor: duckdb.DuckDBPyConnection, text: str) -> dict[str, str]:
    """DuckDB's `lower()` of every `lower('...')` literal in `text`."""
    return _duckdb_lower(cursor, {m.replace("''", "'") for m in _LOWER_LITERAL.findall(text)})


def _duckdb_lower(cursor: duckdb.DuckDBPyConnection, texts: Iterable[str]) -> dict[str, str]:
    """DuckDB's `lower()` of each text, in one statement."""
    listed = sorted(texts)
    if not listed:
        return {}
    rows = cursor.execute(
        "SELECT list_transform(?::VARCHAR[], lambda x: lower(x))", [listed]
    ).fetchall()
    return dict(zip(listed, rows[0][0], strict=True))


def _live_groups(
    run: _Run, trees: list[Node | None], terms: Sequence[str], chunk_rows: int
) -> set[int]:
    """Groups whose first term some row satisfies. A first term that meets a JSON list is
    set to None in `trees`: its rules go to DuckDB."""
    wanted = [i for i, node in enumerate(trees) if node is not None]
    sources = run.sources(terms[i] for i in wanted)
    if not sources:
        return set(wanted)
    live: set[int] = set()
    for ids, arrays in run.batches(sources, chunk_rows):
        chunk = _Chunk(run, len(ids), arrays)
        for group in wanted:
            node = trees[group]
            if group in live or node is None:
                continue
            try:
                if chunk.eval(node, chunk.all_rows)[0].any():
                    live.add(group)
            except _NeedsDuckDB as exc:
                trees[group] = None
                run.failures[terms[group]] = str(exc)
        if len(live) == sum(trees[group] is not None for group in wanted):
            break
    return live


class _Column:
    """One value source over a chunk, dictionary-encoded: row -> code (-1: NULL) -> value."""

    def __init__(self, codes: np.ndarray, dictionary: pa.Array) -> None:
        self.codes = codes
        self.dictionary = dictionary
        self.size = len(self.dictionary)
        self._values: list[str] | None = None
        self._index: dict[str, int] | None = None
        self._joined: tuple[str, list[int]] | None = None
        # the codes of the values holding each registered text: codes[bounds[n]:bounds[n + 1]]
        self._found: tuple[np.ndarray, list[int]] | None = None
        self.listed: np.ndarray | None = None  # per value: starts with '['

    @classmethod
    def encode(cls, array: pa.Array) -> _Column:
        encoded = array.dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return cls(codes, encoded.dictionary)

    def lowered(self, lower: Callable[[pa.Array], pa.Array]) -> _Column:
        """This column's values through `lower`, distinct again (two values may lower alike)."""
        if not self.size:
            return _Column(self.codes, self.dictionary)
        folded = lower(self.dictionary).dictionary_encode()
        remap = folded.indices.to_numpy(zero_copy_only=False)
        return _Column(np.where(self.codes >= 0, remap[self.codes], -1), folded.dictionary)

    @property
    def values(self) -> list[str]:
        if self._values is None:
            self._values = self.dictionary.to_pylist()
        return self._values

    def equal(self, texts: Iterable[str]) -> np.ndarray:
        """Per value: equal to one of `texts`."""
        if self._index is None:
            self._index = {value: code for code, value in enumerate(self.values)}
        found = np.zeros(self.size, dtype=bool)
        for text in texts:
            code = self._index.get(text)
            if code is not None:
                found[code] = True
        return found

    def joined(self) -> tuple[str, list[int]]:
        """The values joined by NUL (with one before and after), and where each starts; ('',
        []) when a value holds NUL itself."""
        if self._joined is None:
            values = self.values
            if any("\0" in value for value in values):
                self._joined = ("", [])
            else:
                starts, position = [], 1
                for value in values:
                    starts.append(position)
                    position += len(value) + 1
                self._joined = ("\0" + "\0".join(values) + "\0", starts)
        return self._joined

    def find(self, run: _Run, source: str, text: str, start: bool, end: bool) -> np.ndarray:
        """Per value: `text` inside it (at its start with `start`, at its end with `end`)."""
        return self.find_any(run, source, ((text, start, end),))

    def find_any(
        self, run: _Run, source: str, shapes: Iterable[tuple[str, bool, bool]]
    ) -> np.ndarray:
        """Per value: one of the (text, at start, at end) inside it. Texts registered for the
        source come from one Aho-Corasick pass over the chunk's values (`_hits`)."""
        found = np.zeros(self.size, dtype=bool)
        equal: list[str] = []
        slices: list[np.ndarray] = []
        for text, start, end in shapes:
            if start and end:
                equal.append(text)
                continue
            if not text:
                return np.ones(self.size, dtype=bool)
            joined, starts = self.joined()
            if "\0" in text or (self.size and not starts):
                found |= self._each(text, start, end)
                continue
            needle = _needle(text, start, end)
            number = run.needles.get(source, {}).get(needle)
            hits = self._hits(run, source) if number is not None else None
            if hits is not None and number + 1 < len(hits[1]):  # type: ignore[operator]
                codes, bounds = hits
                slices.append(codes[bounds[number] : bounds[number + 1]])  # type: ignore[index]
            else:  # a text not registered: a scan of its own
                found |= self._scan(needle, joined, starts)
        if equal:
            found |= self.equal(equal)
        if slices:
            found[np.concatenate(slices)] = True
        return found

    def _hits(self, run: _Run, source: str) -> tuple[np.ndarray, list[int]]:
        """The codes of the values holding each registered text of the source, in one pass:
        text n is in values codes[bounds[n]:bounds[n + 1]]."""
        if self._found is None:
            joined, starts = self.joined()
            automaton = run.automaton(source)
            hits = list(automaton.iter(joined)) if automaton is not None else []
            if hits:
                pairs = np.array(hits, dtype=np.int64)
                codes = np.searchsorted(np.array(starts), pairs[:, 0], side="right") - 1
                order = np.argsort(pairs[:, 1], kind="stable")
                bounds = np.searchsorted(pairs[order, 1], np.arange(len(automaton) + 1))
                self._found = (codes[order], bounds.tolist())
            else:
                self._found = (np.zeros(0, np.int64), [0] * (len(run.needles[source]) + 1))
        return self._found

    def _scan(self, needle: str, joined: str, starts: list[int]) -> np.ndarray:
        found = np.zeros(self.size, dtype=bool)
        last = len(starts) - 1
        at = joined.find(needle)
        while at >= 0:  # `at + 1`: a text found at a value's start begins at the NUL before it
            code = bisect.bisect_right(starts, at + 1) - 1
            found[code] = True
            if code == last:
                break
            at = joined.find(needle, starts[code + 1] - 1)
        return found

    def _each(self, text: str, start: bool, end: bool) -> np.ndarray:
        """Value by value, for a text or values holding NUL."""
        if start:
            return np.array([v.startswith(text) for v in self.values], dtype=bool)
        if end:
            return np.array([v.endswith(text) for v in self.values], dtype=bool)
        return np.array([text in v for v in self.values], dtype=bool)

    def search(self, pattern: str) -> np.ndarray:
        """Per value: the RE2 pattern found in it (Arrow's RE2, the engine DuckDB uses)."""
        # Arrow compiles the pattern only for a value; DuckDB rejects a bad one even with none
        values = self.dictionary if self.size else pa.array([""], pa.string())
        try:
            found = pc.match_substring_regex(values, pattern=pattern)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise _NeedsDuckDB(str(exc)) from exc
        return found.to_numpy(zero_copy_only=False).astype(bool, copy=False)[: self.size]


class _Chunk:
    """A chunk of rows, and the per-value results of atoms over it."""

    def __init__(self, run: _Run, size: int, arrays: dict[str, pa.Array]) -> None:
        self.run = run
        self.size = size
        self.all_rows = np.arange(self.size)
        self._arrays = arrays  # quoted column name -> values
        self._columns: dict[str, _Column] = {}
        self._results: dict[int, np.ndarray] = {}  # atom slot -> per value of its source

    def column(self, source: str) -> _Column:
        column = self._columns.get(source)
        if column is None:
            if source.startswith("lower(lower("):
                raise _NeedsDuckDB(f"lower() of a lower-cased value: {source}")
            if source.startswith("lower("):
                column = self.column(source[6:-1]).lowered(self.run.lower_values)
            else:
                array = self._arrays.get(source)
                if array is None:
                    raise _NeedsDuckDB(f"not fetched: {source}")
                column = _Column.encode(array)
            self._columns[source] = column
        return column

    def rows(self, node: Node) -> np.ndarray:
        """The rows where `node` is TRUE."""
        return np.flatnonzero(self.eval(node, self.all_rows)[0])

    def eval(self, node: Node, rows: np.ndarray) -> _Masks:
        """TRUE and FALSE masks of `node` over `rows` (positions in the chunk, ascending)."""
        if isinstance(node, Atom):
            return self._atom(node, rows)
        if isinstance(node, And):
            return self._connective(node.children, rows, decisive=False)
        if isinstance(node, Or):
            return self._connective(node.children, rows, decisive=True)
        if isinstance(node, Not):
            true, false = self.eval(node.child, rows)
            return false, true
        if isinstance(node, FalseIfNull):
            true, _ = self.eval(node.child, rows)
            return true, ~true
        if isinstance(node, UnlessList):
            column = self.column(node.source)
            if column.listed is None:
                column.listed = column.find(self.run, node.source, "[", True, False)
            codes = column.codes[rows]
            if column.listed.any() and column.listed[codes[codes >= 0]].any():
                raise _NeedsDuckDB(f"a JSON list in {node.source}")
            return self.eval(node.test, rows)
        if isinstance(node, Const):
            full = np.full(len(rows), node.value)
            return full, ~full
        raise TypeError(node)

    def _connective(self, children: Sequence[Node], rows: np.ndarray, *, decisive: bool) -> _Masks:
        """AND (`decisive` False: a FALSE child decides) or OR (a TRUE child decides). Each
        child only sees the rows not decided yet."""
        decided = np.zeros(len(rows), dtype=bool)
        unknown = np.zeros(len(rows), dtype=bool)  # some child was NULL
        open_ = np.arange(len(rows))
        for child in children:
            true, false = self.eval(child, rows[open_])
            decides = true if decisive else false
            decided[open_[decides]] = True
            unknown[open_[~(true | false)]] = True
            open_ = open_[~decides]
            if not len(open_):
                break
        other = ~decided & ~unknown
        return (decided, other) if decisive else (other, decided)

    def _atom(self, atom: Atom, rows: np.ndarray) -> _Masks:
        column = self.column(atom.source)
        codes = column.codes[rows]
        present = codes >= 0
        if atom.op == "null":
            return ~present, present
        per_value = self._cached(atom, column)
        if present.all():
            hits = per_value[codes]
            return hits, ~hits
        true = np.zeros(len(rows), dtype=bool)
        true[present] = per_value[codes[present]]
        return true, present & ~true

    def _cached(self, atom: Atom, column: _Column) -> np.ndarray:
        per_value = self._results.get(atom.slot)
        if per_value is None and not column.size and atom.op == "like":
            # no value to test: DuckDB checks a LIKE pattern only on a value (a regular
            # expression when it binds: that one is compiled here whatever the values)
            per_value = self._results[atom.slot] = np.zeros(0, dtype=bool)
        if per_value is None:
            per_value = self._results[atom.slot] = self._per_value(atom, column)
        return per_value

    def _per_value(self, atom: Atom, column: _Column) -> np.ndarray:
        """The atom's result for each distinct value of its source."""
        op, arg, source = atom.op, atom.arg, atom.source
        if op == "any" or op == "all":
            if op == "any":  # texts to find, all at once
                shapes = [self.run.shapes(part) for part in arg]  # type: ignore[union-attr]
                if all(shape is not None for shape in shapes):
                    return column.find_any(self.run, source, itertools.chain(*shapes))  # type: ignore[arg-type]
            parts = [self._cached(part, column) for part in arg]  # type: ignore[union-attr]
            return np.logical_or.reduce(parts) if op == "any" else np.logical_and.reduce(parts)
        if op == "eq":
            return column.equal((str(arg),))
        if op == "in":
            return column.equal(arg)  # type: ignore[arg-type]
        shapes = self.run.shapes(atom)
        if shapes is not None:
            return column.find_any(self.run, source, shapes)
        if op == "regex":
            return column.search(str(arg))
        if op == "like":
            pattern, escape = arg  # type: ignore[misc]
            try:
                return column.search(like_re2(pattern, escape))
            except Unsupported as exc:
                raise _NeedsDuckDB(str(exc)) from exc
        raise TypeError(op)


def _shapes(atom: Atom) -> Sequence[tuple[str, bool, bool]] | None:
    """The atom as texts to find, (text, at start, at end): `contains`, `starts_with`,
    `ends_with`, `=`, `IN`, and regular expressions of literal alternatives; None otherwise."""
    op, arg = atom.op, atom.arg
    if op == "contains" or op == "starts" or op == "ends" or op == "eq":
        return ((str(arg), op in ("starts", "eq"), op in ("ends", "eq")),)
    if op == "in":
        return [(text, True, True) for text in arg]  # type: ignore[attr-defined]
    if op == "regex":
        return literal_alternatives(str(arg))
    return None


@functools.lru_cache(maxsize=16_384)
def literal_alternatives(pattern: str) -> list[tuple[str, bool, bool]] | None:
    """(text, anchored at start, anchored at end) per alternative when `pattern` is only
    alternatives of literal text, each optionally between `^` and `$`: RE2 finds such a
    pattern exactly where one of the texts is (`$` is the end of the text in RE2). None for
    any other pattern (a class, a repeat, a group, an escape other than a special character,
    a flag).

    One `re` match per alternative: the backend writes value lists of hundreds of them, and a
    character-by-character walk in Python cost ~0.6 s for the SigmaHQ Windows rules."""
    found: list[tuple[str, bool, bool]] = []
    at = 0
    while True:
        match = _ALTERNATIVE.match(pattern, at)
        if match is None:
            return None
        start, body, end, bar = match.groups()
        if "\\" in body:
            body = _ESCAPED.sub(r"\1", body)
        found.append((body, bool(start), bool(end)))
        if not bar:
            return found
        at = match.end()


_SPECIAL_CLASS = "".join("\\" + c for c in sorted(_RE2_SPECIAL))
_ALTERNATIVE = re.compile(
    rf"(\^?)((?:[^{_SPECIAL_CLASS}]|\\[{_SPECIAL_CLASS}])*)(\$?)(?:(\|)|\Z)", re.DOTALL
)
"""One alternative of literal text: `^`, the text (a special character only escaped), `$`,
then `|` or the end of the pattern."""
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def like_re2(pattern: str, escape: str) -> str:
    """A SQL LIKE pattern as an anchored RE2 pattern: `%` any text, `_` one character, the
    escape character making the next one literal (DuckDB has none unless `ESCAPE` names one,
    and rejects a pattern ending in it; so does this, with `Unsupported`)."""
    out: list[str] = ["^"]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if escape and char == escape:
            if i + 1 >= len(pattern):
                raise Unsupported("LIKE pattern ends with its escape character")
            char = pattern[i + 1]
            i += 1
        elif char == "%":
            out.append("(?s:.*)")
            i += 1
            continue
        elif char == "_":
            out.append("(?s:.)")
            i += 1
            continue
        if char == "\0":
            raise Unsupported("NUL in a LIKE pattern")
        out.append("\\" + char if char.isascii() and not char.isalnum() else char)
        i += 1
    out.append("$")
    return "".join(out)
