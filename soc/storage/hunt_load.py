"""One hunt-store batch built in Python: documents, raw typed values and flat text columns.

The live store hands DuckDB serialized documents and lets it parse each one (`json_transform`)
for the typed columns. The hunt also needs one text column per document field the rules read
(a flat column). While the events are still dicts, one walk per event over the fields that are
wanted gives all of it at once: DuckDB gets an Arrow table of documents and raw typed values to
copy, with no JSON parsing, and the flat columns stay in memory as Arrow (`TextColumns`), where
the rule evaluator reads them. Storing them in DuckDB cost twice everything else the write
does (DuckDB's INSERT of the 16,801 EVTX samples with the ~400 flat and lower-cased columns of
the SigmaHQ Windows rules: 0.5-0.6 s; without: 0.18 s, `bench/README.md`), and the evaluator
would only read them back out.

What each value must be is DuckDB's, not ours: a flat column holds `json_extract_string(doc,
path)`, a raw typed value what `json_transform` gives for the store's `TYPED_SPEC`, and the
store's one SQL definition (`soc.storage.duckdb_store.insert_sql`) turns those raw values into
typed columns. Python fills in only the values whose text is certain: strings, integers,
booleans and null or missing. Anything else (numbers with a fraction or exponent, which DuckDB
writes its own way, objects and arrays, whose JSON text it re-serialises, other Python types)
goes back to DuckDB: a flat value as its own small document, a typed value by running
`json_transform` on that event's document; both rare in event logs, and one query per batch.
A flat column whose path is not one the compiler writes is read by DuckDB from the documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson
import pyarrow as pa

from soc.model.event import Event

_TEXT, _VARCHAR, _KEYWORDS, _JSON = range(4)
"""How a wanted value is written: `json_extract_string`, then `json_transform` to VARCHAR,
VARCHAR[] and JSON."""
_KINDS = {"VARCHAR": _VARCHAR, "VARCHAR[]": _KEYWORDS, "JSON": _JSON}
_PATH = re.compile(r'(?:\."(?:[^"\\]|\\")*")+')
_PART = re.compile(r'\."((?:[^"\\]|\\")*)"')

Resolve = Callable[[str, list[str]], list[Any]]
"""(DuckDB function applied to each text, texts) -> its results in order."""


def path_parts(path: str) -> tuple[str, ...] | None:
    """The object keys of a JSON path as `soc.rules.sqlfields.json_path` writes them
    (`$."a"."b.c"`); None for any other path (DuckDB then reads that column itself)."""
    if not path.startswith("$") or not _PATH.fullmatch(path, 1):
        return None
    return tuple(part.replace('\\"', '"') for part in _PART.findall(path))


_Entry = tuple[int, tuple[tuple[int, int], ...], "dict[str, _Entry] | None"]
"""A wanted key: its flat text slot (-1: none), its raw typed (kind, slot)s, the wanted keys
under it (None: none)."""


class BatchBuilder:
    """Per batch: an Arrow table for the hunt store's INSERT, `d` (the documents) and `x` (raw
    typed values, shaped like `spec`), and the flat `columns`' values."""

    def __init__(self, spec: Mapping[str, Any], columns: Mapping[str, str]) -> None:
        self._spec = spec
        self._root: dict[str, _Entry] = {}
        self._typed: list[tuple[tuple[str, ...], int]] = []  # raw typed value path, slot
        self._slots = 0
        for parts, kind in _leaves(spec):
            self._typed.append((parts, self._want(parts, _KINDS[kind])))
        self._flat: dict[str, int] = {}  # flat column name -> slot
        self._extracted: dict[str, str] = {}  # flat column name -> a path DuckDB reads
        for name, path in columns.items():
            parts = path_parts(path)
            if parts is None:
                self._extracted[name] = path
            else:
                self._flat[name] = self._want(parts, _TEXT)

    def _want(self, parts: Sequence[str], kind: int) -> int:
        slot = self._slots
        self._slots += 1
        node = self._root
        for depth, part in enumerate(parts):
            text, typed, child = node.get(part, (-1, (), None))
            if depth < len(parts) - 1:
                child = {} if child is None else child
                node[part] = (text, typed, child)
                node = child
            elif kind == _TEXT:
                node[part] = (slot, typed, child)
            else:
                node[part] = (text, (*typed, (kind, slot)), child)
        return slot

    def build(
        self, events: Sequence[Event], resolve: Resolve
    ) -> tuple[pa.Table, dict[str, pa.Array]]:
        """The INSERT's table for `events` (already stamped), and each flat column's values
        (a column no event has is left out); `resolve` runs a DuckDB function over texts, for
        the values Python leaves to DuckDB."""
        dumps = orjson.dumps
        docs: list[bytes] = []
        values: list[list[Any]] = [[None] * len(events) for _ in range(self._slots)]
        later: list[tuple[list[Any], int, Any]] = []  # (slot values, row, value): flat text
        reparse: set[int] = set()  # rows whose raw typed values DuckDB extracts
        walk = self._walk
        root = self._root
        for row, event in enumerate(events):
            docs.append(dumps(event))
            walk(event, root, row, values, later, reparse)
        if later:
            texts = resolve("json_extract_string(_t, '$')", [dumps(v).decode() for *_, v in later])
            for (slot, row, _), text in zip(later, texts, strict=True):
                slot[row] = text
        if reparse:
            self._reparse(sorted(reparse), docs, values, resolve)
        rows = len(events)
        flat = {  # most of the ~200 columns have no value in a batch: no array for them
            name: pa.array(values[slot], pa.string())
            for name, slot in self._flat.items()
            if values[slot].count(None) < rows
        }
        if self._extracted:
            texts = [doc.decode() for doc in docs]
            for name, path in self._extracted.items():
                literal = "'" + path.replace("'", "''") + "'"
                extracted = resolve(f"json_extract_string(_t, {literal})", texts)
                if extracted.count(None) < rows:
                    flat[name] = pa.array(extracted, pa.string())
        stored = pa.table(
            {
                "d": pa.array(docs, pa.binary()).cast(pa.string()),
                "x": self._struct(self._spec, (), values),
            }
        )
        return stored, flat

    def _walk(
        self,
        node: Mapping[str, Any],
        wanted: dict[str, _Entry],
        row: int,
        values: list[list[Any]],
        later: list[tuple[list[Any], int, Any]],
        reparse: set[int],
    ) -> None:
        for key, value in node.items():
            entry = wanted.get(key)
            if entry is None:
                continue
            text, typed, child = entry
            if child is not None and isinstance(value, dict):
                self._walk(value, child, row, values, later, reparse)
            if value is None:
                continue  # JSON null: NULL in every kind
            if text >= 0:
                kind_of = type(value)
                if kind_of is str:
                    values[text][row] = value
                elif kind_of is int:
                    values[text][row] = str(value)
                elif kind_of is bool:
                    values[text][row] = "true" if value else "false"
                else:
                    later.append((values[text], row, value))
            if typed and not _typed_value(value, typed, row, values):
                reparse.add(row)

    def _reparse(
        self, rows: list[int], docs: list[bytes], values: list[list[Any]], resolve: Resolve
    ) -> None:
        """The raw typed values of `rows` as DuckDB's `json_transform` gives them."""
        spec = "'" + orjson.dumps(self._spec).decode().replace("'", "''") + "'"
        raws = resolve(f"json_transform(_t, {spec})", [docs[row].decode() for row in rows])
        for row, raw in zip(rows, raws, strict=True):
            for parts, slot in self._typed:
                node = raw
                for part in parts:
                    node = node.get(part) if isinstance(node, dict) else None
                values[slot][row] = node

    def _struct(
        self, spec: Mapping[str, Any], prefix: tuple[str, ...], values: list[list[Any]]
    ) -> pa.StructArray:
        slots = {parts: slot for parts, slot in self._typed}
        arrays = []
        for key, sub in spec.items():
            parts = (*prefix, key)
            if isinstance(sub, dict):
                arrays.append(self._struct(sub, parts, values))
            else:
                kind = pa.list_(pa.string()) if sub == "VARCHAR[]" else pa.string()
                arrays.append(pa.array(values[slots[parts]], kind))
        return pa.StructArray.from_arrays(arrays, names=list(spec))


