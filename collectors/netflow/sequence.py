"""Loss detection from export sequence numbers: v9 counts packets, IPFIX counts data records.

A gap is what went missing between two consecutive exports of one observation domain. A
sequence number far behind or far ahead of the expected one is an exporter restart (or
reordering), not loss: counting it would report billions of lost flows.

Some exporters (softflowd 1.1 among them) stamp an IPFIX message with the count *including*
its own records instead of the records sent before it. The tracker notices which convention
a domain follows the first time the two differ, so that such an exporter shows no false loss.
"""

from __future__ import annotations

MODULO = 1 << 32
MAX_GAP = 1 << 20  # more missing than this between two exports: a restart, not loss


class SequenceTracker:
    """One observation domain's sequence; `observe` returns how many units went missing."""

    def __init__(self, *, counts_records: bool) -> None:
        self._counts_records = counts_records
        self._last: int | None = None
        self._last_units = 0
        self._inclusive: bool | None = None  # IPFIX: does a message count its own records?

    def observe(self, sequence: int, units: int | None = None) -> int:
        """Record one export. `units`: its data records (IPFIX), None when some were not
        decodable yet (no template), which leaves the next expectation unknown."""
        if not self._counts_records:
            gap = self._gap(sequence, 1)
            self._last = sequence
            return gap
        gap = 0
        if self._last is not None and units is not None:
            before = self._gap(sequence, self._last_units)  # RFC 7011: records before this one
            including = self._gap(sequence, units)  # the other convention
            if self._inclusive is None and before != including:
                if before == 0:
                    self._inclusive = False
                elif including == 0:
                    self._inclusive = True
            gap = including if self._inclusive else before
        self._last = None if units is None else sequence
        self._last_units = units or 0
        return gap

    def _gap(self, sequence: int, step: int) -> int:
        if self._last is None:
            return 0
        missing = (sequence - self._last - step) % MODULO
        return missing if missing <= MAX_GAP else 0
