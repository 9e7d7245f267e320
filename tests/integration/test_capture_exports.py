"""Captures of exports: a real exporter's datagrams, written into a pcap, are read for the flows
and messages they carry, and equal what the reference collector decoded from the same export.

softflowd exports the shared captures as NetFlow v5, v9 and IPFIX to a socket; its datagrams,
byte for byte, go into a capture as if taken at the collector. `soc ingest` of that capture must
give nfdump's flows, not one flow of UDP packets from the exporter to port 2055.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from netflow_harness import (
    captured_exports,
    nfdump_flows,
    nfdump_key,
    our_key,
    softflowd,
    write_capture,
)
from scapy.layers.inet import IP
from scapy.utils import RawPcapReader, RawPcapWriter, rdpcap, wrpcap
from shared_data import SHARED_DATA

from collectors.files.reader import read_events
from collectors.files.source import ReadProblem

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("softflowd", "nfcapd", "nfdump")),
    reason="needs the Debian packages softflowd and nfdump",
)

PCAPS = [SHARED_DATA / "pcap" / "http.pcap", SHARED_DATA / "pcap" / "dns_icmp.pcap"]


def _export(version: int) -> Callable[[int], None]:
    def export(port: int) -> None:
        for pcap in PCAPS:
            softflowd(pcap, port, version)

    return export


def _read(capture: Path) -> tuple[list[dict], list[ReadProblem]]:
    problems: list[ReadProblem] = []
    return list(read_events([capture], on_error=problems.append)), problems


@pytest.mark.parametrize("version", [5, 9, 10])
def test_a_captured_export_gives_the_exporters_flows(
    version: int, tmp_path: Path, free_port: Callable[[], int]
) -> None:
    reference = nfdump_flows(tmp_path / "nfcapd", free_port(), _export(version))
    datagrams = captured_exports(_export(version))
    assert len(reference) > 10 and datagrams
    events, problems = _read(write_capture(tmp_path / "export.pcap", datagrams))
    assert problems == []
    # nfdump 1.7 does not read icmpTypeCodeIPv6 (IE 139) from v9: it reports type 0, code 0.
    icmp6 = frozenset({58} if version == 9 else ())
    assert sorted(our_key(e, with_times=False, uncoded=icmp6) for e in events) == sorted(
        nfdump_key(f, with_times=False, uncoded=icmp6) for f in reference
    )
    for event in events:
        assert event["event"]["dataset"] == "netflow.log"
        assert event["observer"]["ip"] == "127.0.0.1"  # the exporter, not the capture's hosts
        assert event["netflow"]["exporter"]["version"] == version
    # The export's own packets (exporter to port 2055) are not flows of their own.
    assert not any(e["destination"].get("port") == 2055 for e in events)


@pytest.mark.parametrize(("version", "ipv6"), [(9, False), (10, False), (9, True), (10, True)])
def test_an_export_in_ip_fragments_is_put_together(
    version: int, ipv6: bool, tmp_path: Path, free_port: Callable[[], int]
) -> None:
    """softflowd's datagrams (600-1,100 bytes) split into 256-byte IPv4 or IPv6 fragments: the
    export is read whole from them, and the fragments are no flows of their own."""
    reference = nfdump_flows(tmp_path / "nfcapd", free_port(), _export(version))
    datagrams = captured_exports(_export(version))
    capture = write_capture(tmp_path / "fragments.pcap", datagrams, fragment_size=256, ipv6=ipv6)
    assert len(rdpcap(str(capture))) > 2 * len(datagrams)  # fragmented indeed
    events, problems = _read(capture)
    assert problems == []
    icmp6 = frozenset({58} if version == 9 else ())
    assert sorted(our_key(e, with_times=False, uncoded=icmp6) for e in events) == sorted(
        nfdump_key(f, with_times=False, uncoded=icmp6) for f in reference
    )


def test_an_export_missing_a_fragment_is_read_as_far_as_it_came(tmp_path: Path) -> None:
    datagrams = captured_exports(_export(10))
    whole, _ = _read(write_capture(tmp_path / "whole.pcap", datagrams))
    capture = write_capture(tmp_path / "fragments.pcap", datagrams, fragment_size=256)
    frames = list(rdpcap(str(capture)))
    last_of_first = next(i for i, f in enumerate(frames) if not f[IP].flags.MF)
    del frames[last_of_first]  # the first datagram's last fragment was lost
    wrpcap(str(tmp_path / "lost.pcap"), frames)
    events, problems = _read(tmp_path / "lost.pcap")
    assert [p.reason for p in problems if "cut by the capture" in p.reason]
    assert 0 < len(events) < len(whole)
    keys = {our_key(e, with_times=True) for e in whole}
    assert all(our_key(e, with_times=True) in keys for e in events)
    assert all(e["event"]["dataset"] == "netflow.log" for e in events)


def test_data_before_its_template_waits_for_it_within_the_capture(
    tmp_path: Path, free_port: Callable[[], int]
) -> None:
    """The first datagram carries the templates: put last, every other datagram's data waits
    for it, as the listener's buffer does, and nothing is lost."""
    reference = nfdump_flows(tmp_path / "nfcapd", free_port(), _export(9))
    datagrams = captured_exports(_export(9))
    assert len(datagrams) > 1
    reordered = [*datagrams[1:], datagrams[0]]
    events, problems = _read(write_capture(tmp_path / "late-template.pcap", reordered))
    assert problems == []
    icmp6 = frozenset({58})
    assert sorted(our_key(e, with_times=False, uncoded=icmp6) for e in events) == sorted(
        nfdump_key(f, with_times=False, uncoded=icmp6) for f in reference
    )


