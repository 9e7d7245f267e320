"""When a flow happened: every way v5, v9 and IPFIX exporters say it, to ns since the epoch.

Exporters disagree on clocks. v5 and v9 stamp flows with the router's uptime and pair one
uptime with a wall clock in the header; IPFIX adds absolute times in four precisions, offsets
before the export, and uptimes anchored by systemInitTimeMilliseconds (often sent only in an
options record). Integer nanoseconds throughout: a float of epoch seconds is ~0.2 µs coarse,
enough to flip a millisecond.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_TIME_KEYS = tuple(
    (
        tuple(
            f"flow_{edge}_{unit}"
            for unit in ("nanoseconds", "microseconds", "milliseconds", "seconds")
        ),
        f"flow_{edge}_delta_microseconds",
        f"flow_{edge}_sys_up_time",
    )
    for edge in ("start", "end")
)


FLOW_DELETED = 2
"""firewallEvent (IE 233; NSEL's NF_F_FW_EVENT, v9 field 40005) of a flow's teardown record."""
EVENT_TIME = "observation_time_milliseconds"
"""NSEL's NF_F_EVENT_TIME_MSEC (IE 323): when the firewall event happened."""

_FIRST_NS = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // _MICROSECOND * 1000
_LAST_NS = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - _EPOCH) // _MICROSECOND * 1000


def iso(ns: int) -> str:
    """ECS timestamps: UTC, millisecond precision."""
    moment = _EPOCH + timedelta(microseconds=ns // 1000)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def first_int(fields: dict[str, Any], *keys: str) -> int | None:
    """The first of `keys` holding an integer (not a bool, not hex kept from an odd length)."""
    for key in keys:
        value = fields.get(key)
        if type(value) is int:
            return value
    return None


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _ns(moment: Any) -> int | None:
    return (moment - _EPOCH) // _MICROSECOND * 1000 if isinstance(moment, datetime) else None


def flow_times(
    fields: dict[str, Any],
    *,
    export_ns: int,
    sys_uptime_ms: int | None,
    system_init_ms: int | None,
) -> tuple[int | None, int | None]:
    """Start and end in ns since the epoch, from whichever time fields the record has.

    Absolute (IPFIX 150-157) first; then microseconds before the export (158/159); then
    sysUpTime milliseconds (21/22), relative to the header's uptime (v5/v9: `sys_uptime_ms`,
    taken as a signed 32-bit difference since the counter wraps every 49.7 days) or, in IPFIX,
    to the uptime at export that systemInitTimeMilliseconds gives (from the record, or
    `system_init_ms` from an options record), the same signed difference: an exporter up longer
    than 49.7 days sends wrapped uptimes, and softflowd replaying a capture sends uptimes
    "before" its start (just under 2**32); init + uptime would put either ~49.7 days after the
    export. A firewall's flow-deleted record without an end (Cisco ASA NSEL sends none) ends at
    its event time. A duration (161/162) fills in a missing end or start.
    """
    times: list[int | None] = []
    for absolute, delta, uptime_key in _TIME_KEYS:
        found = None
        for key in absolute:
            if key in fields and (found := _ns(fields[key])) is not None:
                break
        if found is None and (delta_us := first_int(fields, delta)) is not None:
            found = export_ns - delta_us * 1000
        uptime = first_int(fields, uptime_key) if found is None else None
        if uptime is not None:
            if sys_uptime_ms is not None:
                found = export_ns - _signed32(sys_uptime_ms - uptime) * 1_000_000
            else:
                base = _ns(fields.get("system_init_time_milliseconds"))
                if base is None and system_init_ms is not None:
                    base = system_init_ms * 1_000_000
                if base is not None:  # the uptime at export pairs with export_ns, as in v9
                    exported_at_ms = (export_ns - base) // 1_000_000
                    found = export_ns - _signed32(exported_at_ms - uptime) * 1_000_000
        times.append(found)
    start, end = times
    if end is None and first_int(fields, "firewall_event") == FLOW_DELETED:
        end = _ns(fields.get(EVENT_TIME))
    duration_ms = first_int(fields, "flow_duration_milliseconds")
    duration_ns = None if duration_ms is None else duration_ms * 1_000_000
    micro = first_int(fields, "flow_duration_microseconds")
    if duration_ns is None and micro is not None:
        duration_ns = micro * 1000
    if duration_ns is not None:
        if end is None and start is not None:
            end = start + duration_ns
        elif start is None and end is not None:
            start = end - duration_ns
    # A duration can carry a time past year 9999, which no timestamp holds: `iso` would raise
    # and lose the datagram's other flows. Such a time is left out, as if never sent.
    return _representable(start), _representable(end)


def _representable(ns: int | None) -> int | None:
    return ns if ns is not None and _FIRST_NS <= ns <= _LAST_NS else None
