"""`soc ingest` with the server stopped: real files into a real store."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from datetime import datetime
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
    again = ["ingest", str(export), "--no-progress", "--format", "ndjson", "--again"]
    assert main(again) == 0
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


def test_files_ingested_before_are_skipped_by_content_unless_again(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An evidence folder ingested again after a file was added to it: only the new file is
    read, and a copy of an old one under another name is recognised by its content."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    shutil.copy(EVTX, evidence / "first.evtx")
    assert main(["ingest", str(evidence), "--no-progress"]) == 0
    once = len(_stored(data_dir))
    assert once > 0
    capsys.readouterr()

    shutil.copy(EVTX, tmp_path / "renamed.evtx")
    (evidence / "auth.log").write_text(
        "Mar  5 10:00:01 web01 sshd[411]: Failed password for root from 10.20.7.8 port 22 ssh2\n"
    )
    assert main(["ingest", str(evidence), str(tmp_path / "renamed.evtx"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "skipping 2 files ingested before (--again reads them):" in out
    assert f"{evidence / 'first.evtx'} (as {evidence / 'first.evtx'}, " in out
    assert f"{tmp_path / 'renamed.evtx'} (as {evidence / 'first.evtx'}, " in out
    assert "1 event stored; no problems" in out
    assert len(_stored(data_dir)) == once + 1

    assert main(["ingest", str(evidence), "--no-progress"]) == 0
    assert capsys.readouterr().out == (
        "skipping 2 files ingested before (--again reads them):\n"
        f"  {evidence / 'auth.log'} (as {evidence / 'auth.log'}, "
        + _printed_time(data_dir, evidence / "auth.log")
        + f")\n  {evidence / 'first.evtx'} (as {evidence / 'first.evtx'}, "
        + _printed_time(data_dir, evidence / "first.evtx")
        + ")\nnothing new to ingest\n"
    )
    assert len(_stored(data_dir)) == once + 1

    assert main(["ingest", str(evidence / "first.evtx"), "--no-progress", "--again"]) == 0
    assert len(_stored(data_dir)) == 2 * once + 1  # EVTX records get new ids on each reading


def _printed_time(data_dir: Path, path: Path) -> str:
    """When the ledger says `path` was stored, as `soc ingest` prints it."""
    ledger = json.loads((data_dir / "ingested-files.json").read_text())
    (at,) = [entry["at"] for entry in ledger.values() if entry["path"] == str(path)]
    return datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M UTC")


def test_an_unreadable_ledger_is_an_error_not_forgotten(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "ingested-files.json").write_text("{half a ledger")
    assert main(["ingest", str(EVTX), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"the ingest ledger {data_dir / 'ingested-files.json'} is unreadable" in err
    assert "move it away to start anew" in err


def _line(n: int, text: str = "Failed password for root") -> str:
    return f"Mar  5 10:00:{n:02d} web01 sshd[411]: {text} from 10.20.7.{n} port 22 ssh2"


def test_a_log_that_grew_is_read_from_where_its_stored_part_ended(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The admin ingests /var/log/auth.log, then again later: only the new lines are stored. A
    last line still being written at the first ingest is read again whole."""
    log = tmp_path / "auth.log"
    third = _line(3)
    log.write_text(f"{_line(1)}\n{_line(2)}\n{third[:50]}")  # line 3 half written
    assert main(["ingest", str(log), "--no-progress"]) == 0
    assert "3 events stored" in capsys.readouterr().out

    with log.open("a") as fh:
        fh.write(f"{third[50:]}\n{_line(4)}\n")
    assert main(["ingest", str(log), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"reading what was added to 1 file since it was ingested:\n  {log} (after line 2, "
    )
    assert out.endswith("2 events stored; no problems\n")
    addresses = sorted(e["source"]["ip"] for e in _stored(data_dir) if "source" in e)
    assert addresses == ["10.20.7.1", "10.20.7.2", "10.20.7.3", "10.20.7.4"]
    assert len(_stored(data_dir)) == 5  # and the half of line 3, stored the first time

    with log.open("a") as fh:
        fh.write(_line(5) + "\n")
    assert main(["ingest", str(log), "--no-progress"]) == 0
    assert f"  {log} (after line 4, " in capsys.readouterr().out
    assert len(_stored(data_dir)) == 6

    assert main(["ingest", str(log), "--no-progress"]) == 0
    assert capsys.readouterr().out.endswith("nothing new to ingest\n")


def test_a_rotated_log_is_read_whole_and_again_reads_a_grown_one_whole(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "auth.log"
    log.write_text(f"{_line(1)}\n{_line(2)}\n")
    assert main(["ingest", str(log), "--no-progress"]) == 0
    log.write_text(f"{_line(7)}\n{_line(8)}\n{_line(9)}\n")  # rotated: a new file, longer
    assert main(["ingest", str(log), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "reading what was added" not in out and "3 events stored" in out

    with log.open("a") as fh:
        fh.write(_line(10) + "\n")
    assert main(["ingest", str(log), "--no-progress", "--again"]) == 0
    out = capsys.readouterr().out
    assert "reading what was added" not in out and "4 events stored" in out
    assert len(_stored(data_dir)) == 2 + 3 + 4


def test_problems_in_a_grown_ndjson_file_name_the_files_own_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "events.ndjson"
    line = json.dumps({"message": "hello", "event": {"dataset": "x"}})
    export.write_text(f"{line}\n{line}\n")
    assert main(["ingest", str(export), "--no-progress"]) == 0
    with export.open("a") as fh:
        fh.write(f"{{broken\n{line}\n")
    assert main(["ingest", str(export), "--no-progress"]) == 0
    assert "1 event stored; 1 problem" in capsys.readouterr().out
    (dead,) = [json.loads(x) for x in (data_dir / "dead-letter.ndjson").read_text().splitlines()]
    assert f"{export}: line 3: invalid JSON" in dead["reason"]
    assert len(_stored(data_dir)) == 3


def test_rotated_compressed_logs_are_read_and_remembered(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "var-log"
    logs.mkdir()
    (logs / "auth.log").write_text(_line(3) + "\n")
    (logs / "auth.log.1.gz").write_bytes(gzip.compress(f"{_line(1)}\n{_line(2)}\n".encode()))
    assert main(["ingest", str(logs), "--no-progress"]) == 0
    assert capsys.readouterr().out == "3 events stored; no problems\n"
    assert main(["ingest", str(logs), "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("skipping 2 files ingested before")
    stored = _stored(data_dir)
    assert sorted(e["source"]["ip"] for e in stored) == ["10.20.7.1", "10.20.7.2", "10.20.7.3"]
    assert {e["log"]["file"]["path"] for e in stored} == {
        str(logs / "auth.log"),
        str(logs / "auth.log.1.gz"),
    }


@pytest.mark.skipif(shutil.which("zip") is None, reason="needs Info-ZIP's zip (Debian package zip)")
def test_a_zip_with_locked_members_is_not_remembered_until_they_are_read(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Malware samples travel in zips locked with `infected`: an ingest without the password
    stores what it can, says what it could not read, and does not remember the zip, so that
    running it again with the password reads the locked member instead of skipping the zip."""
    (tmp_path / "plain.log").write_text(_line(1, "Accepted password for alice"))
    (tmp_path / "locked.log").write_text(_line(2, "Failed password for root"))
    archive = tmp_path / "evidence.zip"
    subprocess.run(["zip", "-q", str(archive), "plain.log"], cwd=tmp_path, check=True)
    subprocess.run(["zip", "-q", "-P", "infected", str(archive), "locked.log"], cwd=tmp_path,
                   check=True)  # fmt: skip
    assert main(["ingest", str(archive), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"{archive}: 1 encrypted member not read, so it is not remembered" in out
    assert [e["source"]["ip"] for e in _stored(data_dir)] == ["10.20.7.1"]  # plain.log

    assert main(["ingest", str(archive), "--no-progress", "--password", "infected"]) == 0
    out = capsys.readouterr().out
    assert "skipping" not in out and "encrypted member" not in out
    # locked.log now, and plain.log again, as the message said
    assert sorted(e["source"]["ip"] for e in _stored(data_dir)) == [
        "10.20.7.1",
        "10.20.7.1",
        "10.20.7.2",
    ]
    assert main(["ingest", str(archive), "--no-progress", "--password", "infected"]) == 0
    assert capsys.readouterr().out.startswith("skipping 1 file ingested before")


def test_timezone_reads_local_clocks_and_defaults_to_the_listeners_setting(
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A server's auth.log keeps its local clock: `--timezone` names it, else the listener's
    `syslog.timezone` applies, so a file and the same lines sent live agree."""
    first = tmp_path / "a" / "auth.log"
    second = tmp_path / "b" / "auth.log"
    for path, host in ((first, "web01"), (second, "web02")):
        path.parent.mkdir()
        path.write_bytes(
            f"Mar  5 14:02:11 {host} sshd[77]: Failed password for root from 203.0.113.9 "
            "port 51000 ssh2\n".encode()
        )
    assert main(["ingest", str(first), "--no-progress", "--timezone", "+07:00"]) == 0
    monkeypatch.setenv("SOC_SYSLOG__TIMEZONE", "Asia/Ho_Chi_Minh")
    assert main(["ingest", str(second), "--no-progress"]) == 0
    stamps = {e["host"]["name"]: e["@timestamp"][5:] for e in _stored(data_dir)}
    assert stamps == {"web01": "03-05T07:02:11.000Z", "web02": "03-05T07:02:11.000Z"}
    assert main(["ingest", str(first), "--no-progress", "--again", "--timezone", "Mars"]) != 0
    assert "--timezone: unknown time zone 'Mars'" in capsys.readouterr().err
