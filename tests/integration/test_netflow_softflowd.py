"""A real exporter against the reference collector: softflowd exports the same captures as
NetFlow v5, v9 and IPFIX to our listener and to nfcapd, and every flow, packet and byte we store
equals what nfdump decoded (times too, where nfdump reads them right)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from netflow_harness import (
    many_flows_pcap,
    nfdump_flows,
    nfdump_key,
    our_key,
    running_collector,
    softflowd,
)
from shared_data import SHARED_DATA

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("softflowd", "nfcapd", "nfdump")),
    reason="needs the Debian packages softflowd and nfdump",
)

PCAPS = SHARED_DATA / "pcap"
MAX_RECEIVE_BUFFER = 8 * 1024 * 1024  # the kernel caps it at net.core.rmem_max


def _compare(
    tmp_path: Path, free_port: Callable[[], int], pcaps: list[Path], version: int
) -> list[dict]:
    """Our stored flows for `pcaps` exported as `version`, checked against nfdump's."""

    def export(port: int) -> None:
        for pcap in pcaps:
            softflowd(pcap, port, version)

    reference = nfdump_flows(tmp_path / "nfcapd", free_port(), export)
    assert len(reference) > 10
    # nfdump 1.7 anchors IPFIX sysUpTime stamps wrongly (first after last), so IPFIX times are
    # checked against our own v9 decode of the same capture instead.
    with_times = version != 10
    with running_collector(tmp_path, receive_buffer_bytes=MAX_RECEIVE_BUFFER) as collector:
        export(collector.address[1])
        collector.wait_for(lambda: collector.store.count() >= len(reference))
        ours = collector.flows()
        # nfdump 1.7 does not read icmpTypeCodeIPv6 (IE 139) from v9: it reports type 0, code 0.
        icmp6 = frozenset({58} if version == 9 else ())
        assert sorted(our_key(e, with_times=False, uncoded=icmp6) for e in ours) == sorted(
            nfdump_key(f, with_times=False, uncoded=icmp6) for f in reference
        )
        if with_times:
            # nfdump reads a sysUpTime of 0 (the exporter's first flow) as "no time": 1970.
            unset = {
                nfdump_key(f, with_times=False, uncoded=icmp6)
                for f in reference
                if f["first"] < "1971"
            }
            assert sorted(
                our_key(e, with_times=True, uncoded=icmp6)
                for e in ours
                if our_key(e, with_times=False, uncoded=icmp6) not in unset
            ) == sorted(
                nfdump_key(f, with_times=True, uncoded=icmp6)
                for f in reference
                if f["first"] >= "1971"
            )
        assert sum(e["network"]["bytes"] for e in ours) == sum(f["in_bytes"] for f in reference)
        assert collector.dead_letter.count == 0
        counters = collector.counters()
        assert counters["flows"] == len(reference)
        assert counters["sequence_gaps"] == 0
        assert counters["decode_errors"] == 0
        if version != 5:  # gauges are published once a second
            collector.wait_for(lambda: "templates" in collector.info())
            assert int(collector.info()["templates"]) >= 4
            assert collector.info()["sets_waiting"] == "0"
        return ours


@pytest.mark.parametrize("version", [5, 9, 10])
def test_shared_captures_match_nfdump(
    version: int, tmp_path: Path, free_port: Callable[[], int]
) -> None:
    _compare(tmp_path, free_port, [PCAPS / "http.pcap", PCAPS / "dns_icmp.pcap"], version)


@pytest.mark.parametrize("version", [5, 9, 10])
def test_thousands_of_ipv4_and_ipv6_flows_match_nfdump(
    version: int, tmp_path: Path, free_port: Callable[[], int]
) -> None:
    pcap = many_flows_pcap(tmp_path / "many.pcap")
    ours = _compare(tmp_path, free_port, [pcap], version)
    assert len(ours) > (1_000 if version == 5 else 2_000)
    if version != 5:  # v5 has no IPv6
        assert {e["network"]["type"] for e in ours} == {"ipv4", "ipv6"}
        assert {e["network"]["transport"] for e in ours} >= {"tcp", "udp", "icmp", "ipv6-icmp"}
        echo = [e["netflow"] for e in ours if e["network"]["transport"] == "ipv6-icmp"]
        assert {(nf["icmp_type_ipv6"], nf["icmp_code_ipv6"]) for nf in echo} == {(128, 0)}


def test_ipfix_times_agree_with_v9_times(tmp_path: Path) -> None:
    """v9 headers carry whole seconds, so v9 starts are up to 1 s earlier than IPFIX's exact
    system-init-relative ones, never later."""
    pcaps = [PCAPS / "http.pcap", PCAPS / "dns_icmp.pcap"]
    starts: dict[int, dict[tuple, datetime]] = {}
    for version in (9, 10):
        with running_collector(tmp_path / str(version)) as collector:
            for pcap in pcaps:
                softflowd(pcap, collector.address[1], version)
            collector.wait_for(lambda c=collector: c.store.count() >= 20)
            starts[version] = {
                our_key(e, with_times=False): datetime.fromisoformat(e["event"]["start"])
                for e in collector.flows()
            }
    assert starts[9].keys() == starts[10].keys()
    for key, v9_start in starts[9].items():
        offset = (starts[10][key] - v9_start).total_seconds()
        assert 0 <= offset < 1, key


def test_nfreplay_sends_the_flows_nfdump_stored(
    tmp_path: Path, free_port: Callable[[], int]
) -> None:
    """nfdump's own exporter, nfreplay, sends what nfcapd stored as NetFlow v9 with templates of
    its own (absolute millisecond times; ICMPv6 type and code in icmpTypeCodeIPv4, IE 32, not
    in the port or IE 139): every flow arrives as nfdump holds it, ICMPv6 echo requests
    included."""
    pcap = many_flows_pcap(tmp_path / "many.pcap")
    spool = tmp_path / "nfcapd"
    reference = nfdump_flows(spool, free_port(), lambda port: softflowd(pcap, port, 10))
    with running_collector(tmp_path, receive_buffer_bytes=MAX_RECEIVE_BUFFER) as collector:
        target = ["-H", "127.0.0.1", "-p", str(collector.address[1])]
        for stored in sorted(spool.rglob("nfcapd.*")):
            subprocess.run(
                ["nfreplay", "-r", str(stored), *target, "-v", "9", "-d", "1000"],
                check=True,
                capture_output=True,
                timeout=120,
            )
        collector.wait_for(lambda: collector.store.count() >= len(reference))
        ours = collector.flows()
        assert collector.dead_letter.count == 0
        assert collector.counters()["flows"] == len(reference) > 2_000
    assert sorted(our_key(e, with_times=True) for e in ours) == sorted(
        nfdump_key(f, with_times=True) for f in reference
    )
    echo = [e["netflow"] for e in ours if e["network"]["transport"] == "ipv6-icmp"]
    assert echo and {(nf["icmp_type_ipv6"], nf["icmp_code_ipv6"]) for nf in echo} == {(128, 0)}
