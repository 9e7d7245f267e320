"""Compiled single-event rule conditions (our backend's SQL) as trees `soc.storage.rule_eval`
can evaluate without DuckDB.

A strict parser for the few shapes `soc.rules.backend` writes over the hunt table's text
columns: `=`, `IN`, `LIKE` (with or without `ESCAPE`), `IS [NOT] NULL`, `contains`,
`starts_with`, `ends_with`, `regexp_matches`, `lower()` of a column or literal, `NOT
coalesce(x, FALSE)`, the list check `CASE WHEN starts_with(c, '[') AND json_type(doc, ...) =
'ARRAY' THEN ... ELSE x END`, `AND`/`OR`/`NOT`, `TRUE`/`FALSE` and parentheses. Anything else
(another function, a number, a typed column, `doc`) raises `Unsupported`, and the rule is left
to DuckDB: the parser never guesses what SQL means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""\s*('(?:[^']|'')*'"""  # a string literal
    r"""|"(?:[^"]|"")*\""""  # a quoted identifier
    r"|[A-Za-z_][A-Za-z_0-9]*"  # a word
    r"|\S)"  # any other character
)


class Unsupported(Exception):
    """A condition (or part of one) this parser does not understand: DuckDB runs the rule."""


@dataclass(frozen=True, slots=True)
class Atom:
    """One test of one value source (a column, or `lower()` of one) against literals.

    `op`: `eq` (arg: text), `in` (frozenset), `contains`/`starts`/`ends` (text), `regex`
    (RE2 pattern), `like` ((pattern, escape character or '')), `null` (None), `any`/`all`
    (atoms of the same source, joined by OR/AND).
    """

    source: str  # the SQL DuckDB reads the value with: a quoted column, or lower() of one
    op: str
    arg: object
    slot: int = field(default=-1, compare=False)  # index of this atom in its `Atoms`


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class FalseIfNull:
    """`coalesce(x, FALSE)`."""

    child: Node


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


@dataclass(frozen=True, slots=True)
class UnlessList:
    """`CASE WHEN starts_with(source, '[') AND json_type(doc, ...) = 'ARRAY' THEN <each list
    element> ELSE test END`: the `ELSE` test, valid only while no value of `source` starts
    with `[` (the evaluator hands the rule to DuckDB otherwise)."""

    source: str
    test: Node


Node = Atom | And | Or | Not | FalseIfNull | Const | UnlessList


class Atoms:
    """Atoms interned across conditions: equal tests get one object and one slot, so a test
    shared by many rules (their log source) is evaluated once."""

    def __init__(self) -> None:
        self._slots: dict[tuple[str, str, object], Atom] = {}
        self.atoms: list[Atom] = []

    def get(self, source: str, op: str, arg: object) -> Atom:
        key = (source, op, arg)
        atom = self._slots.get(key)
        if atom is None:
            atom = self._slots[key] = Atom(source, op, arg, len(self.atoms))
            self.atoms.append(atom)
        return atom

    def copy(self) -> Atoms:
        """The same atoms in a new set: what is added to it leaves this one alone (a rule set
        parsed once serves many hunts)."""
        copied = Atoms()
        copied._slots = dict(self._slots)
        copied.atoms = list(self.atoms)
        return copied


def parse(
    sql: str,
    columns: Mapping[str, str],
    atoms: Atoms,
    lower_text: Callable[[str], str],
) -> Node:
    """The tree of one condition (or AND term).

    `columns`: the table's text (VARCHAR) columns, lower-cased name (DuckDB resolves names
    case-insensitively) -> the source its values are read with (the quoted column name, or
    `lower()` of one for a lower-cased copy). `lower_text(s)`: DuckDB's `lower()` of a literal.
    """
    return _Parser(sql, columns, atoms, lower_text).parse()


_Token = tuple[str, str]  # (kind: 'lit' | 'ident' | 'word' | 'punct' | 'end', text)
_END: _Token = ("end", "")


