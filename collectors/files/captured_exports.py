"""Datagrams in a capture that carry logs or flows: read for what they carry.

A capture taken where exports arrive (at the collector during an outage, at an agency's uplink,
a vendor's sample of its exporter) holds NetFlow/IPFIX exports and syslog datagrams. Turning
their packets into flows would tell the analyst only that an exporter talked to a collector;
the flows and messages inside are what the listeners would have stored. So each UDP datagram
that is one goes through the listener's own decoder and parsers: the exporter or sender is the
datagram's source address, a syslog message is received at the packet's capture time, and
NetFlow template state lives for the whole capture, with the packet times as its clock.

Recognition looks at structure, not ports (exporters use 2055, 9995, 9996, 4739 or anything):
a v5 header whose record count gives the datagram's length, a v9 or IPFIX header whose sets
(valid ids, lengths of at least a set header) chain to its end, or a syslog PRI `<0>`-`<191>`.
Other protocols rarely pass by chance: a DNS answer would need a transaction id of 5, 9 or 10
and its sections to add up as sets do. A datagram split into IPv4 or IPv6 fragments is put
together by the capture reader when its first fragment is recognised. Syslog over TCP is read
from its streams (`captured_streams`); IPFIX over TCP and TLS streams are not: their packets
stay flows.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import V5_HEADER, V5_MAX_RECORDS, V5_RECORD, V5Packet, decode
from collectors.netflow.normalize import DATASET, normalize_flows, normalize_v5
from collectors.netflow.session import Outcome, Sessions
from collectors.netflow.sets import MIN_DATA_SET_ID, SET_HEADER
from collectors.syslog import parse_syslog
from collectors.syslog.normalize import to_ecs
from soc.config import NetflowSettings
from soc.errors import ParseError
from soc.model.event import Event, stamp

_U16 = struct.Struct("!H")
_V9_HEADER_BYTES, _IPFIX_HEADER_BYTES = 20, 16
_SET_IDS = {9: (0, 1), 10: (2, 3)}  # template and options-template set ids
_PRI = re.compile(rb"<(\d{1,3})>")
_MAX_PRIORITY = 191  # facility 23, severity 7


class CapturedExports:
    """The NetFlow state and syslog reading of one capture; `take` each UDP datagram."""

    def __init__(self, community_id: CommunityId) -> None:
        defaults = NetflowSettings()
        self._sessions = Sessions(
            pending_max_records=defaults.pending_max_records,
            pending_max_age_seconds=defaults.pending_max_age_seconds,
        )
        self._community_id = community_id
        self.problems: list[tuple[str, bytes]] = []  # (reason, raw) since the last look

    def take(
        self, payload: bytes, declared: int, source: tuple[str, int], seconds: float
    ) -> list[Event] | None:
        """The events a datagram from `source` carries, None if it is neither an export nor
        syslog. `declared` is its length by the UDP header: a capture may hold less of it
        (snap length, IP fragments)."""
        if netflow_version(payload, declared) is not None:
            return self._export(payload, declared, source, seconds)
        if is_syslog(payload):
            return self.syslog(payload, source[0], seconds)
        return None

    @staticmethod
    def carries(payload: bytes, declared: int) -> bool:
        """Whether `take` would read the datagram (its start, when that is all there is yet)."""
        return netflow_version(payload, declared) is not None or is_syslog(payload)

    def finish(self) -> None:
        """The end of the capture: data still waiting for its template never gets it."""
        out = Outcome([], [], 0)
        self._sessions.abandon("the capture ended before its template", out)
        self.problems.extend((problem.reason, problem.raw) for problem in out.problems)

    def _export(
        self, payload: bytes, declared: int, source: tuple[str, int], seconds: float
    ) -> list[Event]:
        ip, port = source
        if len(payload) < declared:
            cut = f"{len(payload)} of {declared} bytes (snap length or IP fragments)"
            self.problems.append((f"export from {ip}:{port} cut by the capture: {cut}", payload))
        try:
            packet = decode(payload, exporter=f"{ip}:{port}")
            if isinstance(packet, V5Packet):
                events = normalize_v5(
                    packet, exporter_ip=ip, exporter_port=port, community_id=self._community_id
                )
            else:
                outcome = self._sessions.process(packet, ip=ip, port=port, now=seconds)
                events = normalize_flows(outcome.flows, community_id=self._community_id)
                self.problems.extend((problem.reason, problem.raw) for problem in outcome.problems)
        except ParseError as exc:
            self.problems.append((str(exc), payload))
            return []
        except Exception as exc:  # as in the listener: a decoder bug costs one datagram
            self.problems.append((f"export from {ip}:{port}: internal error: {exc!r}", payload))
            return []
        return [stamp(event, dataset=DATASET) for event in events]

    def syslog(self, payload: bytes, ip: str, seconds: float) -> list[Event]:
        """One syslog message from `ip`, received at capture time `seconds` (a datagram, or a
        frame of a TCP stream: `captured_streams`); a problem when it cannot be read."""
        try:
            received = datetime.fromtimestamp(seconds, UTC)
            doc = to_ecs(parse_syslog(payload, received=received), peer_ip=ip)
        except ParseError as exc:
            self.problems.append((f"syslog from {ip}: {exc}", payload))
            return []
        except Exception as exc:  # as in the listener: a parser bug (or a capture time past
            # any date) costs one message
            self.problems.append((f"syslog from {ip}: internal error: {exc!r}", payload))
            return []
        return [stamp(doc, dataset="syslog", received=received)]


def netflow_version(payload: bytes, declared: int) -> int | None:
    """5, 9 or 10 when the datagram is framed as that version's export, else None."""
    if len(payload) < _V9_HEADER_BYTES:  # the shortest header of the three (v5's is 24)
        return None
    (version,) = _U16.unpack_from(payload)
    if version == 5:
        if len(payload) < V5_HEADER.size:
            return None
        count = V5_HEADER.unpack_from(payload)[1]
        end = V5_HEADER.size + count * V5_RECORD.size
        return 5 if 0 < count <= V5_MAX_RECORDS and end <= declared < end + V5_RECORD.size else None
    if version == 9:
        return 9 if _sets_frame(payload, _V9_HEADER_BYTES, declared, _SET_IDS[9]) else None
    if version == 10:
        (length,) = _U16.unpack_from(payload, 2)
        if length != declared:
            return None
        return 10 if _sets_frame(payload, _IPFIX_HEADER_BYTES, declared, _SET_IDS[10]) else None
    return None


def _sets_frame(payload: bytes, offset: int, end: int, template_ids: tuple[int, int]) -> bool:
    """Whether sets with valid ids follow one another from `offset` to `end` (zero fill after
    the last is allowed, as Palo Alto pads), or to where the capture cut the datagram."""
    sets = 0
    while offset < end:
        if offset + SET_HEADER.size > len(payload):
            return sets > 0 and len(payload) < end  # cut by the capture after whole sets
        set_id, length = SET_HEADER.unpack_from(payload, offset)
        if set_id == length == 0:
            return sets > 0 and not any(payload[offset:end])
        if length < SET_HEADER.size or (set_id not in template_ids and set_id < MIN_DATA_SET_ID):
            return False
        sets += 1
        offset += length
    return sets > 0 and offset == end


def is_syslog(payload: bytes) -> bool:
    """A datagram that begins with a syslog PRI, as every syslog sender over UDP writes it."""
    match = _PRI.match(payload)
    return match is not None and int(match[1]) <= _MAX_PRIORITY
