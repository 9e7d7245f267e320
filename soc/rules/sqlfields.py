"""ECS field names and literals as DuckDB SQL, for the rule compiler.

The event store keeps hot fields as typed columns and everything else in the JSON document; a
compiled rule must read each field from the same place the store wrote it. Both sides read
`soc.model.fields`, so they cannot disagree. This mirrors `soc.storage.lucene.field_expr`, which
the rule layer may not import (storage is a sibling layer, not a lower one).

Two layouts of the same `events` table exist. The live store reads other fields from `doc`.
`soc hunt` loads files into an in-memory table that also has one text column per document field
the rules read (`FlatColumns`): DuckDB spends most of a rule's time parsing JSON when fields
come from `doc`, about six times what it spends on a plain column. Compiling inside
`flat_columns(...)` makes every field reference in this module name that column instead; the
column holds exactly what `json_extract_string(doc, path)` returns, so a rule means the same in
both layouts. A context variable rather than a compiler argument, because every part of the
compiler (backend, value predicates, framing, correlations) reaches fields through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from soc.model.fields import TYPED_FIELDS, column_name

NUMERIC_KINDS = frozenset({"int", "bigint"})
_TEXT_COLUMNS = frozenset(column_name(f) for f, kind in TYPED_FIELDS.items() if kind == "text")


class FlatColumns:
    """The hunt layout: which document fields compiled rules read, and the column of each.

    Filled while compiling (every field reference asks for its column), then handed to the
    store that creates the columns. Column names are the field's JSON path, which no typed
    column can be; DuckDB matches names case-insensitively, so fields that differ only in case
    (Windows event data has such pairs) get a numbered suffix.
    """

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # field -> column name
        self._taken: set[str] = set()  # lower-cased column names
        self._quoted: set[str] = set()  # the columns as SQL (quoted names)
        self._lowered: dict[str, str] = {}  # column SQL -> name of its lower-cased copy

    def column(self, field: str) -> str:
        """The column's name (unquoted), assigned on first use."""
        name = self._names.get(field)
        if name is None:
            name = base = json_path(field)
            suffix = 1
            while name.lower() in self._taken:
                suffix += 1
                name = f"{base}#{suffix}"
            self._taken.add(name.lower())
            self._names[field] = name
            self._quoted.add(_quote(name))
        return name

    def lowered(self, column: str) -> str | None:
        """The quoted name of a lower-cased copy of `column` (SQL of a flat column or a typed
        text column), assigned on first use; None for any other SQL."""
        name = self._lowered.get(column)
        if name is None:
            if column not in self._quoted and column not in _TEXT_COLUMNS:
                return None
            plain = column[1:-1].replace('""', '"') if column.startswith('"') else column
            name = self._lowered[column] = f"lower({plain})"
        return _quote(name)

    @property
    def paths(self) -> dict[str, str]:
        """Column name -> the JSON path whose text (`json_extract_string`) fills it."""
        return {name: json_path(field) for field, name in self._names.items()}

    @property
    def lowered_columns(self) -> dict[str, str]:
        """Column name -> the SQL (a column) whose `lower()` fills it."""
        return {name: column for column, name in self._lowered.items()}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_FLAT: ContextVar[FlatColumns | None] = ContextVar("soc_rules_flat_columns", default=None)


@contextmanager
def flat_columns(layout: FlatColumns) -> Iterator[FlatColumns]:
    """Compile for the hunt table inside this block; `layout` collects the columns it needs."""
    token = _FLAT.set(layout)
    try:
        yield layout
    finally:
        _FLAT.reset(token)


def _flat_column(field: str) -> str | None:
    """The quoted column holding a document field, in the hunt layout; None in the live one."""
    layout = _FLAT.get()
    if layout is None:
        return None
    return _quote(layout.column(field))


def lowered_sql(value: str) -> str | None:
    """A column holding `lower(value)`, when the hunt layout can keep one: `value` is the SQL
    of a flat or typed text column. None otherwise (the live layout, list elements, ...).

    Sigma compares text case-insensitively, so a rule lower-cases a field once per value it
    tests: fifty `|contains` values on a command line cost fifty `lower()` (or ILIKE) calls
    per row. Over a lower-cased copy the same tests are plain `contains()`, `=` or `IN`, 4-6x
    faster (DuckDB 2.0, 60 patterns over 200k command lines, same run: ILIKE 1.5 s, LIKE on
    the copy 0.38 s, `ends_with` 0.24 s, `lower(c) =` 1.5 s against `l =` 0.02 s).
    """
    layout = _FLAT.get()
    return layout.lowered(value) if layout is not None else None


def field_sql(field: str) -> str:
    """SQL reading an ECS field: its typed column, or a JSON path into `doc` (text or NULL)."""
    if field in TYPED_FIELDS:
        return column_name(field)
    return _flat_column(field) or f"json_extract_string(doc, {json_path_sql(field)})"


