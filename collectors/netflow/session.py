"""Template state per exporter and observation domain: learn, decode, buffer, release.

Templates are keyed by (exporter IP, protocol version, observation domain / source id,
template id): v9 and IPFIX number their templates independently, and one router exports
several domains (line cards, VRFs). The exporter's UDP source port is not part of the key,
because exporters pick a new one when they restart, and restarts are exactly when we want
the old templates to keep working.

Data that arrives before its template (normal after a collector restart, or when a UDP packet
carrying the template was lost) waits in a bounded buffer and is decoded, with the export
header it came with, as soon as the template arrives; what waits too long or overflows is
handed back as a dead-letter problem.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from collectors.netflow.elements import Element, ipfix_element, v9_element, v9_scope_element
from collectors.netflow.fields import RecordDecoder, whole_records
from collectors.netflow.ipfix import IpfixPacket
from collectors.netflow.layout import Layout, layout, readable
from collectors.netflow.lists import ListDecoder
from collectors.netflow.options import OptionsSnapshot, OptionsState, same
from collectors.netflow.sequence import SequenceTracker
from collectors.netflow.sets import DataSet, Problem
from collectors.netflow.templates import Template, Withdrawal
from collectors.netflow.v9 import V9Packet

PENDING_BYTES_PER_RECORD = 64
"""Memory budget of a waiting record: the record count of a set is unknown without its
template, so the buffer is also bounded in bytes (flow records are 40-90 bytes in practice)."""

SessionKey = tuple[str, int, int]  # exporter IP, version (9 or 10), observation domain


class ExportInfo(NamedTuple):
    """The header facts a record is read against (times are relative to them)."""

    version: int
    exporter_ip: str
    exporter_port: int
    domain: int
    export_ns: int
    sys_uptime_ms: int | None  # v9 only: the uptime that pairs with export_ns
    sequence: int


class FlowRecord(NamedTuple):
    fields: dict[str, Any]
    export: ExportInfo
    options: OptionsState  # the session's: sampling rate, interface and application names
    structured: bool  # some values are datetimes or lists (see RecordDecoder.structured)


class _Waiting(NamedTuple):
    data: DataSet
    export: ExportInfo
    arrived: float  # monotonic seconds


class ColumnarSet(NamedTuple):
    """A data set left for the columnar path (`collectors.netflow.columnar_sets`): whole
    records of a template with a `layout`, and what the dict path would read them with."""

    layout: Layout
    body: bytes  # `count` records, padding cut off
    count: int
    export: ExportInfo
    options: OptionsSnapshot  # the session's options when the set was decoded
    decoder: RecordDecoder  # the dict path's, for a set the mapping turns down after all

    def flows(self) -> list[FlowRecord]:
        """The set's records as the dict path decodes them. The body is whole records already
        (`whole_records` took the padding off): a last record of zeros stays a record."""
        records, _ = self.decoder.decode(self.body, padded=False)
        structured = self.decoder.structured
        return [FlowRecord(r, self.export, self.options.options, structured) for r in records]


class Outcome(NamedTuple):
    flows: list[FlowRecord]
    problems: list[Problem]
    sequence_gap: int
    sets: Sequence[ColumnarSet] = ()  # `Sessions.process(columnar=True)` only


class Session:
    """One (exporter, version, domain): its templates, compiled decoders and options."""

    def __init__(self, key: SessionKey) -> None:
        self.key = key
        self.templates: dict[int, Template] = {}
        self.options = OptionsState()
        self.waiting: deque[_Waiting] = deque()
        self.waiting_bytes = 0
        self.sequence = SequenceTracker(counts_records=key[1] == 10)
        self.options_changed = False
        self.dropped = 0  # data sets given up on: their template never came
        self._decoders: dict[int, RecordDecoder] = {}
        self._layouts: dict[int, Layout | None] = {}
        self._lists = ListDecoder(self.decoder)

    def elements(self, template: Template) -> list[Element]:
        if self.key[1] == 9:
            return [
                v9_scope_element(f.element_id)
                if i < template.scope_count
                else v9_element(f.element_id)
                for i, f in enumerate(template.fields)
            ]
        return [ipfix_element(f.element_id, f.pen) for f in template.fields]

    def decoder(self, template_id: int) -> RecordDecoder | None:
        decoder = self._decoders.get(template_id)
        if decoder is None and template_id in self.templates:
            template = self.templates[template_id]
            decoder = RecordDecoder(template, self.elements(template), self._lists)
            self._decoders[template_id] = decoder
        return decoder

    def layout(self, template_id: int) -> Layout | None:
        """The template's `layout.layout` (None: the dict path), computed once per definition."""
        if template_id not in self._layouts:
            template = self.templates[template_id]
            self._layouts[template_id] = layout(template, self.elements(template))
        return self._layouts[template_id]

    def learn(self, template: Template) -> bool:
        """Add or replace a template; False when it is a refresh of the same definition."""
        if self.templates.get(template.template_id) == template:
            return False
        self.templates[template.template_id] = template
        self._decoders.pop(template.template_id, None)
        self._layouts.pop(template.template_id, None)
        return True

    def withdraw(self, withdrawal: Withdrawal) -> bool:
        if withdrawal.all_of_kind:
            gone = [t for t, tpl in self.templates.items() if tpl.options == withdrawal.options]
        else:
            gone = [withdrawal.template_id] if withdrawal.template_id in self.templates else []
        for template_id in gone:
            del self.templates[template_id]
            self._decoders.pop(template_id, None)
            self._layouts.pop(template_id, None)
        return bool(gone)

    def decode(
        self,
        data: DataSet,
        export: ExportInfo,
        out: Outcome,
        columnar: list[ColumnarSet] | None = None,
    ) -> int:
        """Decode one set whose template is known; returns its record count. With `columnar`,
        a set of a template with a layout is appended there instead, undecoded."""
        decoder = self.decoder(data.template_id)
        assert decoder is not None
        if columnar is not None and (fixed := self.layout(data.template_id)) is not None:
            snapshot = self.options.snapshot()
            if readable(snapshot):
                size = fixed.dtype.itemsize
                count = whole_records(data.body, size)
                if count:
                    body = data.body[: count * size]
                    columnar.append(ColumnarSet(fixed, body, count, export, snapshot, decoder))
                return count
        records, problem = decoder.decode(data.body)
        if problem:
            out.problems.append(Problem(f"{self.describe()}: {problem}", _raw_set(data)))
        if decoder.template.options:
            for record in records:
                self.options_changed |= self.options.learn(record)
        else:
            structured = decoder.structured
            out.flows.extend(
                FlowRecord(record, export, self.options, structured) for record in records
            )
        return len(records)

    def describe(self) -> str:
        ip, version, domain = self.key
        return f"exporter {ip} ({'v9 source id' if version == 9 else 'IPFIX domain'} {domain})"


