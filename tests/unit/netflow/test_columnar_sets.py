"""The columnar v9/IPFIX path (`Sessions.process(columnar=True)` + `columnar_sets.SetColumns`
+ `DuckDBEventStore.write_columns`) against the dict path (`Sessions.process` +
`normalize_flows` + `stamp` + `AgencyTagger.tag` + `write_batch`), as the listener runs them:
random fixed-length templates, records, sampling and interface options, data before its
template; the stored rows (typed columns and parsed documents) are equal, and so are the
health counts (flows, sequence gaps, sets waiting)."""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from netflow_craft import (
    data_set,
    flowset,
    ipfix_message,
    ipfix_options_template_set,
    ipfix_template,
    ipfix_template_set,
    ipv4,
    v9_options_template_set,
    v9_packet,
    v9_template_set,
)
from stored_rows import stored_rows

from collectors.netflow.columnar_sets import SetColumns
from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import decode
from collectors.netflow.elements import Element, ipfix_element
from collectors.netflow.layout import layout
from collectors.netflow.normalize import DATASET, normalize_flows
from collectors.netflow.session import Sessions
from collectors.netflow.templates import Template, TemplateField
from soc.enrich.agency import AgencyTagger
from soc.enrich.geoip import GeoIp
from soc.model.agency import Agency
from soc.model.event import Event, new_event_ids, stamp
from soc.storage.duckdb_store import DuckDBEventStore

IDS = CommunityId()
TAGGER = AgencyTagger(
    [
        Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)),
        Agency("bv-tinh", 'Bệnh viện "tỉnh"', ("10.20.1.0/24", "2001:db8::/32")),
        Agency("a-ubnd", "UBND", ("203.0.113.0/25",)),
    ]
)
EXPORTERS = ["10.20.1.7", "198.51.100.1"]  # one in an agency, one not
REVERSE = 29305
V4 = ["10.20.1.5", "10.20.9.9", "203.0.113.9", "0.0.0.0", "8.8.8.8"]
V6 = ["::", "2001:db8::1", "2001:db8::1:0:0:5", "fe80::1", "::ffff:10.20.1.5"]
# (element, length, enterprise number): every kind and length a layout admits
POOL = [
    (8, 4, 0), (12, 4, 0), (27, 16, 0), (28, 16, 0), (15, 4, 0), (62, 16, 0), (18, 4, 0),
    (1, 4, 0), (1, 8, 0), (2, 4, 0), (2, 8, 0), (85, 8, 0), (86, 4, 0), (231, 8, 0),
    (4, 1, 0), (5, 1, 0), (6, 1, 0), (6, 2, 0), (7, 2, 0), (11, 2, 0), (180, 2, 0),
    (181, 1, 0), (10, 2, 0), (10, 4, 0), (14, 4, 0), (16, 2, 0), (16, 4, 0), (17, 4, 0),
    (9, 1, 0), (13, 1, 0), (29, 1, 0), (21, 4, 0), (22, 4, 0), (61, 1, 0), (136, 1, 0),
    (150, 4, 0), (151, 4, 0), (152, 8, 0), (153, 8, 0), (154, 8, 0), (155, 8, 0),
    (156, 8, 0), (157, 8, 0), (158, 4, 0), (159, 4, 0), (161, 4, 0), (162, 4, 0),
    (32, 2, 0), (139, 2, 0), (176, 1, 0), (177, 1, 0), (178, 1, 0), (179, 1, 0),
    (56, 6, 0), (80, 6, 0), (58, 2, 0), (243, 2, 0), (245, 2, 0), (60, 1, 0), (3, 0, 0),
    (1, 8, REVERSE), (2, 4, REVERSE), (323, 8, 0), (48, 1, 0), (302, 4, 0), (233, 1, 0),
]  # fmt: skip
PROTOCOLS = [0, 1, 6, 17, 47, 58, 132]
NOW_MS = 1_700_000_000_000


