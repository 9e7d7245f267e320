"""Keyword tests over a lower-cased copy of the document, for statements with many of them.

A Sigma keyword searches the whole event: the backend writes `CAST(doc AS VARCHAR) ILIKE
'%text%' ESCAPE '\\'` (`soc.rules.backend.DOCUMENT_TEXT`), and DuckDB lower-cases the document
again for each one. A statement with a list of them (antivirus detection keywords: 90 on the
Application channel) costs that many passes over every document of its rows. DuckDB defines
ILIKE as LIKE over both sides lower-cased, so the same tests over `lower()` of the document,
computed once per row, are the same tests; a pattern that is only a text between `%`s is then
`contains()`, DuckDB's plain substring search. On the EVTX samples, that statement over its
2,362 rows, same run: ILIKE 0.28 s, LIKE over the lower-cased copy 0.12 s, `contains()` 0.06 s,
of which lower-casing the documents 0.015 s; the copy is only worth it past a few tests
(`MIN_TESTS`).

Only patterns in ASCII are rewritten: their lower case is ASCII's in every library, so Python
lower-cases them exactly as DuckDB would; any other stays an ILIKE.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

LOWERED_DOCUMENT = "_soc_lowered_document"
"""The column a rewritten statement's rows carry: `lower(CAST(doc AS VARCHAR))`."""
MIN_TESTS = 8
"""Keyword tests in a statement from which lower-casing its documents once costs less than
the ILIKEs (one lower-casing cost about five ILIKE passes in the measurement above)."""

_DOCUMENT_ILIKE = re.compile(r"CAST\(doc AS VARCHAR\) ILIKE '((?:[^']|'')*)' ESCAPE '\\'")
_TOKEN = re.compile(r"\\.|.", re.DOTALL)
_ESCAPABLE = frozenset({"\\\\", "\\%", "\\_"})


def lowered_document(terms: Sequence[str]) -> list[str] | None:
    """The terms with their ASCII keyword tests reading `LOWERED_DOCUMENT`; None when they
    have fewer than `MIN_TESTS` of them (the statement is better left as it is)."""
    if sum(len(_DOCUMENT_ILIKE.findall(term)) for term in terms) < MIN_TESTS:
        return None
    return [_DOCUMENT_ILIKE.sub(_test, term) for term in terms]


def _test(match: re.Match[str]) -> str:
    pattern = match.group(1)
    tokens = _TOKEN.findall(pattern.lower())
    if not pattern.isascii() or tokens[-1:] == ["\\"]:
        return match.group(0)  # DuckDB's own lower case, or its error (a trailing escape)
    inner = tokens[1:-1]
    if (
        len(tokens) >= 2
        and tokens[0] == tokens[-1] == "%"
        and not any(t in ("%", "_") or (len(t) == 2 and t not in _ESCAPABLE) for t in inner)
    ):
        return f"contains({LOWERED_DOCUMENT}, '{''.join(t[-1] for t in inner)}')"
    return f"{LOWERED_DOCUMENT} LIKE '{pattern.lower()}' ESCAPE '\\'"
