"""The ingest ledger's look-up of a grown file: the prefix digests and line starts it takes
in one read must equal those of the prefix read on its own, wherever reads cut the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.files import ledger as ledger_module
from collectors.files.ledger import IngestLedger, Resume


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=12),
    cut=st.integers(min_value=1, max_value=200),
    added=st.binary(min_size=1, max_size=40),
    chunk=st.integers(min_value=1, max_value=9),
)
def test_a_grown_file_resumes_at_the_line_its_stored_part_ended_in(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    cut: int,
    added: bytes,
    chunk: int,
) -> None:
    whole = b"\n".join(lines) + b"\n"
    stored = whole[: min(cut, len(whole))]
    folder = tmp_path_factory.mktemp("ledger")
    path = folder / "app.log"
    path.write_bytes(stored)
    ledger = IngestLedger(folder / "ingested-files.json")
    ledger.record({ledger.examine(path).digest: path})

    path.write_bytes(stored + added)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger_module, "_CHUNK", chunk)  # reads that cut lines and marks anywhere
        examined = ledger.examine(path)

    assert examined.digest == hashlib.sha256(stored + added).hexdigest()
    assert examined.seen is None
    assert isinstance(examined.resume, Resume)
    offset = stored.rfind(b"\n") + 1
    assert (examined.resume.offset, examined.resume.lines) == (offset, stored.count(b"\n"))
    assert examined.resume.before.size == len(stored)


def test_the_same_content_is_seen_and_a_changed_start_is_new(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b"one\ntwo\n")
    ledger = IngestLedger(tmp_path / "ingested-files.json")
    ledger.record({ledger.examine(path).digest: path})
    again = ledger.examine(path)
    assert again.seen is not None and again.seen.path == str(path) and again.resume is None

    path.write_bytes(b"ONE\ntwo\nthree\n")
    changed = ledger.examine(path)
    assert changed.seen is None and changed.resume is None

    copy = tmp_path / "copy.log"  # another path growing from the same content is not resumed
    copy.write_bytes(b"one\ntwo\nthree\n")
    assert ledger.examine(copy).resume is None
