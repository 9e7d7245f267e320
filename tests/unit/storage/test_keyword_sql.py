"""Keyword tests rewritten over a lower-cased copy of the document (`soc.storage.keyword_sql`)
mean what DuckDB's ILIKE means, row for row, on documents chosen to be awkward; and a
statement of `rule_batch` with many of them finds the rows the rules alone find."""

from __future__ import annotations

import random

import duckdb
import orjson
import pytest

from soc.storage.keyword_sql import LOWERED_DOCUMENT, MIN_TESTS, lowered_document
from soc.storage.rule_batch import RuleCondition, match_rules

PATTERNS = [
    "%Adfind%",
    "%asp/BACKDOOR %",
    "%-FilePath \\\\\\\\%",  # backslashes as the backend escapes them
    "%100\\%%",  # a literal %
    "%a\\_b%",  # a literal _
    "%a_b%",  # any one character
    "%Mimi%katz%",  # text in between
    "Start%",  # anchored at the start
    "%end",  # anchored at the end
    "%it''s%",  # a quote, doubled in SQL
    "%\\k%",  # an escape DuckDB allows before any character
    "%Ä%",  # not ASCII: left to DuckDB's ILIKE
    "%\u212a%",  # the Kelvin sign, lower-cased to k by DuckDB
    "%%",
]
PIECES = ["adfind", "ADFIND", "AsP/BackDoor ", "-filepath \\\\", "100%", "a_b", "aXb",
          "mimi", "KATZ", "start", "END", "it's", "k", "ä", "Ä", "\u212a", "İ", "ß", "\"", " ",
          "x"]  # fmt: skip


def ilike(pattern: str) -> str:
    return f"CAST(doc AS VARCHAR) ILIKE '{pattern}' ESCAPE '\\'"


def documents(count: int) -> list[str | None]:
    rng = random.Random(7)
    docs: list[str | None] = [None]
    for _ in range(count):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))
        docs.append(orjson.dumps({"message": text}).decode() if rng.random() < 0.7 else text)
    return docs


def test_each_rewritten_test_is_true_false_and_null_where_ilike_is() -> None:
    terms = [ilike(p) for p in PATTERNS]
    rewritten = lowered_document(terms)
    assert rewritten is not None
    assert "contains(" in rewritten[0] and rewritten[11] == terms[11]  # not ASCII: untouched
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS doc", [documents(3000)])
    before = con.execute(f"SELECT {', '.join(terms)} FROM t ORDER BY rowid").fetchall()
    after = con.execute(
        f"SELECT {', '.join(rewritten)} FROM (SELECT rowid AS r, *, "
        f"lower(CAST(doc AS VARCHAR)) AS {LOWERED_DOCUMENT} FROM t) ORDER BY r"
    ).fetchall()
    assert after == before
    assert any(any(row) for row in before)  # the documents do hold matches


def test_statements_with_few_keyword_tests_stay_as_they_are() -> None:
    assert lowered_document([ilike("%a%")] * (MIN_TESTS - 1)) is None
    assert lowered_document(["x = 'CAST(doc AS VARCHAR)'"]) is None


@pytest.mark.parametrize("threads", [1, 2])
def test_rules_with_many_keywords_match_the_rows_each_keyword_matches(threads: int) -> None:
    con = duckdb.connect()
    docs = documents(2000)
    con.execute(
        "CREATE TABLE events AS SELECT 'e' || lpad(CAST(i AS VARCHAR), 5, '0') AS event_id, "
        "d AS doc, CASE WHEN i % 3 = 0 THEN 'application' ELSE 'system' END AS channel "
        "FROM (SELECT unnest(range(?)) AS i, unnest(?::VARCHAR[]) AS d)",
        [len(docs), docs],
    )
    group = "channel = 'application'"
    keywords = " OR ".join(ilike(p) for p in PATTERNS)
    rules = [
        RuleCondition("many", f"{group} AND ({keywords})"),
        RuleCondition("many-and-more", f"{group} AND ({keywords}) AND {ilike('%a%')}"),
        RuleCondition("few", f"{group} AND {ilike('%adfind%')}"),
    ]
    found = match_rules(con.cursor, rules, threads=threads)
    assert not found.errors
    for rule in rules:
        expected = con.execute(
            f"SELECT event_id FROM events WHERE {rule.where} ORDER BY event_id"
        ).fetchall()
        assert sorted(found.events[rule.key]) == [e for (e,) in expected]
        assert expected  # something to find
