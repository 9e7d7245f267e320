"""The Python rule evaluator against DuckDB: same rows for the same SQL on the same table.

Random tables and conditions (Unicode, LIKE wildcards, backslashes, quotes, NULLs, empty
strings), the three-valued cases spelled out, and every SigmaHQ Windows rule over the real
EVTX samples, each rule's events compared with what `rule_batch` (DuckDB) finds. DuckDB reads
one table holding every column; the evaluator the same values split as in a hunt: a flat
column in memory (`TextColumns`, in several batches), a column stored in DuckDB, and
lower-cased copies of both that it lowers itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soc.detection.hunt import HuntRules
from soc.detection.prefilter import split_conditions
from soc.model.event import Event
from soc.storage.condition_tree import Atoms, Unsupported, parse
from soc.storage.hunt_load import TextColumns
from soc.storage.hunt_store import HuntEventStore
from soc.storage.rule_batch import RuleCondition, match_rules
from soc.storage.rule_eval import (
    Evaluated,
    _Run,
    evaluate_rules,
    like_re2,
    literal_alternatives,
)

ALPHABET = "aAbB_%\\'\"[]. éÉ€\n|$^*()İ𝔸ΣẞǅK"
texts = st.text(alphabet=ALPHABET, max_size=6)
cells = st.one_of(st.none(), texts)
COLUMNS = ("a", "b", "lower(a)", "lower(b)")
BATCH_ROWS = 5
"""Rows per `TextColumns` batch in these tests: tables of more rows span batches."""


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Table:
    """The same rows twice: `db`, one DuckDB table with every column (what DuckDB reads), and
    as the hunt keeps them (what the evaluator reads): `a` a flat column in `text`, `b` stored
    in `stored`'s `events` with the ids, `lower(a)` and `lower(b)` nowhere but named."""

    def __init__(self, rows: Sequence[tuple[str | None, str | None]]) -> None:
        ids = [f"e{i}" for i in range(len(rows))]
        self.db = duckdb.connect()
        self.db.execute(
            "CREATE TABLE events (event_id VARCHAR, a VARCHAR, b VARCHAR, "
            '"lower(a)" VARCHAR, "lower(b)" VARCHAR)'
        )
        self.db.executemany(
            "INSERT INTO events VALUES (?, ?, ?, lower(?), lower(?))",
            [(i, a, b, a, b) for i, (a, b) in zip(ids, rows, strict=True)],
        )
        self.stored = duckdb.connect()
        self.stored.execute("CREATE TABLE events (event_id VARCHAR, b VARCHAR)")
        self.stored.executemany(
            "INSERT INTO events VALUES (?, ?)",
            [(i, b) for i, (_, b) in zip(ids, rows, strict=True)],
        )
        self.text = TextColumns(["a"], {"lower(a)": '"a"', "lower(b)": "b"})
        for start in range(0, len(rows), BATCH_ROWS):
            values = pa.array([a for a, _ in rows[start : start + BATCH_ROWS]], pa.string())
            columns = {"a": values} if values.null_count < len(values) else {}
            self.text.append(pa.array(ids[start : start + BATCH_ROWS]), columns)


def duckdb_rows(table: Table, where: str) -> list[str] | None:
    try:
        found = table.db.execute(f"SELECT event_id FROM events WHERE {where}").fetchall()
        return [r[0] for r in found]
    except duckdb.Error:
        return None  # DuckDB rejects it: the evaluator must leave it to DuckDB


def rejected(where: str) -> bool:
    """Whether DuckDB may fail on the condition: a regular expression RE2 rejects, or a LIKE
    pattern ending in its escape character (which fails only on the values that reach it;
    the evaluator leaves such a rule to DuckDB whatever the values)."""
    for pattern in re.findall(r"LIKE (?:lower\()?'((?:[^']|'')*)'\)? ESCAPE", where):
        try:
            like_re2(pattern.replace("''", "'"), "\\")
        except Unsupported:
            return True
    return duckdb_rows(Table([("x", "x")]), where) is None


