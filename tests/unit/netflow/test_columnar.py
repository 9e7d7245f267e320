"""The columnar v5 path (`collectors.netflow.columnar_v5` + `DuckDBEventStore.write_columns`)
against the dict path (`normalize_v5` + `stamp` + `AgencyTagger.tag` + `write_batch`): for
random valid datagrams, the stored documents are JSON-equal (but for `event.ingested`) and
the typed columns equal."""

from __future__ import annotations

import itertools
import socket

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.netflow.columnar_v5 import V5Columns
from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import V5_HEADER, V5_RECORD, decode_v5
from collectors.netflow.normalize import DATASET, normalize_v5
from soc.enrich.agency import AgencyTagger
from soc.enrich.geoip import GeoIp
from soc.model.agency import Agency
from soc.model.event import new_event_ids, stamp
from soc.model.fields import TYPED_FIELDS, column_name
from soc.storage import columnar_sql
from soc.storage.duckdb_store import DuckDBEventStore

IDS = CommunityId()
TAGGER = AgencyTagger(
    [
        Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)),
        Agency("bv-tinh", 'Bệnh viện "tỉnh"', ("10.20.1.0/24", "2001:db8::/32")),
        Agency("a-ubnd", "UBND", ("203.0.113.0/25",)),
        Agency("so-yte", "Sở Y tế (bis)", ("198.51.100.0/24",)),  # same id, second network
    ]
)
ADDRESSES = [
    "10.20.1.5",
    "10.20.9.9",
    "203.0.113.9",
    "203.0.113.200",
    "198.51.100.7",
    "0.0.0.0",
    "255.255.255.255",
    "8.8.8.8",
]
EXPORTERS = [("192.0.2.1", 2055), ("10.20.1.7", 9995), ("203.0.113.1", 40000)]
u8, u16, u32 = (st.integers(0, (1 << bits) - 1) for bits in (8, 16, 32))
addresses = st.one_of(
    st.sampled_from(ADDRESSES), u32.map(lambda v: socket.inet_ntoa(v.to_bytes(4)))
)
protocols = st.one_of(st.sampled_from([0, 1, 6, 17, 47, 58, 132, 250]), u8)
ports = st.one_of(st.sampled_from([0, 53, 443, 2048, 0x0303]), u16)
records = st.tuples(
    addresses, addresses, addresses, u16, u16, u32, u32, u32, u32, ports, ports, u8, protocols,
    u8, u16, u16, u8, u8,
)  # fmt: skip
headers = st.tuples(
    u32,  # sys_uptime
    st.integers(0, 4_000_000_000),  # unix_secs
    st.integers(0, 999_999_999),  # unix_nsecs
    u32,  # flow_sequence
    u8,
    u8,
    st.one_of(st.just(0), u16),  # sampling mode and interval
)


def _datagram(header: tuple[int, ...], recs: list[tuple]) -> bytes:
    uptime, secs, nsecs, sequence, engine_type, engine_id, sampling = header
    raw = V5_HEADER.pack(
        5, len(recs), uptime, secs, nsecs, sequence, engine_type, engine_id, sampling
    )
    for src, dst, hop, *rest in recs:
        addr = [socket.inet_aton(a) for a in (src, dst, hop)]
        raw += V5_RECORD.pack(*addr, *rest)
    return raw


datagrams = st.lists(
    st.tuples(headers, st.lists(records, min_size=0, max_size=30), st.sampled_from(EXPORTERS)),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def stores():
    dicts, columns = DuckDBEventStore(), DuckDBEventStore()
    yield dicts, columns
    dicts.close()
    columns.close()


def _rows(store: DuckDBEventStore, ids: list[str]) -> list[dict]:
    cursor = store._con.execute(
        "SELECT * FROM events WHERE event_id IN (SELECT unnest(?)) ORDER BY event_id", [ids]
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(datagrams)
def test_columnar_v5_stores_what_the_dict_path_stores(stores, sent) -> None:
    _compare(*stores, sent)


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(datagrams)
def test_documents_by_concatenation_when_rows_have_too_many_shapes(stores, sent) -> None:
    limit = columnar_sql.MAX_SHAPES
    columnar_sql.MAX_SHAPES = 0  # every batch takes the concatenating statement
    try:
        _compare(*stores, sent)
    finally:
        columnar_sql.MAX_SHAPES = limit


@pytest.fixture(scope="module")
def geoip() -> GeoIp:
    return GeoIp()


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(datagrams)
def test_columnar_v5_adds_geoip_as_the_enricher_does(stores, geoip, sent) -> None:
    _compare(*stores, sent, geoip)


def _compare(
    dict_store: DuckDBEventStore, column_store: DuckDBEventStore, sent, geo: GeoIp | None = None
) -> None:
    packets = [(_datagram(h, recs), ip, port) for h, recs, (ip, port) in sent]
    total = sum(len(recs) for _, recs, _ in sent)
    ids = new_event_ids(total)

    events = []
    given_ids = iter(ids)
    for raw, ip, port in packets:
        packet = decode_v5(raw, f"{ip}:{port}")
        for event in normalize_v5(packet, exporter_ip=ip, exporter_port=port, community_id=IDS):
            event["event"]["id"] = next(given_ids)
            event = TAGGER.tag(stamp(event, dataset=DATASET))
            events.append(geo.tag(event) if geo is not None else event)
    assert dict_store.write_batch(events) == total

    columns = V5Columns(IDS, ids=lambda n: pa.array(ids[:n], pa.string()))
    for raw, ip, port in packets:
        columns.add(raw, V5_HEADER.unpack_from(raw)[1], ip, port)
    batch = columns.take(TAGGER.ipv4_prefixes(), TAGGER.lookup, geo.lookup if geo else None)
    if not total:
        assert batch is None
        return
    assert column_store.write_columns(batch) == total
    assert column_store.write_columns(batch) == 0  # idempotent on event.id

    expected, got = _rows(dict_store, ids), _rows(column_store, ids)
    assert len(expected) == len(got) == total
    for want, have in zip(expected, got, strict=True):
        want_doc, have_doc = orjson.loads(want.pop("doc")), orjson.loads(have.pop("doc"))
        assert have_doc["event"].pop("ingested") == _iso(have["event_ingested"])
        want_doc["event"].pop("ingested")
        assert have_doc == want_doc
        want.pop("event_ingested"), have.pop("event_ingested")
        assert have == want


def _iso(moment) -> str:
    return moment.isoformat(timespec="milliseconds") + "Z"


def test_every_typed_field_is_compared() -> None:
    assert {column_name(f) for f in TYPED_FIELDS} >= {"source_ip", "organization_id"}


def test_ids_are_the_given_ones_in_order() -> None:
    counter = itertools.count()
    columns = V5Columns(IDS, ids=lambda n: pa.array([f"id-{next(counter):04d}" for _ in range(n)]))
    raw = _datagram(
        (1000, 1_700_000_000, 0, 0, 0, 0, 0),
        [("10.20.1.5", "8.8.8.8", "0.0.0.0", 1, 2, 3, 4, 5, 6, 7, 8, 0, 6, 0, 0, 0, 0, 0)] * 3,
    )
    columns.add(raw, 3, "192.0.2.1", 2055)
    batch = columns.take(TAGGER.ipv4_prefixes(), TAGGER.lookup)
    assert batch is not None
    assert batch.table.column("event.id").to_pylist() == ["id-0000", "id-0001", "id-0002"]
    events = batch.to_events()
    assert events[0]["organization"] == {"id": "bv-tinh", "name": 'Bệnh viện "tỉnh"'}
    assert events[0]["source"]["port"] == 7
