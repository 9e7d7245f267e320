"""Top-level AND terms of compiled conditions: the pruning of the hunt relies on each term being
implied by the whole condition, so every case where AND is *not* a conjunction is checked here,
and each split is checked against DuckDB's own evaluation of the condition."""

from __future__ import annotations

import duckdb
import pytest

from soc.storage.conjuncts import conjuncts


@pytest.mark.parametrize(
    ("condition", "terms"),
    [
        ("a = 1 AND b = 2", ["a = 1", "b = 2"]),
        ("(a = 1 AND (b = 2 AND c = 3))", ["a = 1", "b = 2", "c = 3"]),
        ("((a = 1)) AND ((b = 2))", ["a = 1", "b = 2"]),
        ("a = 'x AND y' AND b = 2", ["a = 'x AND y'", "b = 2"]),
        ("a = 'it''s AND' AND b = 2", ["a = 'it''s AND'", "b = 2"]),
        ('"col AND x" = 1 AND b = 2', ['"col AND x" = 1', "b = 2"]),
        ("n BETWEEN 1 AND 5 AND b = 2", ["n BETWEEN 1 AND 5", "b = 2"]),
        ("CASE WHEN a AND b THEN 1 END = 1 AND c", ["CASE WHEN a AND b THEN 1 END = 1", "c"]),
        ("NOT coalesce(a AND b, FALSE) AND c", ["NOT coalesce(a AND b, FALSE)", "c"]),
        (
            "list_transform([x], lambda _s: _s AND y)[1] AND z",
            ["list_transform([x], lambda _s: _s AND y)[1]", "z"],
        ),
        ("ends_with(android, 'x') AND band = 1", ["ends_with(android, 'x')", "band = 1"]),
        ("event_ingested > $after AND b", ["event_ingested > $after", "b"]),
    ],
)
def test_splits_only_real_conjunctions(condition: str, terms: list[str]) -> None:
    assert conjuncts(condition) == tuple(terms)


@pytest.mark.parametrize(
    "condition",
    [
        "a = 1 AND b = 2 OR c = 3",  # an OR at the top: the whole is a disjunction
        "(a = 1) OR (b = 2 AND c = 3)",
        "a = 1 AND (b = 2",  # unbalanced: not understood, kept whole
        "a = 'unterminated AND b",
        "a = 1 -- AND b = 2",
        "x = 1",
    ],
)
def test_anything_else_stays_one_term(condition: str) -> None:
    assert conjuncts(condition) == (condition,)


def test_every_term_is_implied_by_the_condition() -> None:
    """Over every combination of inputs, a row satisfying the condition satisfies each term,
    and the AND of the terms is the condition (SQL's three-valued logic included)."""
    conditions = [
        "a AND b AND NOT coalesce(c OR d, FALSE)",
        "(a OR b) AND (c AND (d OR a))",
        "a AND b OR c AND d",
        "CASE WHEN a AND b THEN c END AND d",
        "n BETWEEN 1 AND 2 AND a",
    ]
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT a, b, c, d, n FROM "
        "(SELECT unnest([TRUE, FALSE, NULL]) AS a), (SELECT unnest([TRUE, FALSE, NULL]) AS b), "
        "(SELECT unnest([TRUE, FALSE, NULL]) AS c), (SELECT unnest([TRUE, FALSE, NULL]) AS d), "
        "(SELECT unnest([0, 1, 3]) AS n)"
    )
    for condition in conditions:
        joined = " AND ".join(f"({t})" for t in conjuncts(condition))
        mismatched = con.execute(
            f"SELECT count(*) FROM t WHERE ({condition}) IS DISTINCT FROM ({joined})"
        ).fetchone()
        assert mismatched == (0,), condition