@st.composite
def regexes(draw: st.DrawFn) -> str:
    """Literal alternations as the backend writes them, and real regular expressions."""
    if draw(st.booleans()):
        parts = []
        for text in draw(st.lists(texts, min_size=1, max_size=3)):
            escaped = "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in text)
            parts.append(
                ("^" if draw(st.booleans()) else "")
                + escaped
                + ("$" if draw(st.booleans()) else "")
            )
        return "|".join(parts)
    return draw(st.sampled_from(["a.b", "^[ab]+$", "(?i)ab", "é|€$", "\\.", "a\\b", "^$", ""]))


@st.composite
def atoms(draw: st.DrawFn) -> str:
    column = '"' + draw(st.sampled_from(COLUMNS)) + '"'
    value = quote(draw(texts))
    if draw(st.booleans()):  # lowered by DuckDB; searched for without the automaton
        value = f"lower({value})"
    kind = draw(st.sampled_from(["eq", "in", "contains", "starts", "ends", "re", "like", "null"]))
    if kind == "eq":
        return f"{column} = {value}"
    if kind == "in":
        return f"{column} IN ({', '.join(quote(t) for t in draw(st.lists(texts, min_size=1)))})"
    if kind in ("contains", "starts", "ends"):
        function = {"contains": "contains", "starts": "starts_with", "ends": "ends_with"}[kind]
        return f"{function}({column}, {value})"
    if kind == "re":
        return f"regexp_matches({column}, {quote(draw(regexes()))})"
    if kind == "like":
        escape = " ESCAPE '\\'" if draw(st.booleans()) else ""
        return f"{column} LIKE {value}{escape}"
    return f"{column} IS {'NOT ' if draw(st.booleans()) else ''}NULL"


conditions = st.recursive(
    atoms(),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: f"({p[0]} AND {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} OR {p[1]})"),
        inner.map(lambda c: f"NOT ({c})"),
        inner.map(lambda c: f"NOT coalesce({c}, FALSE)"),
    ),
    max_leaves=6,
)


def evaluate(table: Table, wheres: Sequence[str], **kwargs: int) -> Evaluated:
    keys = [f"r{i}" for i in range(len(wheres))]
    return evaluate_rules(table.stored, table.text, keys, wheres, **kwargs)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(cells, cells), min_size=1, max_size=12),
    wheres=st.lists(conditions, min_size=1, max_size=4),
    chunk=st.sampled_from([1, 3, 7, 1000]),
)
def test_random_conditions_match_duckdb(
    rows: list[tuple[str | None, str | None]], wheres: list[str], chunk: int
) -> None:
    db = Table(rows)
    # the same first term for some rules, as rules share their log source
    shared = "(\"b\" IS NULL OR \"a\" IN ('a', 'b', '') OR NOT \"b\" = 'zz')"
    wheres = [f"{shared} AND ({w})" for w in wheres] + wheres
    found = evaluate(db, wheres, chunk_rows=chunk)
    for i, where in enumerate(wheres):
        expected = duckdb_rows(db, where)
        if expected is None:
            assert i in found.fallback, where
        elif i in found.fallback:  # only what DuckDB rejects once it meets some value
            assert rejected(where), where
        else:
            assert found.events[f"r{i}"] == expected, where


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(cells, cells), min_size=1, max_size=12), where=conditions)
def test_every_generated_shape_is_evaluated_not_left_to_duckdb(
    rows: list[tuple[str | None, str | None]], where: str
) -> None:
    db = Table(rows)
    found = evaluate(db, [where])
    expected = duckdb_rows(db, where)
    if expected is None:
        assert found.fallback == [0]
    elif found.fallback:  # a pattern DuckDB rejects once it meets some value
        assert rejected(where), where
    else:
        assert found.fallback == []
        assert found.events["r0"] == expected


