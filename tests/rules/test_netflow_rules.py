"""rules/soc/network/mr_netflow_horizontal_scan.yml (50 addresses on one lateral-movement port
per agency source in 5m) and mr_netflow_large_outbound_transfer.yml (1 GB from an agency host
to one outside address in 1h), over flows as the collector stores them: IPFIX messages built
byte by byte, through decode, Sessions, normalize_flows and the agency tagger, which sets the
perimeter direction both rules read."""

from __future__ import annotations

import struct
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from netflow_craft import data_set, ipfix_message, ipfix_template, ipfix_template_set, ipv4

from collectors.netflow.community_id import CommunityId
from collectors.netflow.decode import decode
from collectors.netflow.normalize import normalize_flows
from collectors.netflow.session import Sessions
from soc.enrich.agency import AgencyTagger
from soc.model.agency import Agency
from soc.model.event import Event
from soc.rules import Catalog

SCAN = "0623c7db-dd0e-4ba7-8218-5760f19bd987"
SCAN_FLOW = "1ef746cc-31e1-4b93-bbeb-c1488c4f5307"
EXFILTRATION = "32d9f22e-a4e7-41f0-809d-d1c6244ab968"
OUTBOUND_FLOW = "45e6e009-94e7-425f-98b4-985226c4ed61"

TAGGER = AgencyTagger(
    [
        Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)),
        Agency("so-gddt", "Sở Giáo dục và Đào tạo", ("10.30.0.0/16",)),
    ]
)
START = int(datetime(2026, 12, 7, 8, 0, tzinfo=UTC).timestamp())
HOST, OTHER_HOST, SERVER = "10.20.5.7", "10.20.5.8", "203.0.113.9"

# Addresses, ports, protocol, TCP flags, octets, packets, flow start/end (ms), firewallEvent:
# what a router's IPFIX template for a firewall's flow export carries.
TEMPLATE = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (1, 8), (2, 8), (152, 8),
            (153, 8), (233, 1)]  # fmt: skip


@dataclass(frozen=True)
class Flow:
    src: str
    dst: str
    dst_port: int
    second: int = 0  # export time, seconds after START
    octets: int = 44
    packets: int = 1
    firewall_event: int = 0  # 0: a plain flow; 3: denied (IANA flowDenied)
    tcp_flags: int = 0x02  # SYN only, as a sweep's probes


def _record(flow: Flow) -> bytes:
    ms = (START + flow.second) * 1000
    return (
        ipv4(flow.src)
        + ipv4(flow.dst)
        + struct.pack(
            "!HHBBQQQQB",
            49152,
            flow.dst_port,
            6,
            flow.tcp_flags,
            flow.octets,
            flow.packets,
            ms - 500,
            ms,
            flow.firewall_event,
        )
    )


def exported(flows: list[Flow]) -> list[Event]:
    """The flows as one agency router exports them: one IPFIX message per export second."""
    sessions = Sessions(pending_max_records=100, pending_max_age_seconds=300)
    by_second: dict[int, list[Flow]] = defaultdict(list)
    for flow in flows:
        by_second[flow.second].append(flow)
    events: list[Event] = []
    for second, batch in sorted(by_second.items()):
        message = ipfix_message(
            ipfix_template_set(ipfix_template(256, TEMPLATE)),
            data_set(256, *(_record(f) for f in batch), pad=False),
            export_time=START + second,
        )
        outcome = sessions.process(decode(message, exporter="x"), ip="10.20.0.1", port=4739, now=0)
        assert outcome.problems == []
        events.extend(normalize_flows(outcome.flows, community_id=CommunityId()))
    return [TAGGER.tag(event) for event in events]


def sweep(src: str, port: int, count: int, *, first: int = 1, second: int = 0) -> list[Flow]:
    return [
        Flow(src, f"10.30.{i // 250}.{i % 250 + 1}", port, second)
        for i in range(first - 1, first - 1 + count)
    ]


