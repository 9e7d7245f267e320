"""Compressed logs, exports and captures (gzip, bzip2, xz): the same events as the files they
hold, named by the compressed file; a damaged stream gives what came before the damage."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil
from pathlib import Path

import orjson
import pytest
from shared_data import SHARED_DATA

from collectors.files import ReadProblem, ReadProgress, read_events
from collectors.files.expansion import FLOOR, MAX_RATIO

OPENSSH = SHARED_DATA / "syslog" / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
EVTX = (
    SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "DeepBlueCLI" / "mimikatz-privesc-hashdump.evtx"
)
PCAP = SHARED_DATA / "pcap" / "http.pcap"
COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


def _same(event: dict) -> dict:
    """The event without what differs between two readings: its id and the file's name."""
    event = orjson.loads(orjson.dumps(event))
    del event["event"]["id"], event["log"]["file"]
    return event


def _compressed(original: Path, folder: Path, name: str, suffix: str) -> Path:
    path = folder / f"{name}{suffix}"
    path.write_bytes(COMPRESSORS[suffix](original.read_bytes()))
    stat = original.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime))  # a BSD line's year comes from the mtime
    return path


@pytest.mark.parametrize(
    ("original", "name"),
    [(OPENSSH, "auth.log.2"), (EVTX, "Security.evtx"), (PCAP, "capture.pcap")],
)
@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_a_compressed_file_gives_the_events_of_the_file_it_holds(
    tmp_path: Path, original: Path, name: str, suffix: str
) -> None:
    path = _compressed(original, tmp_path, name, suffix)
    problems: list[ReadProblem] = []
    events = list(read_events([path], on_error=problems.append))
    assert problems == []
    assert events and [_same(e) for e in events] == [_same(e) for e in read_events([original])]
    assert {e["log"]["file"]["path"] for e in events} == {str(path)}


def test_a_cut_off_gzip_log_gives_its_lines_before_the_cut_and_says_so(tmp_path: Path) -> None:
    lines = OPENSSH.read_bytes().splitlines(keepends=True)
    whole = gzip.compress(b"".join(lines))
    cut = tmp_path / "auth.log.1.gz"
    cut.write_bytes(whole[: len(whole) * 3 // 4])
    after = tmp_path / "z-next.log"
    shutil.copy(OPENSSH, after)
    problems: list[ReadProblem] = []
    events = list(read_events([cut, after], on_error=problems.append))
    from_cut = [e for e in events if e["log"]["file"]["path"] == str(cut)]
    assert 0 < len(from_cut) < len(lines)
    whole_lines = [e["message"] for e in read_events([OPENSSH])]
    # every line before the cut as it is in the whole file; the last one may be cut itself
    assert [e["message"] for e in from_cut[:-1]] == whole_lines[: len(from_cut) - 1]
    assert len(events) - len(from_cut) == len(lines)  # the next file is read whole
    (problem,) = problems
    assert problem.path == str(cut) and problem.location == "file"
    assert problem.reason.startswith("gzip data cut short or corrupt")


def test_garbage_behind_a_gzip_header_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "broken.log.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + os.urandom(4096))
    problems: list[ReadProblem] = []
    assert list(read_events([broken], on_error=problems.append)) == []
    assert [p.reason.split(" (")[0] for p in problems] == ["gzip data cut short or corrupt"]


def test_progress_is_measured_in_the_compressed_files_size(tmp_path: Path) -> None:
    path = _compressed(OPENSSH, tmp_path, "auth.log.2", ".gz")
    seen: list[ReadProgress] = []
    list(read_events([path], progress=seen.append))
    assert all(p.bytes_done <= p.bytes_total == path.stat().st_size for p in seen)
    assert seen[-1].bytes_done == path.stat().st_size and seen[-1].events == 2000


def test_a_decompression_bomb_stops_at_its_budget_and_says_so(tmp_path: Path) -> None:
    # 80 bzip2 streams of a MiB of zeros each: 80 MiB from ~4 KB, as one file (multi-stream)
    bomb = tmp_path / "logs.bz2"
    bomb.write_bytes(bz2.compress(bytes(1 << 20)) * 80)
    assert bomb.stat().st_size * MAX_RATIO < FLOOR  # so the floor is the limit
    problems: list[ReadProblem] = []
    assert list(read_events([bomb], on_error=problems.append)) == []
    bombed, unknown = problems
    assert bombed.path == str(bomb) and bombed.location == "file"
    assert bombed.reason == (
        "unpacks to more than 64.0 MB (1,000 times its size): a decompression bomb? "
        "read the first 64.0 MB"
    )
    # what came out is read as any file: 64 MB of zeros are no log
    assert unknown.reason == "binary content that is not EVTX, pcap, JSON or text"