NULLS = [("x", None), (None, "y"), (None, None), ("x", "y"), ("", "")]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        # NOT of NULL is NULL: a row without the field does not match `NOT contains`
        ("NOT contains(\"a\", 'x')", ["e4"]),
        # unless the backend's coalesce makes a missing field "different"
        ("NOT coalesce(contains(\"a\", 'x'), FALSE)", ["e1", "e2", "e4"]),
        # NULL OR TRUE is TRUE; NULL OR FALSE is NULL
        ("\"a\" = 'x' OR \"b\" = 'y'", ["e0", "e1", "e3"]),
        ("NOT (\"a\" = 'x' OR \"b\" = 'y')", ["e4"]),
        # NULL AND FALSE is FALSE, so NOT of it is TRUE
        ("NOT (\"a\" = 'x' AND \"b\" = 'y')", ["e4"]),
        ('"a" IS NULL', ["e1", "e2"]),
        ('NOT "a" IS NULL AND "b" IS NOT NULL', ["e3", "e4"]),
        ("\"a\" = ''", ["e4"]),
        ("contains(\"a\", '')", ["e0", "e3", "e4"]),
        ("NOT coalesce(\"a\" IN ('x', ''), FALSE) AND \"b\" = 'y'", ["e1"]),
    ],
)
def test_three_valued_logic(where: str, expected: list[str]) -> None:
    db = Table(NULLS)
    assert duckdb_rows(db, where) == expected  # the cases say what DuckDB does
    found = evaluate(db, [where])
    assert found.fallback == []
    assert found.events["r0"] == expected


def test_a_json_list_in_a_column_leaves_the_rule_to_duckdb() -> None:
    where = (
        "CASE WHEN starts_with(\"a\", '[') AND json_type(doc, '$.a') = 'ARRAY' THEN "
        "list_bool_or(list_transform(json_extract_string(\"a\", '$[*]'), lambda _e: "
        "_e ILIKE '%x' ESCAPE '\\')) ELSE ends_with(\"lower(a)\", 'x') END"
    )
    plain = Table([("ax", None), ("b", None), (None, None)])
    found = evaluate(plain, [where])
    assert found.fallback == [] and found.events["r0"] == ["e0"]
    listed = Table([("ax", None), ('["ax"]', None)])
    assert evaluate(listed, [where]).fallback == [0]


def test_unknown_shapes_and_columns_are_left_to_duckdb() -> None:
    db = Table([("a", "b")])
    wheres = [
        "\"a\" <> 'x'",  # an operator the grammar does not have
        "lower(no_such_column) = 'x'",  # DuckDB reports the error
        'CAST("a" AS INTEGER) = 1',
        '"a" = 1',  # a number
        "\"a\" LIKE 'x\\' ESCAPE '\\'",  # DuckDB rejects a trailing escape
        "regexp_matches(\"a\", '(')",  # RE2 rejects it
    ]
    assert evaluate(db, wheres).fallback == list(range(len(wheres)))
    # over a column without values: DuckDB still rejects the regular expression, not the LIKE
    empty = Table([(None, "b")])
    assert duckdb_rows(empty, wheres[-1]) is None
    assert duckdb_rows(empty, wheres[-2]) == []
    assert evaluate(empty, wheres[-2:]).fallback == [1]


def test_literal_alternatives_and_like_translation() -> None:
    assert literal_alternatives("\\\\powershell\\.exe$|^c:\\\\x|plain text") == [
        ("\\powershell.exe", False, True),
        ("c:\\x", True, False),
        ("plain text", False, False),
    ]
    assert literal_alternatives("a.b") is None
    assert literal_alternatives("\\d") is None
    assert literal_alternatives("(?i)x") is None
    assert like_re2("a%b_\\%", "\\") == "^a(?s:.*)b(?s:.)\\%$"
    assert like_re2("a\\%", "") == "^a\\\\(?s:.*)$"
    with pytest.raises(Unsupported):
        like_re2("x\\", "\\")
    with pytest.raises(Unsupported):
        parse("\"a\" <> 'x'", {"a": '"a"'}, Atoms(), str.lower)