def _typed_value(
    value: Any, sinks: tuple[tuple[int, int], ...], row: int, values: list[list[Any]]
) -> bool:
    """Store `value` (not None) as `json_transform` would give it for each (kind, slot);
    False when that is DuckDB's to say."""
    kind_of = type(value)
    for kind, slot in sinks:
        if kind == _JSON:
            values[slot][row] = orjson.dumps(value).decode()
        elif kind == _KEYWORDS:
            if kind_of is not list or not all(type(item) is str for item in value):
                return False
            values[slot][row] = value
        elif kind_of is str:
            values[slot][row] = value
        elif kind_of is int:
            values[slot][row] = str(value)
        elif kind_of is bool:
            values[slot][row] = "true" if value else "false"
        else:
            return False
    return True


def _leaves(spec: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterable[tuple[Any, str]]:
    for key, sub in spec.items():
        if isinstance(sub, dict):
            yield from _leaves(sub, (*prefix, key))
        else:
            yield (*prefix, key), sub


class TextColumns:
    """The hunt's flat text columns, in memory in table order, as the write batches gave them.

    `names` are the flat columns (each holding `json_extract_string(doc, path)`), `lowered`
    the lower-cased copies the compiled rules name (column name -> SQL of the column it
    lowers: a flat or a typed column). Nothing stores a lower-cased copy: whoever reads one
    lowers the values (`soc.storage.rule_eval`, or DuckDB in the table the hunt store copies
    for the rules it runs). A batch keeps only the columns it has a value in; the others read
    as NULL.
    """

    ID = "event_id"
    """The event ids, the column that ties a row to the stored table's row."""

    def __init__(self, names: Iterable[str] = (), lowered: Mapping[str, str] | None = None) -> None:
        self.names = list(names)
        self.lowered = dict(lowered or {})
        self.first_row = 0  # the stored table's row this object's first row is (see `since`)
        self._batches: list[tuple[int, dict[str, pa.Array]]] = []  # (rows, columns with values)
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def since(self, row: int) -> TextColumns:
        """The rows from `row` (a batch boundary) on, sharing their arrays: what a hunt matches
        after each segment it loads, while the earlier rows stay for the rules over all rows."""
        view = TextColumns(self.names, self.lowered)
        view.first_row = self.first_row + row
        total = 0
        for size, columns in self._batches:
            if total >= row:
                view.append(columns[self.ID], {k: v for k, v in columns.items() if k != self.ID})
            total += size
        if view._rows != self._rows - row:
            raise ValueError(f"{row} rows is not where a batch ends")
        return view

    def retain(self, names: Iterable[str]) -> None:
        """Drop every column but the ids and `names` from the rows held: once a segment's
        single-event rules have run, only the columns the rules over all rows read are needed,
        and the rest is most of a hunt's memory per event."""
        kept = {self.ID, *names}
        self._batches = [
            (size, {k: v for k, v in columns.items() if k in kept})
            for size, columns in self._batches
        ]

    def append(self, ids: pa.Array, columns: Mapping[str, pa.Array]) -> None:
        """One batch's rows: their ids and the flat columns that have a value in it."""
        self._batches.append((len(ids), {self.ID: ids, **columns}))
        self._rows += len(ids)

    def truncate(self, rows: int) -> None:
        """Keep the first `rows` rows (a batch boundary): what a rolled-back load leaves."""
        kept, total = len(self._batches), self._rows
        while total > rows:
            kept -= 1
            total -= self._batches[kept][0]
        if total != rows:
            raise ValueError(f"{rows} rows is not where a batch ends")
        del self._batches[kept:]
        self._rows = rows

    def column(self, name: str) -> pa.ChunkedArray:
        """Every row's value of one flat column (or the ids), in table order."""
        arrays = [columns.get(name) for _, columns in self._batches]
        return pa.chunked_array(
            [
                pa.nulls(size, pa.string()) if array is None else array
                for (size, _), array in zip(self._batches, arrays, strict=True)
            ],
            pa.string(),
        )

    def chunks(self, names: Sequence[str], rows: int) -> Iterator[dict[str, pa.Array]]:
        """The ids and the named columns, `rows` rows at a time, in table order."""
        if not self._rows:
            return
        columns = {name: self.column(name) for name in [self.ID, *names]}
        for start in range(0, self._rows, rows):
            yield {name: c.slice(start, rows).combine_chunks() for name, c in columns.items()}

    def table(self, names: Sequence[str]) -> pa.Table:
        """The ids and the named flat columns as one table."""
        return pa.table({name: self.column(name) for name in [self.ID, *names]})
