"""Lucene-style query strings (parsed by luqum) translated to DuckDB SQL with bound parameters.

Matching follows what analysts expect from Kibana: field values are case-insensitive, `*` and `?`
are wildcards, a bare word searches the message and the whole document, ranges are inclusive
with `[a TO b]` and exclusive with `{a TO b}`.
"""

from __future__ import annotations

from typing import Any

from luqum import tree
from luqum.exceptions import ParseError as LuqumParseError
from luqum.parser import parser

from soc.errors import QueryError
from soc.model.fields import TYPED_FIELDS, column_name


def field_expr(field: str) -> str:
    """SQL for an ECS field: its typed column, or a JSON path into the document."""
    if field in TYPED_FIELDS:
        return column_name(field)
    path = ".".join(f'"{part}"' for part in field.split("."))
    return f"json_extract_string(doc, '$.{path.replace(chr(39), chr(39) * 2)}')"


class LuceneToSql:
    """Translate one query; collects parameters in order of appearance."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def translate(self, query: str) -> str:
        if not query.strip():
            return "TRUE"
        try:
            node = parser.parse(query)
        except (LuqumParseError, ValueError, TypeError) as exc:
            raise QueryError(f"cannot parse query: {exc}", where="search") from exc
        return self._node(node, None)

    def _bind(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    def _node(self, node: tree.Item, field: str | None) -> str:
        if isinstance(node, tree.SearchField):
            if "." in node.name and node.name.startswith("."):
                raise QueryError(f"bad field name {node.name!r}", where="search")
            return self._node(node.expr, node.name)
        if isinstance(node, tree.AndOperation | tree.UnknownOperation):
            return "(" + " AND ".join(self._node(c, field) for c in node.children) + ")"
        if isinstance(node, tree.OrOperation):
            return "(" + " OR ".join(self._node(c, field) for c in node.children) + ")"
        if isinstance(node, tree.Not | tree.Prohibit):
            return f"(NOT coalesce({self._node(node.a, field)}, FALSE))"
        if isinstance(node, tree.Plus):
            return self._node(node.a, field)
        if isinstance(node, tree.Group | tree.FieldGroup):
            return self._node(node.expr, field)
        if isinstance(node, tree.Range):
            return self._range(node, field)
        if isinstance(node, tree.Phrase):
            return self._term(node.value[1:-1].replace('\\"', '"'), field, wildcard=False)
        if isinstance(node, tree.Word):
            return self._term(node.value, field, wildcard=True)
        if isinstance(node, tree.Regex):
            target = field_expr(field) if field else "message"
            return f"regexp_full_match(CAST({target} AS VARCHAR), {self._bind(node.value[1:-1])})"
        raise QueryError(f"unsupported query element {node!r}", where="search")

    def _term(self, value: str, field: str | None, *, wildcard: bool) -> str:
        if field == "_exists_":
            return f"({field_expr(value)} IS NOT NULL)"
        has_wildcard = wildcard and any(ch in value for ch in "*?")
        value = value.replace("\\", "") if not has_wildcard else value
        if field is None:
            pattern = "%" + _like_escape(value.replace("*", "").replace("?", "")) + "%"
            return (
                f"(message ILIKE {self._bind(pattern)} ESCAPE '\\'"
                f" OR CAST(doc AS VARCHAR) ILIKE {self._bind(pattern)} ESCAPE '\\')"
            )
        target = f"CAST({field_expr(field)} AS VARCHAR)"
        if has_wildcard:
            return f"({target} ILIKE {self._bind(_wildcard_to_like(value))} ESCAPE '\\')"
        return f"(lower({target}) = lower({self._bind(value)}))"

    def _range(self, node: tree.Range, field: str | None) -> str:
        if field is None:
            raise QueryError("a range needs a field, e.g. destination.port:[1 TO 1024]")
        target = field_expr(field)
        kind = TYPED_FIELDS.get(field)
        clauses = []
        bounds = ((node.low, node.include_low, ">"), (node.high, node.include_high, "<"))
        for bound, inclusive, op in bounds:
            raw = bound.value.strip('"')
            if raw == "*":
                continue
            sql_op = op + ("=" if inclusive else "")
            if kind in ("int", "bigint"):
                clauses.append(f"{target} {sql_op} {self._bind(_number(raw))}")
            elif kind == "timestamp":
                clauses.append(f"{target} {sql_op} CAST({self._bind(raw)} AS TIMESTAMPTZ)")
            else:
                clauses.append(f"TRY_CAST({target} AS DOUBLE) {sql_op} {self._bind(_number(raw))}")
        return "(" + (" AND ".join(clauses) or "TRUE") + ")"


def _number(raw: str) -> float:
    try:
        return float(raw)
    except ValueError as exc:
        raise QueryError(f"range bound {raw!r} is not a number", where="search") from exc


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _wildcard_to_like(value: str) -> str:
    out = []
    escaped = False
    for ch in value:
        if escaped:
            out.append(_like_escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(_like_escape(ch))
    return "".join(out)