def test_lower_is_duckdbs_for_every_cased_character() -> None:
    """ASCII is lowered by Arrow, the rest asked of DuckDB: the same as DuckDB's `lower()`
    for every code point with a case mapping in Python's or DuckDB's tables, alone and in
    text (where Python's full mappings, e.g. of İ or ẞ, would differ)."""
    points = [chr(c) for c in range(0x30000) if not 0xD800 <= c < 0xE000]
    db = duckdb.connect()
    values = [
        c
        for c, lowered in zip(points, lower_in_duckdb(db, points), strict=True)
        if lowered != c or c.lower() != c
    ]
    assert len(values) > 1000
    values += [f"Ab{c}Z{c}" for c in values] + ["", "ASCII Only", "İSTANBUL ẞ Σ"]
    mine = _Run(db, TextColumns()).lower_values(pa.array(values, pa.string())).to_pylist()
    assert mine == lower_in_duckdb(db, values)


def lower_in_duckdb(db: duckdb.DuckDBPyConnection, values: list[str]) -> list[str]:
    found = db.execute("SELECT list_transform(?::VARCHAR[], lambda x: lower(x))", [values])
    return found.fetchall()[0][0]


@pytest.fixture(scope="module")
def sample_store(windows_hunt: HuntRules, evtx_events: list[Event]) -> Iterator[HuntEventStore]:
    store = HuntEventStore(columns=windows_hunt.columns, lowered=windows_hunt.lowered)
    store.write_batch(evtx_events)
    yield store
    store.close()


def test_sigmahq_rules_over_the_evtx_samples_match_duckdb_rule_by_rule(
    sample_store: HuntEventStore, windows_hunt: HuntRules
) -> None:
    rules, _ = split_conditions(windows_hunt.catalog.compiled, windows_hunt.frame)
    with sample_store._rules_table(rule.where for rule in rules) as database:
        expected = match_rules(sample_store._cursor, rules, table=f"{database}.events", threads=2)
    cursor = sample_store._cursor()
    try:  # chunks far smaller than the table: results are stitched across chunks
        found = evaluate_rules(
            cursor,
            sample_store.text,
            [r.key for r in rules],
            [r.where for r in rules],
            chunk_rows=4096,
        )
    finally:
        cursor.close()
    assert len(found.fallback) < len(rules) // 50  # the evaluator runs nearly all of them
    evaluated = [rule.key for rule in rules if rule.key in found.events]
    assert len(evaluated) == len(rules) - len(found.fallback)
    differing = [key for key in evaluated if found.events[key] != expected.events[key]]
    assert differing == []
    assert sum(len(found.events[key]) for key in evaluated) > 4000

    both = sample_store.match_rules(rules)
    assert both.events == expected.events  # evaluated + fallback = DuckDB alone, in order
    assert both.errors == expected.errors == {}
    # 5,449: five processes WmiPrvSE started in the WMI attack samples (wmiexec's cmd.exe
    # among them), found since `LogonId: null` needs both of its alternative fields absent.
    assert sum(map(len, both.events.values())) == 5449
    assert sum(1 for ids in both.events.values() if ids) == 228


def test_store_match_rules_reports_progress_up_to_every_rule(
    sample_store: HuntEventStore,
) -> None:
    rules = [
        RuleCondition("security", '"lower($.""winlog"".""channel"")" = \'security\''),
        RuleCondition("fallback", "event_module <> 'x'"),
        RuleCondition("absent", "event_module = 'none' AND event_code = '1'"),
    ]
    steps: list[int] = []
    found = sample_store.match_rules(rules, on_step=steps.append)
    assert steps == sorted(steps) and steps[-1] == len(rules)
    assert len(found.events["fallback"]) == sample_store.count()
    assert found.events["absent"] == []


def test_a_failing_evaluator_leaves_every_rule_to_duckdb(
    sample_store: HuntEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = [
        RuleCondition("security", '"lower($.""winlog"".""channel"")" = \'security\''),
        RuleCondition("absent", "event_module = 'none' AND event_code = '1'"),
    ]
    expected = sample_store.match_rules(rules)
    assert len(expected.events["security"]) > 100

    def failing(*args: object, **kwargs: object) -> None:
        raise duckdb.InvalidInputException("reading the columns failed")

    monkeypatch.setattr("soc.storage.hunt_store.evaluate_rules", failing)
    assert sample_store.match_rules(rules).events == expected.events
