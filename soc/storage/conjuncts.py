"""Split a SQL condition into its top-level AND terms, so a batch of rules can be pruned early.

A row satisfies `a AND b AND c` only if it satisfies each term, so a term that no row satisfies
rules the whole condition out without evaluating the rest. Compiled Sigma rules start with their
log source (`winlog.channel = ... AND event.code = ...`), which is exactly such a term: over a
set of evidence files, most rules are for log sources that are not there.

A scanner rather than a parser: it tracks quotes, brackets, `CASE ... END` and `BETWEEN ... AND`,
which is all that decides whether an `AND` is top-level. Anything it does not understand makes it
return the whole condition as one term, which is always correct (just not prunable). One regular
expression finds the only tokens that matter, so a condition is scanned at C speed (the SigmaHQ
Windows rules are 3.5 MB of SQL).
"""

from __future__ import annotations

import functools
import re

_TOKENS = re.compile(
    r"""'[^']*(?:''[^']*)*'?"""  # a string literal (an unterminated one has no closing quote)
    r"""|"[^"]*(?:""[^"]*)*"?"""  # a quoted identifier (both unrolled: 10x faster in `re`)
    r"|--|/\*|\$\$"  # comments and dollar quoting: not understood
    r"|[()\[\]{}]"
    r"|(?<![\w$.])(?:AND|OR|CASE|END|BETWEEN)(?![\w$])",
    re.IGNORECASE,
)
_OPEN = "([{"
CACHED_CONDITIONS = 16_384
"""Conditions whose split is kept: more than the rules a platform runs (SigmaHQ has ~3,100)."""
_CLOSE = ")]}"


@functools.lru_cache(maxsize=CACHED_CONDITIONS)
def conjuncts(condition: str) -> tuple[str, ...]:
    """The top-level AND terms of `condition` (itself alone when it has none or is an OR).

    Parentheses around the whole condition or a term are looked through: `(a AND (b AND c))`
    has the terms `a`, `b` and `c`. Remembered per condition: live detection asks again for
    the same rules on every pass.
    """
    terms = _split(_unwrap(condition.strip()))
    if len(terms) == 1:
        return tuple(terms)
    # Only a parenthesised term can hold more top-level terms once unwrapped.
    return tuple(
        part for term in terms for part in (conjuncts(term) if term[:1] == "(" else (term,))
    )


def _split(condition: str) -> list[str]:
    terms: list[str] = []
    start = depth = cases = betweens = 0  # CASE and BETWEEN waiting for END / AND, at depth 0
    for token in _TOKENS.finditer(condition):
        text = token.group()
        first = text[0]
        if first in "'\"":
            if len(text) < 2 or text[-1] != first:
                return [condition]
            continue
        if first in _OPEN:
            depth += 1
            continue
        if first in _CLOSE:
            depth -= 1
            if depth < 0:
                return [condition]
            continue
        if first in "-/$":
            return [condition]
        if depth:
            continue
        word = text.upper()
        if word == "CASE":
            cases += 1
        elif word == "END":
            cases = max(cases - 1, 0)
        elif cases:
            continue
        elif word == "BETWEEN":
            betweens += 1
        elif word == "OR":
            return [condition]
        elif betweens:  # the AND of BETWEEN x AND y
            betweens -= 1
        else:
            terms.append(condition[start : token.start()].strip())
            start = token.end()
    if depth or cases or betweens:
        return [condition]
    terms.append(condition[start:].strip())
    return terms


def _unwrap(term: str) -> str:
    """`(x)` -> `x` when the parentheses enclose the whole term, so equal terms compare equal
    however the compiler grouped them."""
    while term.startswith("(") and term.endswith(")") and _closing(term) == len(term) - 1:
        term = term[1:-1].strip()
    return term


def _closing(text: str) -> int:
    """Index of the bracket that closes the one `text` starts with; -1 if none."""
    depth = 0
    for token in _TOKENS.finditer(text):
        first = token.group()[0]
        if first in _OPEN:
            depth += 1
        elif first in _CLOSE:
            depth -= 1
            if depth == 0:
                return token.start()
    return -1
