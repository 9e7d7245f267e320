"""Syslog over TCP in a capture (`captured_streams`): messages read from the reassembled streams.

The streams carry real OpenSSH lines (loghub) under an RFC 3164 header, framed as rsyslog frames
them over TCP (LF) and as `logger --octet-count` does, cut into segments at arbitrary bytes.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap
from shared_data import SHARED_DATA

from collectors.files import ReadProblem, read_events
from collectors.syslog import parse_syslog
from collectors.syslog.normalize import to_ecs

OPENSSH = SHARED_DATA / "syslog" / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
START = 1_765_000_000.0  # the capture's first packet time
ISN = (1 << 32) - 700  # the sequence numbers wrap inside the stream


def _messages(count: int) -> list[bytes]:
    lines = OPENSSH.read_bytes().splitlines()[:count]
    return [b"<38>" + line for line in lines]  # auth.info, as sshd's syslog() sends them


def _segments(stream: bytes, rng: random.Random) -> list[tuple[int, bytes]]:
    """(offset, bytes) pieces of 1-300 bytes."""
    pieces, offset = [], 0
    while offset < len(stream):
        size = rng.randint(1, 300)
        pieces.append((offset, stream[offset : offset + size]))
        offset += size
    return pieces


def _capture(
    path: Path,
    stream: bytes,
    *,
    sport: int = 40000,
    dport: int = 514,
    shuffle: bool = False,
    drop: int | None = None,
    fin: bool = True,
) -> Path:
    """A TCP connection from 10.20.1.5 carrying `stream`: handshake, data segments (some out of
    order and retransmitted when `shuffle`; the piece number `drop` missing) and FIN."""
    rng = random.Random(7)
    client, server = IP(src="10.20.1.5", dst="10.0.0.10"), IP(src="10.0.0.10", dst="10.20.1.5")
    packets = [
        client / TCP(sport=sport, dport=dport, flags="S", seq=ISN - 1),
        server / TCP(sport=dport, dport=sport, flags="SA", seq=5000, ack=ISN),
        client / TCP(sport=sport, dport=dport, flags="A", seq=ISN, ack=5001),
    ]
    data = []
    for number, (offset, piece) in enumerate(_segments(stream, rng)):
        if number == drop:
            continue
        seq = (ISN + offset) % (1 << 32)
        data.append(client / TCP(sport=sport, dport=dport, flags="PA", seq=seq) / Raw(piece))
        if shuffle and rng.random() < 0.2:  # a retransmission of part of it
            again = piece[: rng.randint(1, len(piece))]
            data.append(client / TCP(sport=sport, dport=dport, flags="PA", seq=seq) / Raw(again))
    if shuffle:
        for i in range(1, len(data) - 1, 3):  # neighbours swapped, after the first: out of order
            data[i], data[i + 1] = data[i + 1], data[i]
    packets += data
    if fin:
        end = (ISN + len(stream)) % (1 << 32)
        packets.append(client / TCP(sport=sport, dport=dport, flags="FA", seq=end))
    frames = []
    for number, packet in enumerate(packets):
        frame = Ether() / packet
        frame.time = START + number / 1000
        frames.append(frame)
    wrpcap(str(path), frames)
    return path


def _read(path: Path) -> tuple[list[dict], list[dict], list[ReadProblem]]:
    problems: list[ReadProblem] = []
    events = list(read_events([path], on_error=problems.append))
    syslog = [e for e in events if e["event"]["dataset"] != "netflow.log"]
    flows = [e for e in events if e["event"]["dataset"] == "netflow.log"]
    return syslog, flows, problems


def _expected(message: bytes) -> dict:
    return to_ecs(parse_syslog(message, received=datetime.fromtimestamp(START, UTC)), peer_ip=None)


def test_lf_and_octet_counted_streams_give_every_message_in_order(tmp_path: Path) -> None:
    messages = _messages(200)
    lf = _capture(tmp_path / "lf.pcap", b"".join(m + b"\n" for m in messages), shuffle=True)
    counted = b"".join(b"%d %s" % (len(m), m) for m in messages)
    octets = _capture(tmp_path / "octets.pcap", counted, shuffle=True, sport=40001, dport=601)
    for path in (lf, octets):
        syslog, flows, problems = _read(path)
        assert problems == []
        assert [e["message"] for e in syslog] == [_expected(m)["message"] for m in messages]
        first = _expected(messages[0])
        assert syslog[0]["event"]["dataset"] == first["event"]["dataset"] == "system.auth"
        assert syslog[1]["source"] == _expected(messages[1])["source"]  # "Invalid user ... from"
        assert {e["log"]["source"]["address"] for e in syslog} == {"10.20.1.5"}
        assert len(flows) == 2  # the connection, both ways, stays a flow as well
        assert {f["destination"]["port"] for f in flows} == {
            514 if path == lf else 601,
            40000 + (path != lf),
        }


def test_a_last_line_without_lf_is_a_message_at_fin_and_cut_at_the_capture_end(
    tmp_path: Path,
) -> None:
    messages = _messages(5)
    stream = b"\n".join(messages)  # no LF after the last
    closed, _, problems = _read(_capture(tmp_path / "fin.pcap", stream))
    assert (len(closed), problems) == (5, [])
    open_, _, problems = _read(_capture(tmp_path / "nofin.pcap", stream, fin=False))
    assert len(open_) == 4
    assert [(p.location, p.reason) for p in problems] == [
        ("end of capture", "syslog message over TCP cut by the capture")
    ]
    assert problems[0].raw == messages[-1]


def test_a_segment_the_capture_missed_costs_the_messages_it_falls_in(tmp_path: Path) -> None:
    messages = _messages(200)
    stream = b"".join(m + b"\n" for m in messages)
    syslog, _, problems = _read(_capture(tmp_path / "gap.pcap", stream, drop=20))
    offset, piece = _segments(stream, random.Random(7))[20]
    starts = [sum(len(m) + 1 for m in messages[:i]) for i in range(len(messages))]
    lost = {
        i
        for i, at in enumerate(starts)
        if at < offset + len(piece) and at + len(messages[i]) >= offset
    }
    assert 1 <= len(lost) <= 3
    kept = [_expected(m)["message"] for i, m in enumerate(messages) if i not in lost]
    assert [e["message"] for e in syslog] == kept
    assert [p.reason for p in problems] == [
        f"{len(piece)} bytes of a syslog TCP stream missing from the capture"
    ]


def test_other_tcp_streams_stay_flows_only(tmp_path: Path) -> None:
    http = b"GET / HTTP/1.1\r\nHost: intranet\r\n\r\n" * 20
    syslog, flows, problems = _read(_capture(tmp_path / "http.pcap", http, dport=80))
    assert (syslog, problems) == ([], [])
    assert sum(f["source"]["packets"] for f in flows) > 3


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.permutations(range(12)),
    dropped=st.sets(st.integers(0, 11), max_size=3),
    doubled=st.sets(st.integers(0, 11), max_size=3),
    cuts=st.lists(st.integers(1, 400), min_size=11, max_size=11),
)
def test_any_order_loss_or_repeat_of_segments_reads_whole_messages_only(
    tmp_path: Path, order: list[int], dropped: set[int], doubled: set[int], cuts: list[int]
) -> None:
    """Whatever the capture did to the segments, the messages read are messages sent, in the
    order sent and each at most once (a subsequence), and the reading goes on."""
    messages = _messages(30)
    stream = b"".join(m + b"\n" for m in messages)
    bounds = sorted({0, len(stream), *(min(c * 7, len(stream)) for c in cuts)})
    pieces = list(itertools.pairwise(bounds))
    client = IP(src="10.20.1.5", dst="10.0.0.10")
    frames = []
    for number in [n for n in order if n < len(pieces) and n not in dropped] + sorted(doubled):
        if number >= len(pieces):
            continue
        start, end = pieces[number]
        segment = TCP(sport=40000, dport=514, flags="PA", seq=(ISN + start) % (1 << 32))
        frame = Ether() / client / segment / Raw(stream[start:end])
        frame.time = START + len(frames) / 1000
        frames.append(frame)
    if not frames:
        return
    path = tmp_path / "any.pcap"
    wrpcap(str(path), frames)
    syslog, _, _ = _read(path)
    sent = [_expected(m)["message"] for m in messages]
    got = [e["message"] for e in syslog]
    remaining = iter(sent)
    assert all(any(message == candidate for candidate in remaining) for message in got)