def _number(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def _value(element: int, length: int) -> st.SearchStrategy[bytes]:
    """Bytes of one field: raw random, or values that steer the mapping's choices."""
    raw = st.binary(min_size=length, max_size=length)
    special: st.SearchStrategy[bytes] | None = None
    if element in (8, 12, 15, 18):
        special = st.sampled_from(V4).map(ipv4)
    elif element in (27, 28, 62):
        special = st.sampled_from(V6).map(lambda text: socket.inet_pton(socket.AF_INET6, text))
    elif element == 4:
        special = st.sampled_from(PROTOCOLS).map(lambda p: bytes([p]))
    elif element in (10, 14):
        special = st.sampled_from([3, 7]).map(lambda i: _number(i, length))
    elif element in (152, 153, 323):
        special = st.integers(0, 1 << 42).map(lambda v: _number(v, 8))
    elif element in (150, 151):
        special = st.just(_number(NOW_MS // 1000 - 30, length))
    elif element in (21, 22):
        special = st.integers(500_000, 700_000).map(lambda v: _number(v, 4))
    elif element == 233:  # firewallEvent: flow created, deleted, denied
        special = st.sampled_from([1, 2, 3]).map(lambda v: _number(v, length))
    elif element in (61, 48, 302):
        special = st.sampled_from([0, 1, 2]).map(lambda v: _number(v, length))
    if special is None:
        return st.one_of(raw, st.just(bytes(length)))
    return st.one_of(special, special, raw)


@st.composite
def exports(draw: st.DrawFn, like: dict[str, Any] | None = None) -> dict[str, Any]:
    """An exporter's datagrams; `like`: another case whose template this one shares."""
    version = draw(st.sampled_from([9, 10]))
    pool = POOL if version == 10 else [f for f in POOL if not f[2] and f[0] != 323]
    fields = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=12))
    if like is not None:
        version, fields = like["version"], like["fields"]
    if version == 9:  # RFC 3954: no zero-length fields
        fields = [f for f in fields if f[1]] or [(8, 4, 0)]
    records = st.tuples(*(_value(e, n) for e, n, _ in fields)).map(b"".join)
    sets = st.lists(st.lists(records, min_size=0, max_size=6), min_size=1, max_size=3)
    return {
        "version": version,
        "fields": fields,
        "packets": draw(st.lists(sets, min_size=1, max_size=3)),
        "rate": draw(st.sampled_from([None, 1, 100, 2.5])),
        "names": draw(st.booleans()),
        "sampler": draw(st.sampled_from([None, 7])),
        "init": draw(st.sampled_from([None, NOW_MS - 3_600_000])) if version == 10 else None,
        "options_at": draw(st.sampled_from(["none", "before", "after"])),
        "early": draw(st.booleans()),  # the first packet's data comes before its template
        "skip": draw(st.integers(0, 2)),  # packets (v9) or records (IPFIX) lost before the last
    }


def _options(case: dict[str, Any]) -> list[bytes]:
    """Options template and data sets for the case's sampling, names, init and sampler."""
    sets = []
    if case["sampler"] is not None:  # sampler 1: 1 in `sampler` (samplerRandomInterval)
        record = struct.pack("!BI", 1, case["sampler"])
        if case["version"] == 9:
            template = v9_options_template_set(401, [(1, 4)], [(48, 1), (50, 4)])
            record = bytes(4) + record
        else:
            template = ipfix_options_template_set(401, 1, [(48, 1), (50, 4)])
        sets += [template, data_set(401, record)]
    if case["rate"] is None and not case["names"] and case["init"] is None:
        return sets
    fields: list[tuple[int, int]] = []
    values = b""
    if case["rate"] == 2.5:  # PSAMP 1 in (interval + space) / interval
        fields += [(305, 4), (306, 4)]
        values += struct.pack("!II", 2, 3)
    elif case["rate"] is not None:
        fields.append((34, 4))
        values += struct.pack("!I", case["rate"])
    if case["names"]:
        fields.append((82, 16))
        values += b"Gi0/3".ljust(16, b"\0")
    if case["init"] is not None:
        fields.append((160, 8))
        values += struct.pack("!Q", case["init"])
    if case["version"] == 9:
        template = v9_options_template_set(400, [(2, 4)], fields)
    else:
        template = ipfix_options_template_set(400, 1, [(10, 4), *fields])
    return [*sets, template, data_set(400, struct.pack("!I", 3) + values)]


def _datagrams(case: dict[str, Any]) -> list[bytes]:
    version, fields = case["version"], case["fields"]
    if version == 9:
        template = v9_template_set((300, [(e, n) for e, n, _ in fields]))
    else:
        template = ipfix_template_set(ipfix_template(300, [(e, n, p) if p else (e, n)
                                                           for e, n, p in fields]))  # fmt: skip
    options = _options(case)
    datagrams = []
    sequence = 0
    for number, sets in enumerate(case["packets"]):
        parts = [flowset(300, b"".join(records)) for records in sets]
        if number == 0:
            if case["options_at"] == "before":
                parts = [*options, *parts]
            elif case["options_at"] == "after":
                parts = [*parts, *options]
            parts = [*parts, template] if case["early"] else [template, *parts]
        if number == len(case["packets"]) - 1:
            sequence += case["skip"]
        if version == 9:
            datagrams.append(v9_packet(*parts, unix_secs=NOW_MS // 1000, sequence=sequence))
            sequence += 1
        else:
            datagrams.append(ipfix_message(*parts, export_time=NOW_MS // 1000, sequence=sequence))
            sequence += sum(len(records) for records in sets)
    return datagrams


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stores")
    dicts = DuckDBEventStore(folder / "dicts.duckdb")
    columns = DuckDBEventStore(folder / "columns.duckdb")
    yield dicts, columns
    dicts.close()
    columns.close()


@pytest.fixture(scope="module")
def geoip() -> GeoIp:
    return GeoIp()


def _tagged(events: list[Event], geo: GeoIp | None) -> tuple[list[Event], list[str]]:
    ids = new_event_ids(len(events))
    for event, event_id in zip(events, ids, strict=True):
        event["event"]["id"] = event_id
        TAGGER.tag(stamp(event, dataset=DATASET))
        if geo is not None:
            geo.tag(event)
    return events, ids


def _sessions() -> Sessions:
    return Sessions(pending_max_records=100, pending_max_age_seconds=300)


def _interleaved(cases: list[dict[str, Any]]) -> list[tuple[bytes, str]]:
    """Each case's datagrams from its own exporter, taking turns (one drain, many sessions)."""
    queues = [[(raw, EXPORTERS[i]) for raw in _datagrams(c)] for i, c in enumerate(cases)]
    out = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


def _compare(stores, cases: list[dict[str, Any]], geo: GeoIp | None = None) -> None:
    dict_store, column_store = stores
    by_dict, by_columns = _sessions(), _sessions()
    columns = SetColumns(IDS)
    want_events: list[Event] = []
    got_events: list[Event] = []
    want_health, got_health = [], []
    for raw, exporter in _interleaved(cases):
        packet = decode(raw, exporter=f"{exporter}:2055")
        outcome = by_dict.process(packet, ip=exporter, port=2055, now=0)
        events = normalize_flows(outcome.flows, community_id=IDS)
        want_events += events
        want_health.append((len(events), outcome.sequence_gap, len(outcome.problems)))

        outcome = by_columns.process(packet, ip=exporter, port=2055, now=0, columnar=True)
        events = normalize_flows(outcome.flows, community_id=IDS)
        kept = 0
        for item in outcome.sets:  # as `NetflowListener._keep_sets`
            if columns.add(item):
                kept += item.count
            else:
                events += normalize_flows(item.flows(), community_id=IDS)
        got_events += events
        got_health.append((kept + len(events), outcome.sequence_gap, len(outcome.problems)))
    assert got_health == want_health
    assert [len(s.waiting) for s in by_columns] == [len(s.waiting) for s in by_dict]

    want_events, want_ids = _tagged(want_events, geo)
    assert dict_store.write_batch(want_events) == len(want_events)
    got_events, got_ids = _tagged(got_events, geo)
    assert column_store.write_batch(got_events) == len(got_events)
    batches = columns.take(TAGGER.ipv4_prefixes(), TAGGER.lookup, geo.lookup if geo else None)
    for batch in batches:
        assert column_store.write_columns(batch) == len(batch)
        got_ids += batch.table.column("event.id").to_pylist()
    assert len(got_ids) == len(want_ids)
    assert stored_rows(column_store, got_ids) == stored_rows(dict_store, want_ids)


FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURE_OK)
@given(exports())
@example(  # one 1-byte record of zero, padded to 4 bytes, the options after it in its packet
    case={"version": 10, "fields": [(5, 1, 0)], "packets": [[[b"\x00"]]], "rate": None,
          "names": True, "sampler": None, "init": None, "options_at": "after", "early": False,
          "skip": 0},
)  # fmt: skip
def test_columnar_sets_store_what_the_dict_path_stores(stores, case) -> None:
    _compare(stores, [case])


@st.composite
def two_exporters(draw: st.DrawFn) -> list[dict[str, Any]]:
    first = draw(exports())
    return [first, draw(st.one_of(exports(), exports(like=first)))]


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(two_exporters())
def test_two_exporters_in_one_drain(stores, cases) -> None:
    """Sets of two sessions mapped together: one template (one batch) or two."""
    _compare(stores, cases)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(exports())
def test_columnar_sets_add_geoip_as_the_enricher_does(stores, geoip, case) -> None:
    _compare(stores, [case], geoip)


def _template(*fields: tuple[int, int]) -> Template:
    return Template(300, tuple(TemplateField(e, n) for e, n in fields))


def _elements(template: Template) -> list[Element]:
    return [ipfix_element(f.element_id, f.pen) for f in template.fields]


@pytest.mark.parametrize(
    "fields",
    [
        [(8, 4), (96, 0xFFFF)],  # variable length
        [(8, 4), (7, 4)],  # a port of 4 bytes
        [(8, 4), (8, 5)],  # an odd-length address
        [(8, 4), (225, 4)],  # NAT
        [(8, 4), (239, 1)],  # biflow direction
        [(8, 4), (95, 4)],  # application id
        [(8, 4), (34, 4)],  # the flow's own sampling interval
        [(8, 4), (4, 2)],  # a 2-byte protocol
        [(8, 4), (152, 4)],  # a millisecond time in 4 bytes
        [(8, 4), (176, 2)],  # a 2-byte ICMP type
        [(8, 4), (82, 16)],  # a string
        [(8, 4), (1, 3)],  # a 3-byte counter
    ],
)
def test_templates_the_columnar_path_leaves_to_the_dict_path(fields) -> None:
    template = _template(*fields)
    assert layout(template, _elements(template)) is None


def test_options_templates_stay_on_the_dict_path() -> None:
    template = Template(300, (TemplateField(10, 4), TemplateField(34, 4)), 1, options=True)
    assert layout(template, _elements(template)) is None


def test_a_softflowd_template_takes_the_columnar_path() -> None:
    fields = [(8, 4), (12, 4), (22, 4), (21, 4), (1, 4), (2, 4), (10, 4), (14, 4)]
    fields += [(61, 1), (136, 1), (7, 2), (11, 2), (4, 1), (6, 1), (60, 1), (5, 1)]
    template = _template(*fields)
    fixed = layout(template, _elements(template))
    assert fixed is not None and fixed.dtype.itemsize == 42


@pytest.mark.parametrize("version", [9, 10])
def test_a_samplers_rate_scales_its_flows_and_others_the_exporters(stores, version) -> None:
    def record(sampler: int) -> bytes:
        return ipv4("10.20.1.5") + struct.pack("!IB", 100, sampler)

    case = {
        "version": version,
        "fields": [(8, 4, 0), (1, 4, 0), (48, 1, 0)],
        "packets": [[[record(1), record(2)]], [[record(1)]]],
        "rate": 100,
        "names": False,
        "sampler": 7,
        "init": None,
        "options_at": "before",
        "early": False,
        "skip": 0,
    }
    _compare(stores, [case])
    by_columns = _sessions()
    for raw in _datagrams(case)[:1]:
        packet = decode(raw, exporter="x")
        (kept,) = by_columns.process(packet, ip=EXPORTERS[0], port=2055, now=0, columnar=True).sets
    columns = SetColumns(IDS)
    assert columns.add(kept)
    (batch,) = columns.take(TAGGER.ipv4_prefixes(), TAGGER.lookup)
    assert batch.table.column("source.bytes").to_pylist() == [700, 10_000]


def _plain_case(version: int, fields: list, packets: list) -> dict[str, Any]:
    """One exporter's packets with no options, loss or reordering: `exports`' plainest case."""
    return {
        "version": version,
        "fields": fields,
        "packets": packets,
        "rate": None,
        "names": False,
        "sampler": None,
        "init": None,
        "options_at": "none",
        "early": False,
        "skip": 0,
    }


@pytest.mark.parametrize(("version", "firewall_event"), [(9, 40005), (10, 233)])
def test_a_flow_deleted_event_time_ends_the_flow_on_both_paths(
    stores, version, firewall_event
) -> None:
    """Cisco ASA NSEL's records (v9 field 40005; IE 233 in IPFIX) carry the flow's start and
    the event's time, no end: a flow-deleted record ends at its event time, a created or
    denied one has no end. What happened is the event's action, type and outcome."""
    start_ms, at_ms = NOW_MS - 5_000, NOW_MS - 1_500  # 22:13:15.000Z, 22:13:18.500Z

    def record(event: int) -> bytes:
        return ipv4("10.20.1.5") + struct.pack("!QBQ", start_ms, event, at_ms)

    case = _plain_case(
        version,
        [(8, 4, 0), (152, 8, 0), (firewall_event, 1, 0), (323, 8, 0)],
        [[[record(1), record(2), record(3)]]],
    )
    _compare(stores, [case])
    (raw,) = _datagrams(case)
    packet = decode(raw, exporter="x")
    flows = _sessions().process(packet, ip=EXPORTERS[0], port=2055, now=0).flows
    events = [e["event"] for e in normalize_flows(flows, community_id=IDS)]
    assert [(e.get("end"), e.get("duration")) for e in events] == [
        (None, None),
        ("2023-11-14T22:13:18.500Z", 3_500_000_000),
        (None, None),
    ]
    (kept,) = _sessions().process(packet, ip=EXPORTERS[0], port=2055, now=0, columnar=True).sets
    columns = SetColumns(IDS)
    assert columns.add(kept)
    (batch,) = columns.take(TAGGER.ipv4_prefixes(), TAGGER.lookup)
    assert batch.table.column("event.duration").to_pylist() == [None, 3_500_000_000, None]
    happened = [
        ("flow_created", ["connection", "start"], None),
        ("flow_deleted", ["connection", "end"], None),
        ("flow_denied", ["connection", "denied"], "failure"),
    ]
    assert [(e["action"], e["type"], e.get("outcome")) for e in events] == happened
    columns_said = zip(
        *(batch.table.column(f"event.{k}").to_pylist() for k in ("action", "type", "outcome")),
        strict=True,
    )
    assert list(columns_said) == happened
    assert "event.type" not in batch.constants


@pytest.mark.parametrize("version", [9, 10])
def test_icmpv6_type_and_code_in_icmp_type_code_ipv4_on_both_paths(stores, version) -> None:
    """nfdump's exporter (nfreplay) sends every flow's ICMP type and code in IE 32, ICMPv6's
    too; a 0 there is no ICMPv6 type (they start at 1), so the port is read instead."""
    source = socket.inet_pton(socket.AF_INET6, "2001:db8::1")

    def record(port: int, type_code: int) -> bytes:
        return source + struct.pack("!BHH", 58, port, type_code)

    case = _plain_case(
        version,
        [(27, 16, 0), (4, 1, 0), (11, 2, 0), (32, 2, 0)],
        [[[record(0, 0x8000), record(0x8100, 0), record(0, 0)]]],
    )
    _compare(stores, [case])
    (raw,) = _datagrams(case)
    flows = _sessions().process(decode(raw, exporter="x"), ip=EXPORTERS[0], port=2055, now=0)
    events = normalize_flows(flows.flows, community_id=IDS)
    assert [(e["netflow"]["icmp_type_ipv6"], e["netflow"]["icmp_code_ipv6"]) for e in events] == [
        (128, 0),
        (129, 0),
        (0, 0),
    ]