def _raw_set(data: DataSet) -> bytes:
    return struct.pack("!HH", data.template_id, len(data.body) + 4) + data.body


class Sessions:
    """Every session of one listener; used by its receive thread only."""

    def __init__(self, *, pending_max_records: int, pending_max_age_seconds: float) -> None:
        self._sessions: dict[SessionKey, Session] = {}
        self._max_sets = pending_max_records
        self._max_bytes = pending_max_records * PENDING_BYTES_PER_RECORD
        self._max_age = pending_max_age_seconds
        self.changed = False  # templates or options changed since the last save

    def __iter__(self) -> Iterator[Session]:
        return iter(self._sessions.values())

    def get(self, key: SessionKey) -> Session:
        session = self._sessions.get(key)
        if session is None:
            session = self._sessions[key] = Session(key)
        return session

    def process(
        self,
        packet: V9Packet | IpfixPacket,
        *,
        ip: str,
        port: int,
        now: float,
        columnar: bool = False,
    ) -> Outcome:
        """Apply one packet's templates and decode its data sets (and any they release).

        `columnar`: sets of templates with a `layout.layout` come back undecoded in the
        outcome's `sets` (read with the options as they are after this packet, like the
        dict records), the others as `flows`."""
        header = packet.header
        if isinstance(packet, V9Packet):
            key: SessionKey = (ip, 9, packet.header.source_id)
            export_ns = packet.header.unix_secs * 1_000_000_000
            uptime: int | None = packet.header.sys_uptime
        else:
            key = (ip, 10, packet.header.observation_domain_id)
            export_ns, uptime = packet.header.export_time * 1_000_000_000, None
        export = ExportInfo(header.version, ip, port, key[2], export_ns, uptime, header.sequence)
        session = self.get(key)
        out = Outcome([], list(packet.problems), 0)
        sets: list[ColumnarSet] | None = [] if columnar else None
        learned: set[int] = set()
        records: int | None = 0
        for item in packet.items:
            if isinstance(item, Template):
                if session.learn(item):
                    self.changed = True
                learned.add(item.template_id)
            elif isinstance(item, Withdrawal):
                self.changed |= session.withdraw(item)
            elif item.template_id in session.templates:
                count = session.decode(item, export, out, sets)
                records = None if records is None else records + count
            else:
                records = None  # sequence accounting needs every record counted
                self._wait(session, _Waiting(item, export, now), out)
        if learned and session.waiting:
            self._release(session, learned, out, sets)
        if sets is not None:
            stale = [s for s in sets if not same(s.options, session.options)]
            for each in stale:  # options later in the packet: read as the dict path reads them
                out.flows.extend(f._replace(options=session.options) for f in each.flows())
            out = out._replace(sets=[s for s in sets if same(s.options, session.options)])
        self.changed |= session.options_changed
        session.options_changed = False
        gap = session.sequence.observe(header.sequence, records)
        self.expire(now, out, session)
        return out._replace(sequence_gap=gap)

    def _wait(self, session: Session, waiting: _Waiting, out: Outcome) -> None:
        session.waiting.append(waiting)
        session.waiting_bytes += len(waiting.data.body)
        while len(session.waiting) > self._max_sets or session.waiting_bytes > self._max_bytes:
            self._drop(session, "the buffer of data waiting for templates is full", out)

    def _drop(self, session: Session, why: str, out: Outcome) -> None:
        dropped = session.waiting.popleft()
        session.waiting_bytes -= len(dropped.data.body)
        session.dropped += 1
        out.problems.append(
            Problem(
                f"{session.describe()}: no template {dropped.data.template_id} for this data "
                f"set; {why}",
                _raw_set(dropped.data),
            )
        )

    def _release(
        self,
        session: Session,
        learned: set[int],
        out: Outcome,
        columnar: list[ColumnarSet] | None,
    ) -> None:
        still: deque[_Waiting] = deque()
        for waiting in session.waiting:
            if waiting.data.template_id in learned:
                session.waiting_bytes -= len(waiting.data.body)
                session.decode(waiting.data, waiting.export, out, columnar)
            else:
                still.append(waiting)
        session.waiting = still

    def expire(self, now: float, out: Outcome, session: Session | None = None) -> None:
        """Drop data that waited longer than the age bound (one session, or all of them)."""
        for each in [session] if session else list(self._sessions.values()):
            while each.waiting and now - each.waiting[0].arrived > self._max_age:
                self._drop(each, f"waited over {self._max_age:g} s", out)

    def abandon(self, why: str, out: Outcome) -> None:
        """Drop all data still waiting: its templates can no longer come (a TCP connection,
        whose templates are its own, has closed)."""
        for each in self._sessions.values():
            while each.waiting:
                self._drop(each, why, out)

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "exporter": s.key[0],
                "version": s.key[1],
                "domain": s.key[2],
                "templates": [t.to_json() for t in s.templates.values()],
                "options": s.options.to_json(),
            }
            for s in self._sessions.values()
            if s.templates or s.options.sampling or s.options.interfaces
        ]

    def restore(self, saved: list[dict[str, Any]]) -> int:
        """Load saved sessions; returns how many entries were unusable (and skipped)."""
        bad = 0
        for entry in saved:
            try:
                version = int(entry["version"])
                if version not in (9, 10):
                    raise ValueError(f"version {version}")
                session = self.get((str(entry["exporter"]), version, int(entry["domain"])))
                for raw in entry["templates"]:
                    template = Template.from_json(raw)
                    session.templates[template.template_id] = template
                session.options = OptionsState.from_json(entry.get("options", {}))
            except (KeyError, TypeError, ValueError, AttributeError):
                bad += 1
        return bad
