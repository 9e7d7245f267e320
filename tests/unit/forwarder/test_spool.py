"""The on-disk spool: sealed segments in order, recovery after a crash, splits, byte count."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.forwarder.spool import ACTIVE, Spool
from soc.errors import ConfigError


def _names(spool: Spool) -> list[str]:
    names = []
    while (segment := spool.oldest()) is not None:
        names.append(segment.path.name)
        spool.remove(segment)
    return names


def test_append_seal_and_read_in_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000)
    assert spool.seal() is None  # nothing to seal
    spool.append(b'{"n":1}')
    spool.append(b'{"n":2}')
    assert spool.used_bytes == 16
    assert spool.seal() == 1
    spool.append(b'{"n":3}')
    assert spool.seal() == 2
    oldest = spool.oldest()
    assert oldest is not None and oldest.lines() == [b'{"n":1}', b'{"n":2}']
    assert spool.segment_count() == 2 and spool.used_bytes == 24
    assert _names(spool) == ["seg-000000000001.ndjson", "seg-000000000002.ndjson"]
    assert spool.used_bytes == 0
    spool.close()


def test_a_restart_resumes_sequences_and_seals_the_last_active_segment(tmp_path: Path) -> None:
    first = Spool(tmp_path, max_bytes=10_000)
    first.append(b'{"n":1}')
    first.seal()
    first.append(b'{"n":2}')
    first.append(b'{"n":3}')
    first.close()  # as after a crash: nothing more happens to the files
    # A power cut tore the last line written.
    with (tmp_path / ACTIVE).open("ab") as handle:
        handle.write(b'{"n":4, "tor')

    second = Spool(tmp_path, max_bytes=10_000)
    assert second.torn == b'{"n":4, "tor'
    assert second.segment_count() == 2
    assert second.last_sequence == 2
    second.append(b'{"n":5}')
    assert second.seal() == 3
    lines = []
    while (segment := second.oldest()) is not None:
        lines.extend(segment.lines())
        second.remove(segment)
    assert lines == [b'{"n":1}', b'{"n":2}', b'{"n":3}', b'{"n":5}']
    second.close()


def test_split_keeps_order_and_bytes(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000)
    for n in range(5):
        spool.append(b'{"n":%d}' % n)
    spool.seal()
    spool.append(b'{"n":9}')
    spool.seal()
    before = spool.used_bytes
    big = spool.oldest()
    assert big is not None and spool.split(big)
    half = spool.oldest()
    assert half is not None and spool.split(half)  # split again: a quarter
    assert spool.used_bytes == before
    spool.close()
    (tmp_path / "seg-000000000001.1.1.tmp").write_bytes(b"a split cut short")
    spool = Spool(tmp_path, max_bytes=10_000)
    assert not list(tmp_path.glob("*.tmp"))
    assert spool.used_bytes == before
    lines = []
    names = []
    while (segment := spool.oldest()) is not None:
        if len(segment.lines()) == 1:
            assert not spool.split(segment)  # one line cannot be split
        lines.extend(segment.lines())
        names.append(segment.path.name)
        spool.remove(segment)
    assert names == [
        "seg-000000000001.1.1.ndjson",
        "seg-000000000001.1.2.ndjson",
        "seg-000000000001.2.ndjson",
        "seg-000000000002.ndjson",
    ]
    assert lines == [b'{"n":%d}' % n for n in (0, 1, 2, 3, 4, 9)]
    spool.close()


def test_one_collector_per_spool(tmp_path: Path) -> None:
    first = Spool(tmp_path, max_bytes=10_000)
    with pytest.raises(ConfigError, match="in use by another collector"):
        Spool(tmp_path, max_bytes=10_000)
    first.close()
    Spool(tmp_path, max_bytes=10_000).close()
