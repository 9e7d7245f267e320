"""Events handed over as columns: an Arrow table whose columns are ECS fields by dotted path.

A collector that decodes many same-shaped records at once (NetFlow with numpy:
`collectors.netflow.columnar_v5` and `columnar_sets`) builds the fields as arrays instead of a
dict per event, and a store that understands columns (`DuckDBEventStore.write_columns`) builds
each document and its typed columns in C++ with no JSON parse: per event, no Python at all.

The shape is the contract, the same for every store:
- a column named `source.ip` holds that field of every event; a null means the field is absent
  from that event (never `null` in the document); an object left with no field is absent too;
- `constants` are fields with one value for every event of the batch (`event.kind`,
  `netflow.type`), by dotted path; values are JSON-able (str, int, list of str);
- Arrow timestamps become ECS timestamps (ISO 8601 UTC with milliseconds and `Z`, what
  `soc.model.event.isoformat` writes); lists become JSON arrays;
- `event.id` is a column of distinct ids; `event.ingested` is never given: the store sets it.

`to_events()` gives the same events as dicts, for a store (or a test) without columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from soc.model.event import Event, isoformat, set_field


@dataclass(frozen=True)
class ColumnBatch:
    """`len()` is the number of events (rows)."""

    table: pa.Table
    constants: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.table.num_rows

    def slice(self, start: int, stop: int | None = None) -> ColumnBatch:
        """Rows [start, stop), without copying."""
        stop = self.table.num_rows if stop is None else stop
        return ColumnBatch(self.table.slice(start, max(0, stop - start)), self.constants)

    def joinable(self, other: ColumnBatch) -> bool:
        return self.constants == other.constants and self.table.schema.equals(other.table.schema)

    @staticmethod
    def join(batches: Sequence[ColumnBatch]) -> ColumnBatch:
        """One batch of `joinable` batches, in order."""
        if len(batches) == 1:
            return batches[0]
        table = pa.concat_tables([b.table for b in batches])
        return ColumnBatch(table, batches[0].constants)

    def to_events(self) -> list[Event]:
        """The events as nested dicts, fields in column order then constants."""
        names = self.table.column_names
        events: list[Event] = []
        for row in self._rows():
            event: Event = {}
            for name, value in zip(names, row, strict=True):
                if value is not None:
                    set_field(event, name, _plain(value))
            for name, value in self.constants.items():
                set_field(event, name, _plain(value))
            events.append(event)
        return events

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        columns = [column.to_pylist() for column in self.table.columns]
        return zip(*columns, strict=True)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