def _tokens(sql: str) -> list[_Token]:
    """The condition's tokens. Every character but white space is in one: a quote without
    its closing quote is a one-character token the grammar rejects."""
    tokens: list[_Token] = []
    append = tokens.append
    for token in _TOKEN.findall(sql):
        first = token[0]
        if first == "'" and len(token) > 1:
            append(("lit", token[1:-1].replace("''", "'")))
        elif first == '"' and len(token) > 1:
            append(("ident", token[1:-1].replace('""', '"')))
        elif first.isalpha() or first == "_":
            append(("word", token.upper()))
        else:
            append(("punct", token))
    return tokens


_FUNCTIONS = {"CONTAINS": "contains", "STARTS_WITH": "starts", "ENDS_WITH": "ends"}


@dataclass(frozen=True, slots=True)
class _Value:
    """A value operand: a source (column SQL) or a literal."""

    source: str | None = None
    literal: str | None = None


class _Parser:
    def __init__(
        self,
        sql: str,
        columns: Mapping[str, str],
        atoms: Atoms,
        lower_text: Callable[[str], str],
    ) -> None:
        self.tokens = [*_tokens(sql), _END, _END]  # room for peek(1)
        self.end = len(self.tokens) - 2
        self.at = 0
        self.columns = columns
        self.atoms = atoms
        self.lower_text = lower_text

    # -- token helpers -------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> _Token:
        """The next token (`_END` past the last)."""
        return self.tokens[self.at + offset]

    def word(self, *words: str) -> str | None:
        """Consume the next token if it is one of `words`."""
        kind, text = self.tokens[self.at]
        if kind == "word" and text in words:
            self.at += 1
            return text
        return None

    def punct(self, char: str) -> bool:
        kind, text = self.tokens[self.at]
        if kind == "punct" and text == char:
            self.at += 1
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.word(word):
            raise Unsupported(f"expected {word}")

    def expect(self, char: str) -> None:
        if not self.punct(char):
            raise Unsupported(f"expected {char!r}")

    def literal(self) -> str:
        token = self.peek()
        if token[0] == "lit":
            self.at += 1
            return token[1]
        value = self.value()
        if value.literal is None:
            raise Unsupported("expected a literal")
        return value.literal

    # -- grammar -------------------------------------------------------------------------------

    def parse(self) -> Node:
        node = self.disjunction()
        if self.at != self.end:
            raise Unsupported(f"unexpected {self.peek()}")
        return node

    def disjunction(self) -> Node:
        children = [self.conjunction()]
        while self.word("OR"):
            children.append(self.conjunction())
        children = self.merged(children, "any")
        return children[0] if len(children) == 1 else Or(tuple(children))

    def conjunction(self) -> Node:
        children = [self.negation()]
        while self.word("AND"):
            children.append(self.negation())
        children = self.merged(children, "all")
        return children[0] if len(children) == 1 else And(tuple(children))

    def merged(self, children: list[Node], op: str) -> list[Node]:
        """Tests of one source joined by OR (`any`) or AND (`all`) as one atom: each is NULL
        exactly when the source is (`IS NULL` aside), so their OR or AND is too, and it can
        be decided per distinct value at once."""
        by_source: dict[str, list[Atom]] = {}
        for child in children:
            if isinstance(child, Atom) and child.op != "null":
                by_source.setdefault(child.source, []).append(child)
        if all(len(tests) < 2 for tests in by_source.values()):
            return children
        out: list[Node] = []
        for child in children:
            if not (isinstance(child, Atom) and child.op != "null"):
                out.append(child)
                continue
            tests = by_source[child.source]
            if len(tests) == 1:
                out.append(child)
            elif tests[0] is child:
                out.append(self.atoms.get(child.source, op, tuple(tests)))
        return out

    def negation(self) -> Node:
        if self.word("NOT"):
            return Not(self.negation())
        return self.predicate()

    def predicate(self) -> Node:
        token = self.peek()
        if token == ("punct", "("):
            self.at += 1
            node = self.disjunction()
            self.expect(")")
            return node
        if token[0] == "word":
            name = token[1]
            if name in ("TRUE", "FALSE"):
                self.at += 1
                return Const(name == "TRUE")
            if name == "CASE":
                return self.unless_list()
            if self.peek(1) == ("punct", "("):
                if name in _FUNCTIONS or name == "REGEXP_MATCHES":
                    return self.function(name)
                if name == "COALESCE":
                    self.at += 2
                    child = self.disjunction()
                    self.expect(",")
                    self.expect_word("FALSE")
                    self.expect(")")
                    return FalseIfNull(child)
        value = self.value()
        if value.source is None:
            raise Unsupported("a literal as a condition")
        return self.comparison(value.source)

    def comparison(self, source: str) -> Node:
        if self.punct("="):
            return self.atoms.get(source, "eq", self.literal())
        if self.word("IN"):
            self.expect("(")
            listed = [self.literal()]
            while self.punct(","):
                listed.append(self.literal())
            self.expect(")")
            return self.atoms.get(source, "in", frozenset(listed))
        if self.word("IS"):
            negated = bool(self.word("NOT"))
            self.expect_word("NULL")
            test = self.atoms.get(source, "null", None)
            return Not(test) if negated else test
        negated = bool(self.word("NOT"))
        if self.word("LIKE"):
            pattern = self.literal()
            escape = self.literal() if self.word("ESCAPE") else ""
            if len(escape) > 1:
                raise Unsupported("ESCAPE of more than one character")
            test = self.atoms.get(source, "like", (pattern, escape))
            return Not(test) if negated else test
        raise Unsupported(f"unexpected {self.peek()} after a value")

    def function(self, name: str) -> Node:
        self.at += 2  # name and "("
        value = self.value()
        if value.source is None:
            raise Unsupported(f"{name} of a literal")
        self.expect(",")
        argument = self.literal()
        self.expect(")")
        op = _FUNCTIONS.get(name, "regex")
        return self.atoms.get(value.source, op, argument)

    def value(self) -> _Value:
        token = self.peek()
        if token is _END:
            raise Unsupported("unexpected end")
        kind, text = token
        if kind == "lit":
            self.at += 1
            return _Value(literal=text)
        if kind == "word" and text == "LOWER" and self.peek(1) == ("punct", "("):
            self.at += 2
            inner = self.value()
            self.expect(")")
            if inner.literal is not None:
                return _Value(literal=self.lower_text(inner.literal))
            return _Value(source=f"lower({inner.source})")
        if kind == "ident" or (kind == "word" and self.peek(1) != ("punct", "(")):
            self.at += 1
            source = self.columns.get(text.lower())
            if source is None:
                raise Unsupported(f"not a text column: {text}")
            return _Value(source=source)
        raise Unsupported(f"unexpected {token}")

    def unless_list(self) -> Node:
        """`CASE WHEN starts_with(c, '[') AND json_type(doc, 'path') = 'ARRAY' THEN ... ELSE
        test END`, as `soc.rules.sqlfields.any_element_sql` writes it over a flat column."""
        self.expect_word("CASE")
        self.expect_word("WHEN")
        if not self.word("STARTS_WITH"):
            raise Unsupported("CASE of another shape")
        self.expect("(")
        source = self.value().source
        self.expect(",")
        if source is None or self.literal() != "[":
            raise Unsupported("CASE of another shape")
        self.expect(")")
        self.expect_word("AND")
        self.expect_word("JSON_TYPE")
        self.expect("(")
        self.expect_word("DOC")
        self.expect(",")
        self.literal()
        self.expect(")")
        self.expect("=")
        if self.literal() != "ARRAY":
            raise Unsupported("CASE of another shape")
        self.expect_word("THEN")
        depth = cases = 0  # skip the list branch: it never runs while no value starts with [
        while True:
            token = self.peek()
            if token is _END:
                raise Unsupported("CASE without ELSE")
            if token == ("punct", "("):
                depth += 1
            elif token == ("punct", ")"):
                depth -= 1
            elif token == ("word", "CASE"):
                cases += 1
            elif token == ("word", "END") and cases:
                cases -= 1
            elif token == ("word", "ELSE") and not depth and not cases:
                break
            self.at += 1
        self.at += 1
        test = self.disjunction()
        self.expect_word("END")
        return UnlessList(source, test)