def text_sql(field: str) -> str:
    """The field as text: Sigma compares strings, whatever type the store chose for the column."""
    if TYPED_FIELDS.get(field, "text") in ("text", "ip"):
        return field_sql(field)
    return f"CAST({field_sql(field)} AS VARCHAR)"


def is_numeric(field: str) -> bool:
    """True when the store keeps the field as an integer column, so numbers compare as numbers."""
    return TYPED_FIELDS.get(field) in NUMERIC_KINDS


def timestamp_sql(field: str) -> str:
    """The field as a point in time: the typed column, or the document's ISO text parsed."""
    if TYPED_FIELDS.get(field) == "timestamp":
        return field_sql(field)
    return f"TRY_CAST({field_sql(field)} AS TIMESTAMPTZ)"


def sql_literal(text: str) -> str:
    """A DuckDB string literal (only the quote needs doubling; backslashes are not special)."""
    return "'" + text.replace("'", "''") + "'"


LIST_VALUED = frozenset({"event.category", "host.ip"})
"""Typed columns that keep only the first element of an ECS list: matching reads the document."""

SCALAR_NAMESPACES = ("winlog.",)
"""Document fields every parser writes as one text value (Windows event data and system
fields): matching skips the list check, which costs as much to plan as the test itself."""


OBJECT_LISTS = ("dns.answers.", "threat.enrichments.")
"""ECS fields that hold lists of objects: a field inside one (`dns.answers.data`, SigmaHQ's DNS
`answer`) matches when any element's value does, as in Elasticsearch. Read from the document by
a `[*]` path in both layouts (the hunt's flat columns hold one value per event)."""


def _in_object_list(field: str) -> str | None:
    """The `[*]` JSON path (SQL) of a field inside a list of objects; None for other fields."""
    for prefix in OBJECT_LISTS:
        if field.startswith(prefix):
            inner = json_path(field[len(prefix) :])[1:]  # `."data"`
            return sql_literal(json_path(prefix[:-1]) + "[*]" + inner)
    return None


def json_path(field: str) -> str:
    """The JSON path of the field inside `doc` (every field is in the document)."""
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in field.split("."))


def json_path_sql(field: str) -> str:
    """`json_path` as a SQL literal."""
    return sql_literal(json_path(field))


def any_element_sql(field: str, *predicates: Callable[[str], str]) -> str:
    """SQL true when the field satisfies every predicate, each by its text or, for a list, by
    any element.

    Sigma (like Elasticsearch) matches a list-valued field element-wise: `event.category:
    network` matches `["authentication", "network"]`, and `|all` values may each match a
    different element. A predicate gets the SQL of one text value. A document value is read
    once (a one-element lambda binds it), and only a value that starts with `[` pays for the
    check that it is a JSON array rather than text.
    """
    kind = TYPED_FIELDS.get(field)
    if kind == "keywords":
        return _all_of(_any_of(field_sql(field), p) for p in predicates)
    if (listed := _in_object_list(field)) is not None:
        elements = f"json_extract_string(doc, {listed})"
        return _all_of(_any_of(elements, p) for p in predicates)
    if kind is not None and field not in LIST_VALUED:
        value = text_sql(field)
        return _all_of(p(value) for p in predicates)
    path = json_path_sql(field)
    column = _flat_column(field)
    value = column or "_s"  # a column is cheap to read twice; a document value is bound once
    tests = _all_of(p(value) for p in predicates)
    if not field.startswith(SCALAR_NAMESPACES):
        elements = f"json_extract_string({value}, '$[*]')"
        tests = (
            f"CASE WHEN starts_with({value}, '[') AND json_type(doc, {path}) = 'ARRAY' "
            f"THEN {_all_of(_any_of(elements, p) for p in predicates)} ELSE {tests} END"
        )
    if column is not None:
        return tests
    return f"list_transform([json_extract_string(doc, {path})], lambda _s: {tests})[1]"


def _any_of(elements: str, predicate: Callable[[str], str]) -> str:
    return f"list_bool_or(list_transform({elements}, lambda _e: {predicate('_e')}))"


def _all_of(tests: Iterable[str]) -> str:
    tests = list(tests)
    return tests[0] if len(tests) == 1 else "(" + " AND ".join(tests) + ")"


def exists_sql(field: str) -> str:
    """True when the event has the field, whatever its value (JSON null and '' included)."""
    if (listed := _in_object_list(field)) is not None:  # one boolean per element that has it
        return f"len(json_exists(doc, {listed})) > 0"
    in_doc = f"json_exists(doc, {json_path_sql(field)})"
    if field in TYPED_FIELDS:
        return f"({field_sql(field)} IS NOT NULL OR {in_doc})"
    return in_doc