def upload(src: str, dst: str, *octets: int, second: int = 0) -> list[Flow]:
    return [Flow(src, dst, 443, second, n, n // 1400, tcp_flags=0x1B) for n in octets]


# -- horizontal scan -----------------------------------------------------------------------------


def test_fifty_addresses_on_one_port_from_an_agency_host_alert(run_rule) -> None:
    rows = run_rule(SCAN, exported(sweep(HOST, 445, 50)))
    assert len(rows) == 1
    assert rows[0]["group_key"] == f"{HOST} | 445"
    assert rows[0]["value_count"] == 50
    assert rows[0]["organization_id"] == "so-yte"


def test_forty_nine_addresses_stay_below_the_threshold(run_rule) -> None:
    assert run_rule(SCAN, exported(sweep(HOST, 445, 49) + sweep(HOST, 445, 10))) == []


def test_ports_and_sources_are_counted_apart(run_rule) -> None:
    flows = [
        *sweep(HOST, 445, 30),
        *sweep(HOST, 3389, 30, first=31),
        *sweep(OTHER_HOST, 445, 30, first=31),
    ]
    assert run_rule(SCAN, exported(flows)) == []


def test_accepted_and_denied_flows_count_alike(run_rule) -> None:
    """Hosts that answer give accepted flows, firewalls between agencies deny the rest."""
    denied = [Flow(f.src, f.dst, f.dst_port, firewall_event=3) for f in sweep(HOST, 23, 25)]
    events = exported(denied + sweep(HOST, 23, 25, first=26))
    assert sum("denied" in e["event"]["type"] for e in events) == 25
    assert [r["value_count"] for r in run_rule(SCAN, events)] == [50]


def test_an_outbound_sweep_counts_as_an_inside_one(run_rule) -> None:
    """A worm in an agency reaching for the Internet's SMB servers."""
    flows = [Flow(HOST, f"198.51.100.{i}", 445) for i in range(1, 51)]
    assert [r["value_count"] for r in run_rule(SCAN, exported(flows))] == [50]


def test_the_window_holds_five_minutes_both_ends_included(run_rule) -> None:
    at_edge = exported(sweep(HOST, 22, 25) + sweep(HOST, 22, 25, first=26, second=300))
    assert [r["value_count"] for r in run_rule(SCAN, at_edge)] == [50]


def test_a_sweep_longer_than_five_minutes_is_not_counted_whole(run_rule) -> None:
    late = exported(sweep(OTHER_HOST, 22, 25) + sweep(OTHER_HOST, 22, 25, first=26, second=301))
    assert run_rule(SCAN, late) == []


def test_internet_scanners_sweeping_the_agencies_do_not_count(run_rule) -> None:
    inbound = sweep("198.51.100.23", 23, 60)
    assert run_rule(SCAN, exported(inbound)) == []


def test_ports_outside_the_lateral_movement_list_do_not_count(run_rule) -> None:
    """A proxy or resolver reaches many addresses on web and DNS ports every minute."""
    assert run_rule(SCAN, exported(sweep(HOST, 443, 60))) == []


# -- large outbound transfer ---------------------------------------------------------------------


def test_one_gigabyte_to_one_outside_address_in_an_hour_alerts(run_rule) -> None:
    flows = [
        *upload(HOST, SERVER, *[100_000_000] * 5),
        *upload(HOST, SERVER, *[100_000_000] * 5, second=1800),
    ]
    rows = run_rule(EXFILTRATION, exported(flows))
    assert len(rows) == 1
    assert rows[0]["group_key"] == f"{HOST} | {SERVER}"
    assert rows[0]["measure"] == 1_000_000_000
    assert rows[0]["organization_id"] == "so-yte"


def test_a_byte_less_stays_below_the_threshold(run_rule) -> None:
    flows = upload(HOST, SERVER, *[100_000_000] * 9, 99_999_999)
    assert run_rule(EXFILTRATION, exported(flows)) == []


def test_flows_under_a_megabyte_are_not_summed(run_rule) -> None:
    """The floor that keeps an hour of flows cheap to read: 1,001 connections of 999,999
    bytes are a gigabyte, but not one of them is counted."""
    flows = upload(HOST, SERVER, *[999_999] * 1001)
    assert run_rule(EXFILTRATION, exported(flows)) == []


def test_downloads_into_an_agency_do_not_count(run_rule) -> None:
    """The same gigabyte from the outside server to the agency host: inbound."""
    flows = upload(SERVER, HOST, *[200_000_000] * 5)
    events = exported(flows)
    assert {e["network"]["direction"] for e in events} == {"inbound"}
    assert run_rule(EXFILTRATION, events) == []


def test_transfers_between_agencies_do_not_count(run_rule) -> None:
    events = exported(upload(HOST, "10.30.1.10", *[200_000_000] * 5))
    assert {e["network"]["direction"] for e in events} == {"internal"}
    assert run_rule(EXFILTRATION, events) == []


def test_sources_and_destinations_are_summed_apart(run_rule) -> None:
    flows = [
        *upload(HOST, SERVER, *[100_000_000] * 6),
        *upload(HOST, "203.0.113.10", *[100_000_000] * 6),
        *upload(OTHER_HOST, SERVER, *[100_000_000] * 6),
    ]
    assert run_rule(EXFILTRATION, exported(flows)) == []


def test_the_window_holds_an_hour_both_ends_included(run_rule) -> None:
    flows = [*upload(HOST, SERVER, 500_000_000), *upload(HOST, SERVER, 500_000_000, second=3600)]
    assert [r["measure"] for r in run_rule(EXFILTRATION, exported(flows))] == [1_000_000_000]


def test_an_upload_slower_than_a_gigabyte_an_hour_is_not_summed_whole(run_rule) -> None:
    flows = [*upload(HOST, SERVER, 500_000_000), *upload(HOST, SERVER, 500_000_000, second=3601)]
    assert run_rule(EXFILTRATION, exported(flows)) == []


def test_single_flows_are_not_alerts_on_their_own(shipped: Catalog) -> None:
    assert shipped.get(SCAN_FLOW) is None
    assert shipped.get(OUTBOUND_FLOW) is None
