"""`soc ingest` with the server stopped: real files into a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_data import SHARED_DATA

from soc.cli import main
from soc.config import load_settings
from soc.model.event import new_event_id
from soc.storage import DuckDBEventStore

EVTX = (
    SHARED_DATA
    / "evtx"
    / "hayabusa-sample-evtx"
    / "DeepBlueCLI"
    / "metasploit-psexec-native-target-system.evtx"
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOC_ENRICH__GEOIP_ENABLED", "false")
    return tmp_path / "var"


def _stored(data_dir: Path, query: str = "") -> list[dict]:
    store = DuckDBEventStore(load_settings().events_path, read_only=True)
    try:
        return store.search(query, limit=None).events
    finally:
        store.close()


def test_an_evtx_file_is_stored_with_its_record_ids(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(EVTX), "--no-progress"]) == 0
    out = capsys.readouterr().out
    stored = _stored(data_dir)
    assert f"{len(stored)} events stored; no problems" in out
    assert "dead-letter" not in out  # the file is not even there
    assert stored and all(e["winlog"]["record_id"] for e in stored)
    assert {e["log"]["file"]["path"] for e in stored} == {str(EVTX)}


def test_ndjson_with_ids_is_idempotent_and_bad_lines_are_dead_lettered(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [new_event_id() for _ in range(3)]
    lines = [
        json.dumps({"event": {"id": i, "dataset": "test"}, "message": f"hello {n}"})
        for n, i in enumerate(ids)
    ]
    export = tmp_path / "export.ndjson"
    export.write_text("\n".join([lines[0], "{not json", *lines[1:]]) + "\n")
    assert main(["ingest", str(export), "--no-progress", "--format", "ndjson"]) == 0
    assert main(["ingest", str(export), "--no-progress", "--format", "ndjson"]) == 0
    assert sorted(e["event"]["id"] for e in _stored(data_dir)) == sorted(ids)
    dead = [json.loads(x) for x in (data_dir / "dead-letter.ndjson").read_text().splitlines()]
    assert len(dead) == 2 and all("line 2" in d["reason"] for d in dead)
    out = capsys.readouterr().out.splitlines()
    assert "3 events stored; 1 problem (see " in out[0] and "dead-letter.ndjson" in out[0]


def test_a_missing_path_is_an_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "/nonexistent/evidence.evtx"]) == 2
    assert "no such file or folder: /nonexistent/evidence.evtx" in capsys.readouterr().err


def test_one_event_is_one_event(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "one.ndjson"
    export.write_text(json.dumps({"message": "single", "event": {"dataset": "x"}}) + "\n")
    assert main(["ingest", str(export), "--no-progress"]) == 0
    assert capsys.readouterr().out == "1 event stored; no problems\n"
