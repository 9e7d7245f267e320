"""EVTX files through `read_events`: every record of real files, and damaged copies of them."""

from __future__ import annotations

import struct
from pathlib import Path

import evtx
import orjson
import pytest
from shared_data import SHARED_DATA

from collectors.deadletter import DeadLetter
from collectors.files import ReadProblem, ReadProgress, dead_letter_handler, read_events
from soc.errors import ParseError

SAMPLES = SHARED_DATA / "evtx" / "hayabusa-sample-evtx"
EVTX_FILES = sorted(SAMPLES.rglob("*.evtx"))
APPLICATION = SAMPLES / "DeepBlueCLI" / "many-events-application.evtx"  # 34 chunks, 2216 records
CHUNK = 65536
HEADER = 4096


def record_ids(path: Path) -> list[int]:
    """The EventRecordID of every record the evtx package itself reads (the record header's
    number when the XML has none, as for a forwarding bookmark): the reference."""
    records = evtx.PyEvtxParser(str(path)).records_json()
    return [
        orjson.loads(r["data"])["Event"]["System"].get("EventRecordID", r["event_record_id"])
        for r in records
    ]


def test_every_sample_file_gives_every_record_once() -> None:
    problems: list[ReadProblem] = []
    read: dict[str, list[int]] = {}
    for event in read_events([SAMPLES], on_error=problems.append):
        read.setdefault(event["log"]["file"]["path"], []).append(event["winlog"]["record_id"])
    assert problems == []
    assert len(read) == len(EVTX_FILES) == 315
    for path in EVTX_FILES:
        assert read[str(path)] == record_ids(path), path
    assert sum(len(ids) for ids in read.values()) == 16801


def test_events_are_stamped_windows_events() -> None:
    events = list(read_events([APPLICATION]))
    assert len({e["event"]["id"] for e in events}) == len(events)
    for event in events:
        assert event["event"]["module"] == "windows"
        assert event["event"]["dataset"] == "windows.application"
        assert event["winlog"]["channel"] == "Application"
        assert event["@timestamp"].endswith("Z")
        assert event["event"]["code"] == event["winlog"]["event_id"]


def test_truncated_copy_keeps_every_whole_record_and_reports_the_cut(tmp_path: Path) -> None:
    cut = HEADER + 2 * CHUNK + 20000  # two whole chunks and the start of the third
    copy = tmp_path / "cut.evtx"
    copy.write_bytes(APPLICATION.read_bytes()[:cut])
    dead = DeadLetter(tmp_path / "dead.ndjson")
    events = read_events([copy], on_error=dead_letter_handler(dead))
    ids = [e["winlog"]["record_id"] for e in events]
    package_alone = record_ids(copy)  # drops the partial chunk silently
    assert ids[: len(package_alone)] == package_alone
    assert len(ids) > len(package_alone)  # records wholly inside the cut chunk are recovered
    assert ids == list(range(1, len(ids) + 1))
    assert set(ids) < set(record_ids(APPLICATION))
    letters = [orjson.loads(line) for line in dead.path.read_bytes().splitlines()]
    assert [letter["source"] for letter in letters] == ["file/evtx", "file/evtx"]
    cut_record, truncation = (letter["reason"] for letter in letters)
    assert cut_record.startswith(f"{copy}: record {len(ids) + 1}: ")  # the one the cut went through
    assert truncation.startswith(f"{copy}: chunk 2: file truncated")
    assert "records 223..345" in truncation
    assert all(letter["raw_base64"] for letter in letters)


def test_a_corrupt_chunk_costs_only_its_own_records(tmp_path: Path) -> None:
    data = bytearray(APPLICATION.read_bytes())
    start = HEADER + CHUNK + 700  # inside the second chunk's string table
    data[start : start + 200] = b"A" * 200
    copy = tmp_path / "corrupt.evtx"
    copy.write_bytes(bytes(data))
    problems: list[ReadProblem] = []
    ids = [e["winlog"]["record_id"] for e in read_events([copy], on_error=problems.append)]
    assert [(p.location, len(p.raw)) for p in problems] == [("records 126..222", CHUNK)]
    assert "Failed to parse chunk" in problems[0].reason
    assert ids == [*range(1, 126), *range(223, 2217)]


def record_span(data: bytes, record_id: int) -> tuple[int, int]:
    """Offset and size of a record, walking the chunk headers and record headers."""
    chunk = HEADER
    while chunk < len(data):
        first, last = struct.unpack_from("<QQ", data, chunk + 24)
        if first <= record_id <= last:
            offset = chunk + 512
            while True:
                _, size, current = struct.unpack_from("<IIQ", data, offset)
                if current == record_id:
                    return offset, size
                offset += size
        chunk += CHUNK
    raise AssertionError(f"record {record_id} not in file")


def test_a_corrupt_record_is_reported_by_number_with_its_bytes(tmp_path: Path) -> None:
    data = bytearray(APPLICATION.read_bytes())
    offset, size = record_span(data, 1500)
    middle = offset + 24 + (size - 24) // 2  # inside its binary XML, past the record header
    data[middle : middle + 8] = b"\xff" * 8
    copy = tmp_path / "record.evtx"
    copy.write_bytes(bytes(data))
    problems: list[ReadProblem] = []
    ids = [e["winlog"]["record_id"] for e in read_events([copy], on_error=problems.append)]
    record = bytes(data[offset : offset + size])
    assert [(p.location, p.raw) for p in problems] == [("record 1500", record)]
    assert ids == [*range(1, 1500), *range(1501, 2217)]


def test_without_a_handler_the_first_problem_raises(tmp_path: Path) -> None:
    copy = tmp_path / "cut.evtx"
    copy.write_bytes(APPLICATION.read_bytes()[: HEADER + CHUNK + 100])
    with pytest.raises(ParseError, match="chunk 1: file truncated"):
        list(read_events([copy]))


def test_progress_reaches_every_byte() -> None:
    seen: list[ReadProgress] = []
    files = EVTX_FILES[:5]
    count = sum(1 for _ in read_events(files, progress=seen.append))
    total = sum(p.stat().st_size for p in files)
    assert seen[-1] == ReadProgress(None, 5, 5, total, total, count, 0)
    done = [p.bytes_done for p in seen]
    assert done == sorted(done)
