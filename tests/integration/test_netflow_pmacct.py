"""A second real exporter whose templates are not softflowd's: pmacct's NetFlow probe
(`pmacctd` with the `nfprobe` plugin) exports a capture as NetFlow v5, v9 and IPFIX, to our
listener and to nfcapd. Its v9 and IPFIX records carry absolute millisecond times (where
softflowd's carry uptimes) or microsecond ones in a form of its own, MAC addresses, a VLAN, AS
numbers, prefix lengths and interfaces, and with packet sampling on, a sampler's options. Every
flow we store equals what nfdump decoded from the same export, times and MAC addresses
included."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from netflow_harness import (
    many_flows_pcap,
    nfdump_flows,
    nfdump_key,
    our_key,
    pmacctd,
    running_collector,
    udp_receive_queue,
)
from scapy.layers.inet import IP
from scapy.layers.inet6 import IPv6
from scapy.utils import rdpcap, wrpcap
from shared_data import SHARED_DATA

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pmacctd", "nfcapd", "nfdump")),
    reason="needs the Debian packages pmacct and nfdump",
)

MAX_RECEIVE_BUFFER = 8 * 1024 * 1024  # the kernel caps it at net.core.rmem_max
FLOW_KEY = ("src_host", "dst_host", "src_port", "dst_port", "proto", "tos", "tcpflags")
LAYER_2_AND_ROUTING = (
    *FLOW_KEY,
    *("src_mac", "dst_mac", "vlan", "src_as", "dst_as", "src_mask", "dst_mask"),
    *("in_iface", "out_iface"),
)


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared HTTP and DNS/ICMP captures and thousands of IPv4 and IPv6 flows, one file:
    pmacctd reads one capture per run, and waits 2 s before each."""
    folder = tmp_path_factory.mktemp("pmacct")
    many = many_flows_pcap(folder / "many.pcap")
    frames = [
        frame
        for pcap in (SHARED_DATA / "pcap" / "http.pcap", SHARED_DATA / "pcap" / "dns_icmp.pcap")
        for frame in rdpcap(str(pcap))
    ]
    frames += rdpcap(str(many))
    wrpcap(str(folder / "capture.pcap"), frames)
    return folder / "capture.pcap"


def _mac(text: str) -> str:
    return text.replace(":", "-").upper()


@pytest.mark.parametrize("version", [5, 9, 10])
def test_pmacct_flows_match_nfdump(
    version: int, capture: Path, tmp_path: Path, free_port: Callable[[], int]
) -> None:
    primitives = FLOW_KEY if version == 5 else LAYER_2_AND_ROUTING
    reference = nfdump_flows(
        tmp_path / "nfcapd", free_port(), lambda port: pmacctd(capture, port, version, primitives)
    )
    assert len(reference) > (1_000 if version == 5 else 2_000)  # v5 has no IPv6
    with running_collector(tmp_path, receive_buffer_bytes=MAX_RECEIVE_BUFFER) as collector:
        pmacctd(capture, collector.address[1], version, primitives)
        collector.wait_for(lambda: collector.store.count() >= len(reference))
        ours = collector.flows()
        assert collector.dead_letter.count == 0
        counters = collector.counters()
        assert counters["flows"] == len(reference)
        assert counters["sequence_gaps"] == 0
        assert counters["decode_errors"] == 0
    # pmacct's v9 records give ICMP type and code as the destination port, which nfdump 1.7
    # reads as 0, 0 (an echo request to 8.8.8.8 as a reply); its IPFIX ones are compared.
    uncoded = frozenset({1, 58} if version == 9 else ())
    # Its v5 records time flows by the capture's clock and the header by pmacctd's uptime, so
    # starts and ends are days off and both collectors round them their own way: v5 is
    # compared without times.
    with_times = version != 5
    assert sorted(our_key(e, with_times=with_times, uncoded=uncoded) for e in ours) == sorted(
        nfdump_key(f, with_times=with_times, uncoded=uncoded) for f in reference
    )
    if version == 5:
        return
    # Each flow's layer 2 and routing fields: the MACs of its first packet, no VLAN tag, no
    # AS or prefix (pmacctd has no BGP or routing table here), interface 0.
    assert sorted(
        (
            *our_key(e, with_times=False, uncoded=uncoded),
            e["source"]["mac"],
            e["destination"]["mac"],
            e["netflow"]["vlan_id"],
            e["netflow"]["bgp_source_as_number"],
            e["netflow"]["bgp_destination_as_number"],
            e["observer"]["ingress"]["interface"]["id"],
        )
        for e in ours
    ) == sorted(
        (
            *nfdump_key(f, with_times=False, uncoded=uncoded),
            _mac(f["in_src_mac"]),
            _mac(f["in_dst_mac"]),
            f["src_vlan"],
            f["src_as"],
            f["dst_as"],
            str(f["input_snmp"]),
        )
        for f in reference
    )
    assert {e["network"]["type"] for e in ours} == {"ipv4", "ipv6"}


