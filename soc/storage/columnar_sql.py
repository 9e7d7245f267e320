"""The INSERT of a `ColumnBatch`: DuckDB builds each JSON document and the typed columns from
the Arrow columns in C++, with no JSON parse.

Why: the document path serializes each event with orjson in Python, then DuckDB parses every
~1.3 KB document again (`json_transform`) to fill the typed columns; for a NetFlow v5 flow that
was ~12-16 µs of a ~45-60 µs budget-breaking total. From columns, the typed columns are plain
casts, and the document is string concatenation of `to_json` of each value: fields absent from
an event (null in their column) drop out of it, because `concat` skips nulls, and an object
whose every field is absent drops out of its parent the same way.

Faster still (measured on 20,000 v5 flows, CPU per flow: ~9.4 µs for the concatenation, ~3.8
for one `to_json(struct_pack(...))`): rows are grouped by which of their columns are null, their
*shape* (a handful in a NetFlow batch: TCP, UDP, ICMP, with or without an agency), and each shape
gets one struct of just its fields, serialized by `to_json` in one call (a `CASE` over a shape
column the store adds). The concatenation stays for batches of too many shapes.

The statement depends only on the batch's schema, constants and shapes, so it is built once per
combination (`columns_insert_sql`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from soc.model.fields import TYPED_FIELDS, column_name

COLUMN_VIEW = "_soc_column_batch"
"""The local variable holding the batch's Arrow table, found by DuckDB's replacement scan."""
SHAPE_COLUMN = "_soc_shape"
"""The column the store adds: the row's index in `shapes` (which of its columns are null)."""
MAX_SHAPES = 64

SQL_TYPES = {  # `soc.model.fields` kind -> the typed column's SQL type
    "timestamp": "TIMESTAMP",
    "text": "VARCHAR",
    "ip": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "keywords": "VARCHAR[]",
}
_ISO = "'%Y-%m-%dT%H:%M:%S.%gZ'"  # soc.model.event.isoformat: UTC, milliseconds, Z


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_literal(value: Any) -> str:
    return _quote_text(orjson.dumps(value).decode())


def _shape(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_integer(kind):
        return "int"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "string"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return "list"
    return "other"


def _json_text(expr: str, shape: str) -> str:
    """SQL for the JSON text of a value (NULL stays NULL)."""
    if shape == "int":
        return f"CAST({expr} AS VARCHAR)"
    if shape == "timestamp":
        return f"('\"' || strftime({expr}, {_ISO}) || '\"')"
    return f"CAST(to_json({expr}) AS VARCHAR)"


def _typed(expr: str, shape: str, field: str) -> str:
    """SQL for a typed column from a value, as the document path's `json_transform` reads it."""
    kind = TYPED_FIELDS[field]
    if kind == "keywords":
        return f"TRY_CAST({expr} AS VARCHAR[])"
    if shape == "list":  # ECS allows arrays here; the typed column keeps the first element
        expr, shape = f"CAST({expr}[1] AS VARCHAR)", "string"
    if kind == "timestamp":
        if shape != "timestamp":
            expr = f"CAST(TRY_CAST({expr} AS TIMESTAMPTZ) AS TIMESTAMP)"
        else:
            expr = f"CAST({expr} AS TIMESTAMP)"
        return f"coalesce({expr}, $ingested)" if field == "@timestamp" else expr
    if kind in ("int", "bigint"):
        return f"TRY_CAST({expr} AS {SQL_TYPES[kind]})"
    return f"CAST({expr} AS VARCHAR)"


def _literal(value: Any) -> tuple[str, str]:
    """SQL literal and shape of a constant."""
    if isinstance(value, bool) or not isinstance(value, int | str | list):
        return f"CAST({_json_literal(value)} AS JSON)", "other"
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, str):
        return _quote_text(value), "string"
    if all(isinstance(v, str) for v in value):
        items = ", ".join(_quote_text(v) for v in value)
        return f"CAST([{items}] AS VARCHAR[])", "list"
    return f"CAST({_json_literal(value)} AS JSON)", "other"


def _object(node: dict[str, Any]) -> str:
    """SQL for the JSON text of an object node: {key: leaf SQL or child node}."""
    parts = []
    for key, child in node.items():
        text = _object(child) if isinstance(child, dict) else child
        parts.append(f"({_quote_text(',' + orjson.dumps(key).decode() + ':')} || {text})")
    return f"('{{' || substr(nullif(concat({', '.join(parts)}), ''), 2) || '}}')"


def _struct(node: dict[str, Any]) -> str:
    items = ", ".join(
        f"{_quote_ident(key)} := {_struct(child) if isinstance(child, dict) else child}"
        for key, child in node.items()
    )
    return f"struct_pack({items})"


