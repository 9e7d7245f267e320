"""When the flows of v9/IPFIX sets happened, as columns: `times.flow_times` and the ISO text
`ecs._json_safe` writes, over every record of a layout at once.

Why apart from the mapping (`columnar_sets`): exporters say when a flow happened in more ways
than anything else in a record (four absolute precisions, offsets before the export, uptimes
anchored by the v9 header or by IPFIX's systemInitTimeMilliseconds, durations filling in an
edge), and the order in which `times` tries them is the part most worth reading against it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from collectors.netflow.columnar import signed32
from collectors.netflow.columnar_records import SetRecords
from collectors.netflow.times import EVENT_TIME, FLOW_DELETED


def flow_times(records: SetRecords, export_ns: np.ndarray) -> dict[str, pa.Array]:
    """`event.start`, `event.end` and `event.duration` as `times.flow_times` gives them:
    absolute, then before the export, then uptime; a flow-deleted event's time ends a flow
    without an end; a duration fills in the missing edge. A column no flow has is left out."""
    edges = [_edge(records, edge, export_ns) for edge in ("start", "end")]
    (start, has_start), (end, has_end) = edges
    if records.has("firewall_event") and records.has(EVENT_TIME):
        deleted = ~has_end & (records.ints("firewall_event") == FLOW_DELETED)
        end = np.where(deleted, records.microseconds(EVENT_TIME) * 1000, end)
        has_end = has_end | deleted
    duration = _duration(records)
    if duration is not None:
        fill_end, fill_start = has_start & ~has_end, has_end & ~has_start
        end = np.where(fill_end, start + duration, end)
        start = np.where(fill_start, end - duration, start)
        has_start, has_end = has_start | fill_start, has_end | fill_end
    cols = {}
    if has_start.any():
        cols["event.start"] = _masked_time(start, ~has_start)
    if has_end.any():
        cols["event.end"] = _masked_time(end, ~has_end)
    both = has_start & has_end
    if both.any():
        cols["event.duration"] = pa.array(end - start, mask=~both)
    return cols


def iso_microseconds(us: np.ndarray) -> pa.Array:
    """`ecs._json_safe` of datetimes: ISO 8601 with microseconds and `Z`, 27 characters for the
    years a layout's times reach (1900-2116). numpy's formatting, 3x `pc.strftime`'s speed."""
    n = len(us)
    text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us").astype("S26")
    chars = np.empty((n, 27), np.uint8)
    chars[:, :26] = text.view(np.uint8).reshape(n, 26)
    chars[:, 26] = ord("Z")
    offsets = np.arange(0, 27 * n + 1, 27, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def _edge(records: SetRecords, edge: str, export_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ns since the epoch of one edge of every flow, and where there is one."""
    everywhere = np.ones(records.n, bool)
    for unit in ("nanoseconds", "microseconds", "milliseconds", "seconds"):
        key = f"flow_{edge}_{unit}"
        if records.has(key) and records.layout.columns[key].kind != "unsigned":
            return records.microseconds(key) * 1000, everywhere
    if records.has(key := f"flow_{edge}_delta_microseconds"):
        return export_ns - records.ints(key).astype(np.int64) * 1000, everywhere
    if not records.has(key := f"flow_{edge}_sys_up_time"):
        return np.zeros(records.n, np.int64), ~everywhere
    uptime = records.ints(key).astype(np.int64)
    sets, which = records.sets, records.which
    header = [s.export.sys_uptime_ms for s in sets]
    init = [s.options.options.system_init_ms for s in sets]
    v9 = np.array([h is not None for h in header])[which]
    anchored = np.array([i is not None for i in init])[which]
    header_ms = np.array([h or 0 for h in header], np.int64)[which]
    init_ms = np.array([i or 0 for i in init], np.int64)[which]
    # IPFIX: the uptime at export that the init time gives, read as v9 reads the header's
    exported_at_ms = np.where(v9, header_ms, export_ns // 1_000_000 - init_ms)
    return export_ns - signed32(exported_at_ms - uptime) * 1_000_000, v9 | anchored


def _duration(records: SetRecords) -> np.ndarray | None:
    if records.has("flow_duration_milliseconds"):
        return records.ints("flow_duration_milliseconds").astype(np.int64) * 1_000_000
    if records.has("flow_duration_microseconds"):
        return records.ints("flow_duration_microseconds").astype(np.int64) * 1000
    return None


def _masked_time(ns: np.ndarray, mask: np.ndarray) -> pa.Array:
    """Milliseconds, rounded down as `times.iso` does; null where `mask`."""
    return pa.array((ns // 1_000_000).astype("datetime64[ms]"), mask=mask)