@pytest.mark.parametrize("version", [9, 10])
def test_pmacct_sampling_options_scale_each_flow(
    version: int, capture: Path, tmp_path: Path
) -> None:
    """pmacctd samples 1 packet in 4 at random and says so in an options record: each stored
    flow counts 4 times the packets and bytes it carries (kept raw under `netflow.*`), so the
    totals estimate the capture's."""
    with running_collector(tmp_path, receive_buffer_bytes=MAX_RECEIVE_BUFFER) as collector:
        pmacctd(capture, collector.address[1], version, FLOW_KEY, sampling_rate=4)
        collector.wait_for(lambda: udp_receive_queue(collector.address[1]) == 0)
        collector.wait_for(lambda: collector.store.count() >= collector.counters()["flows"])
        collector.wait_for(lambda: "sampling" in collector.info())  # published once a second
        ours = collector.flows()
        assert len(ours) == collector.counters()["flows"]
        assert collector.info()["sampling"] == "1:4"
        assert collector.dead_letter.count == 0
        assert collector.counters()["decode_errors"] == 0
    assert ours
    for event in ours:
        flow = event["netflow"]
        assert event["network"]["packets"] == 4 * flow["packet_delta_count"]
        assert event["network"]["bytes"] == 4 * flow["octet_delta_count"]
        assert flow["sampler_id"] == 1
        assert flow["exporter"]["sampling_interval"] == 4
    packets = sum(1 for frame in rdpcap(str(capture)) if IP in frame or IPv6 in frame)
    estimate = sum(e["network"]["packets"] for e in ours)
    assert abs(estimate - packets) < packets / 4, (estimate, packets)


@pytest.mark.parametrize("version", [9, 10])
def test_pmacct_microsecond_times_give_the_millisecond_export_times(
    version: int, capture: Path, tmp_path: Path
) -> None:
    """With `nfprobe_tstamp_usec` pmacctd sends flowStart/EndMicroseconds as 16-byte Unix
    timevals instead of RFC 7011's 8-byte NTP times (nfdump 1.7 reads them as 1970). Each flow
    starts and ends when the same export in milliseconds says, and keeps its microseconds."""
    times: dict[bool, dict[tuple, tuple[str, str]]] = {}
    for micro in (False, True):
        with running_collector(
            tmp_path / str(micro), receive_buffer_bytes=MAX_RECEIVE_BUFFER
        ) as collector:
            config = {"nfprobe_tstamp_usec": "true"} if micro else {}
            pmacctd(capture, collector.address[1], version, FLOW_KEY, **config)
            collector.wait_for(lambda c=collector: udp_receive_queue(c.address[1]) == 0)
            collector.wait_for(lambda c=collector: c.store.count() >= c.counters()["flows"])
            assert collector.counters()["decode_errors"] == 0
            flows = collector.flows()
        times[micro] = {
            our_key(e, with_times=False): (e["event"]["start"], e["event"]["end"]) for e in flows
        }
        assert len(times[micro]) == len(flows) > 2_000
        if micro:
            fractions = {e["netflow"]["flow_start_microseconds"][20:26] for e in flows}
            assert len({fraction[3:] for fraction in fractions}) > 100  # not whole milliseconds
    assert times[True] == times[False]
