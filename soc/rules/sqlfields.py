"""ECS field names and literals as DuckDB SQL, for the rule compiler.

The event store keeps hot fields as typed columns and everything else in the JSON document; a
compiled rule must read each field from the same place the store wrote it. Both sides read
`soc.model.fields`, so they cannot disagree. This mirrors `soc.storage.lucene.field_expr`, which
the rule layer may not import (storage is a sibling layer, not a lower one).
"""

from __future__ import annotations

from soc.model.fields import TYPED_FIELDS, column_name

NUMERIC_KINDS = frozenset({"int", "bigint"})


def field_sql(field: str) -> str:
    """SQL reading an ECS field: its typed column, or a JSON path into `doc` (text or NULL)."""
    if field in TYPED_FIELDS:
        return column_name(field)
    parts = ".".join('"' + part.replace('"', '\\"') + '"' for part in field.split("."))
    return f"json_extract_string(doc, {sql_literal('$.' + parts)})"


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
