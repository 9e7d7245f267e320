"""The site's sink against the real province over HTTPS: spool, retry, backpressure, give-up."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from province_harness import Province

from collectors.deadletter import DeadLetter
from collectors.forwarder.client import IngestClient
from collectors.forwarder.sink import ForwardingSink
from collectors.forwarder.spool import ACTIVE, Spool
from soc.model.event import stamp

Build = Callable[..., ForwardingSink]


def _event(n: int, **doc) -> dict:
    return stamp({"message": f"msg-{n}", "organization": {"id": "so-tc"}, **doc}, dataset="t")


def _messages(province: Province) -> list[str]:
    return [e["message"] for e in province.services.events.search("", limit=None).events]


def _dead_letters(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _eventually(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Poll for a condition that background threads bring about; the caller asserts on it."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "site" / "spool"


@pytest.fixture
def dead_letter_path(tmp_path: Path) -> Path:
    return tmp_path / "site" / "dead-letter.ndjson"


@pytest.fixture
def build(province: Province, spool_dir: Path, dead_letter_path: Path) -> Iterator[Build]:
    made: list[ForwardingSink] = []

    def make(*, max_bytes: int = 10_000_000, **kwargs) -> ForwardingSink:
        client = IngestClient(province.url, province.site_token, ca_file=str(province.pki.ca))
        kwargs.setdefault("retry_initial_seconds", 0.05)
        kwargs.setdefault("retry_max_seconds", 0.2)
        kwargs.setdefault("flush_interval_seconds", 0.1)
        sink = ForwardingSink(
            Spool(spool_dir, max_bytes=max_bytes),
            client,
            dead_letter=DeadLetter(dead_letter_path),
            **kwargs,
        )
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close(timeout_seconds=1)


def test_events_arrive_once_with_their_ids_and_the_spool_empties(
    province: Province, build: Build, spool_dir: Path
) -> None:
    sink = build(batch_size=4)
    events = [_event(n) for n in range(10)]
    sink.put_many(events)
    assert sink.flush(30)
    stored = province.services.events.get_many([e["event"]["id"] for e in events])
    assert len(stored) == 10
    assert {e["organization"]["id"] for e in stored} == {"so-yte"}
    assert sink.status().spooled_batches == 0
    assert sink.status().sent_events == 10
    assert not [p for p in spool_dir.iterdir() if p.name.startswith("seg-")]


def test_an_outage_is_ridden_out_in_the_spool(province: Province, build: Build) -> None:
    sink = build()
    sink.put(_event(0))
    assert sink.flush(30)
    province.stop()
    sink.put_many(_event(n) for n in range(1, 6))
    assert not sink.flush(0.5)  # nobody to acknowledge: the events wait on disk
    assert sink.status().spooled_batches >= 1
    assert "cannot reach the server" in (sink.status().last_error or "")
    province.start()
    sink.put(_event(6))
    assert sink.flush(30)
    assert sorted(_messages(province)) == [f"msg-{n}" for n in range(7)]


def test_a_segment_sent_twice_stores_its_events_once(
    province: Province, build: Build, spool_dir: Path
) -> None:
    # A crash after the server stored a batch but before its segment was deleted: on restart
    # the same segment goes out again. Simulated by a copy of the segment.
    spool = Spool(spool_dir, max_bytes=10_000_000)
    for n in range(3):
        spool.append(json.dumps(_event(n)).encode())
    spool.seal()
    spool.close()
    original = spool_dir / "seg-000000000001.ndjson"
    shutil.copyfile(original, spool_dir / "seg-000000000002.ndjson")
    sink = build()
    assert sink.flush(30)
    assert sorted(_messages(province)) == ["msg-0", "msg-1", "msg-2"]


def test_a_full_spool_blocks_then_dead_letters_with_the_reason(
    province: Province, build: Build, dead_letter_path: Path
) -> None:
    province.stop()
    line_bytes = len(json.dumps(_event(0)).encode()) + 1
    sink = build(max_bytes=5 * line_bytes + 10, block_seconds=0.2)
    sink.put_many(_event(n) for n in range(5))  # fills the spool
    sink.put(_event(5))  # waits block_seconds for room, then gives up on this event
    sink.put(_event(6))  # shedding: given up at once until the spool drains
    shed = _dead_letters(dead_letter_path)
    assert [json.loads(d["raw"])["message"] for d in shed] == ["msg-5", "msg-6"]
    assert all(d["source"] == "forwarder" and "spool full" in d["reason"] for d in shed)
    assert sink.status().dead_letters == 2
    province.start()
    assert _eventually(lambda: sink.status().spooled_batches == 0)
    sink.put(_event(7))  # room again
    assert sink.flush(30)
    assert sorted(_messages(province)) == [f"msg-{n}" for n in (0, 1, 2, 3, 4, 7)]


def test_lines_the_server_refuses_are_dead_lettered(
    province: Province, build: Build, dead_letter_path: Path
) -> None:
    sink = build()
    sink.put(_event(1))
    sink.put({"message": "bad time", "@timestamp": "yesterday", "event": {"id": "x-1"}})
    assert sink.flush(30)
    assert _messages(province) == ["msg-1"]
    [dead] = _dead_letters(dead_letter_path)
    assert dead["reason"].startswith("refused by the server: @timestamp")
    assert json.loads(dead["raw"])["event"]["id"] == "x-1"


def test_too_large_batches_are_split_and_a_single_huge_event_given_up(
    province: Province, build: Build, dead_letter_path: Path
) -> None:
    province.stop()
    province.max_request_bytes = 4000
    province.start()
    sink = build(batch_size=40)
    sink.put_many(_event(n, payload=os.urandom(60).hex()) for n in range(40))
    sink.put(_event(99, payload=os.urandom(5000).hex()))
    assert sink.flush(30)
    assert sorted(_messages(province)) == sorted(f"msg-{n}" for n in range(40))
    [dead] = _dead_letters(dead_letter_path)
    assert "single event larger" in dead["reason"]


def test_a_torn_line_from_a_crash_is_dead_lettered_at_start(
    build: Build, spool_dir: Path, dead_letter_path: Path
) -> None:
    spool_dir.mkdir(parents=True)
    (spool_dir / ACTIVE).write_bytes(b'{"message": "whole"}\n{"message": "to')
    sink = build()
    assert sink.flush(30)
    [dead] = _dead_letters(dead_letter_path)
    assert dead["raw"] == '{"message": "to' and "torn" in dead["reason"]


def test_a_quiet_site_still_reports_itself(province: Province, build: Build) -> None:
    build(heartbeat_seconds=0.1)
    sites = lambda: [s for s in province.services.sources.snapshot() if s.kind == "site"]  # noqa: E731
    assert _eventually(lambda: bool(sites()))
    assert sites()[0].counters["events"] == 0