def _struct_doc(shapes: dict[str, str], constants: dict[str, Any], missing: frozenset[str]) -> str:
    """`to_json` of one struct holding the fields present in a row of this shape."""
    tree: dict[str, Any] = {}
    for name, shape in shapes.items():
        if name in missing:
            continue
        column = _quote_ident(name)
        _place(tree, name, f"strftime({column}, {_ISO})" if shape == "timestamp" else column)
    for name, value in constants.items():
        literal, kind = _literal(value)
        _place(tree, name, literal if kind != "other" else f"CAST({literal} AS JSON)")
    _place(tree, "event.ingested", "CAST($ingested_text AS VARCHAR)")
    return f"to_json({_struct(tree)})"


def _place(tree: dict[str, Any], path: str, text: str) -> None:
    parts = path.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ValueError(f"field {path!r} is inside the value of another field")
        node = child
    if parts[-1] in node:
        raise ValueError(f"field {path!r} given twice")
    node[parts[-1]] = text


@functools.lru_cache(maxsize=256)
def _insert_sql(
    schema: pa.Schema, constants_json: bytes, row_shapes: tuple[frozenset[str], ...] | None
) -> str:
    constants: dict[str, Any] = orjson.loads(constants_json)
    shapes = {f.name: _shape(f.type) for f in schema if f.name != SHAPE_COLUMN}
    if "event.id" not in shapes or "event.ingested" in shapes or "event.ingested" in constants:
        raise ValueError("a column batch has an `event.id` column and no `event.ingested`")
    literals = {name: _literal(value) for name, value in constants.items()}
    if row_shapes is None:  # too many shapes: concatenation, nulls dropping out
        tree: dict[str, Any] = {}
        for name, shape in shapes.items():
            _place(tree, name, _json_text(_quote_ident(name), shape))
        for name, value in constants.items():
            _place(tree, name, _json_literal(value))
        _place(tree, "event.ingested", "$ingested_json")
        doc = f"CAST({_object(tree)} AS JSON)"
    elif len(row_shapes) == 1:
        doc = _struct_doc(shapes, constants, row_shapes[0])
    else:
        branches = " ".join(
            f"WHEN {i} THEN {_struct_doc(shapes, constants, missing)}"
            for i, missing in enumerate(row_shapes)
        )
        doc = f"CASE {_quote_ident(SHAPE_COLUMN)} {branches} END"
    selects = []
    for field in TYPED_FIELDS:
        if field == "event.ingested":
            selects.append("$ingested")
        elif field in shapes:
            selects.append(_typed(_quote_ident(field), shapes[field], field))
        elif field in literals:
            selects.append(_typed(*literals[field], field))
        elif field == "@timestamp":
            selects.append("$ingested")
        else:
            selects.append(f"CAST(NULL AS {SQL_TYPES[TYPED_FIELDS[field]]})")
    names = ", ".join(column_name(f) for f in TYPED_FIELDS)
    return (
        f"INSERT INTO events ({names}, doc) SELECT {', '.join(selects)}, "
        f"{doc} FROM {COLUMN_VIEW} "
        'WHERE "event.id" NOT IN (SELECT event_id FROM events WHERE event_id >= $oldest)'
    )


def columns_insert_sql(
    schema: pa.Schema,
    constants: Mapping[str, Any],
    shapes: Sequence[frozenset[str]] | None = None,
) -> str:
    """The INSERT for batches of this schema; parameters `$oldest` (the smallest event id),
    `$ingested` (TIMESTAMP), `$ingested_text` (its ISO text) and `$ingested_json` (the same
    as a JSON string). `shapes`: the null columns of each row shape, the table's SHAPE_COLUMN
    holding each row's index in it (None: no such column)."""
    constants_json = orjson.dumps(dict(constants), option=orjson.OPT_SORT_KEYS)
    return _insert_sql(schema, constants_json, None if shapes is None else tuple(shapes))


def row_shapes(table: pa.Table) -> tuple[list[frozenset[str]], pa.Array] | None:
    """The distinct sets of null columns of the rows and each row's index among them; None when
    there are more than MAX_SHAPES."""
    nullable = [name for name, column in zip(table.column_names, table.columns, strict=True)
                if column.null_count]  # fmt: skip
    if not nullable:
        return [frozenset()], pa.array(np.zeros(table.num_rows, np.int32))
    if len(nullable) > 62:
        return None
    mask = np.zeros(table.num_rows, np.int64)
    for bit, name in enumerate(nullable):
        nulls = table.column(name).is_null().to_numpy(zero_copy_only=False)
        mask |= nulls.astype(np.int64) << bit
    found, index = np.unique(mask, return_inverse=True)
    if len(found) > MAX_SHAPES:
        return None
    shapes = [
        frozenset(name for bit, name in enumerate(nullable) if int(value) >> bit & 1)
        for value in found
    ]
    return shapes, pa.array(index.astype(np.int32))