def test_an_export_without_its_template_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    """A capture taken after the exporter sent its templates cannot decode its data: each set
    is reported at the end of the capture, and the v5 export in the same capture is still
    read. (softflowd repeats its templates in every datagram; they are cut out here.)"""
    v9 = [(at, port, _without_templates(data)) for at, port, data in captured_exports(_export(9))]
    v5 = captured_exports(_export(5))
    events, problems = _read(write_capture(tmp_path / "no-template.pcap", [*v9, *v5]))
    assert {e["netflow"]["exporter"]["version"] for e in events} == {5}
    assert len(problems) >= len(v9)
    for problem in problems:
        assert problem.location == "end of capture"
        assert "the capture ended before its template" in problem.reason
        assert problem.raw


def _without_templates(datagram: bytes) -> bytes:
    """A v9 datagram with its template and options-template FlowSets (ids 0 and 1) left out."""
    kept, offset = [datagram[:20]], 20
    while offset + 4 <= len(datagram):
        set_id, length = struct.unpack_from("!HH", datagram, offset)
        if set_id > 1:
            kept.append(datagram[offset : offset + length])
        offset += max(length, 4)
    return b"".join(kept)


def test_a_datagram_cut_by_the_snap_length_is_reported_and_its_whole_sets_kept(
    tmp_path: Path,
) -> None:
    """tcpdump -s 700 keeps the first 700 bytes of a frame: the datagram's UDP header still says
    how long it was. The sets inside the kept bytes are read; the cut is reported."""
    datagrams = captured_exports(_export(10))
    whole, problems = _read(write_capture(tmp_path / "whole.pcap", datagrams))
    assert problems == []
    capture = write_capture(tmp_path / "cut.pcap", datagrams)
    cut = tmp_path / "snap.pcap"
    _rewrite_with_snap_length(capture, cut, snap=700)
    events, problems = _read(cut)
    reasons = [p.reason for p in problems]
    assert any("cut by the capture" in reason for reason in reasons), reasons
    assert 0 < len(events) < len(whole)
    keys = {our_key(e, with_times=True) for e in whole}
    assert all(our_key(e, with_times=True) in keys for e in events)


def _rewrite_with_snap_length(source: Path, target: Path, *, snap: int) -> None:
    """What `tcpdump -s snap` would have written: each record's bytes cut at `snap`, its
    original length kept in the record header."""

    with RawPcapReader(str(source)) as reader, RawPcapWriter(str(target), linktype=1) as writer:
        writer.write_header(None)
        for data, meta in reader:
            kept = data[:snap]
            writer.write_packet(
                kept, sec=meta.sec, usec=meta.usec, caplen=len(kept), wirelen=len(data)
            )
