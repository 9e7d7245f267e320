"""`soc sites`, `soc intel` and `soc sources` on real stores in a temporary data directory.

The parser is built from the command groups themselves (`register`), as `soc.cli.main` does.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soc.cli import intel, remote
from soc.config import load_settings
from soc.errors import ValidationError
from soc.model.agency import Agency
from soc.model.event import utcnow
from soc.model.source_state import SourceState
from soc.services import open_cases


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(tmp_path / "var"))
    cases = open_cases(load_settings())
    cases.upsert_agency(Agency("so-yte", "Sở Y tế", ("10.20.0.0/16",)))
    cases.close()
    return tmp_path / "var"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="soc")
    parser.add_argument("--config")
    sub = parser.add_subparsers()
    remote.register(sub)
    intel.register(sub)
    args = parser.parse_args(argv)
    return int(args.run(args))


def test_sites_from_the_shell(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("sites", "add", "yte-hq", "--name", "Trụ sở", "--agency", "so-yte") == 0
    token = capsys.readouterr().out.splitlines()[-1]
    cases = open_cases(load_settings())
    try:
        assert cases.sites.authenticate(token).agency_id == "so-yte"
        assert run("sites", "token", "yte-hq") == 0
        new_token = capsys.readouterr().out.splitlines()[-1]
        assert cases.sites.authenticate(token) is None
        assert cases.sites.authenticate(new_token) is not None
        assert run("sites", "revoke", "yte-hq") == 0
        assert cases.sites.authenticate(new_token) is None
    finally:
        cases.close()
    capsys.readouterr()
    assert run("sites", "list") == 0
    assert capsys.readouterr().out.startswith("yte-hq\tso-yte\trevoked\tlast seen never")


def test_intel_import_list_remove(data_dir: Path, tmp_path: Path, capsys) -> None:
    feed = tmp_path / "vncert.csv"
    feed.write_text("ip,203.0.113.7,C2\ndomain,evil.example\nbogus,1\n", encoding="utf-8")
    assert run("intel", "import", str(feed)) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "feed vncert (csv): 2 indicators (2 new, 0 kept, 0 removed), 1 entry skipped"
    )
    assert "skipped line 3: unknown indicator type 'bogus'" in out
    assert run("intel", "list") == 0
    assert capsys.readouterr().out.startswith("vncert\tcsv\t2 indicators")
    assert run("intel", "remove", "vncert") == 0
    assert run("intel", "list") == 0
    assert capsys.readouterr().out == "removed feed vncert\n"


def test_a_feed_file_with_nothing_usable_leaves_the_feed_as_it_was(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "vncert.csv"
    feed.write_text("type,value\nip,203.0.113.7\n", encoding="utf-8")
    assert run("intel", "import", str(feed)) == 0
    feed.write_text("value,type\n203.0.113.7,ip\n", encoding="utf-8")  # columns swapped
    with pytest.raises(
        ValidationError, match=r"no usable indicator.*feed vncert is left as it was"
    ):
        run("intel", "import", str(feed))
    assert "skipped line 2: unknown indicator type '203.0.113.7'" in capsys.readouterr().err
    assert run("intel", "list") == 0
    assert capsys.readouterr().out.startswith("vncert\tcsv\t1 indicator\t")


def test_sources_interval_and_forget(data_dir: Path, capsys) -> None:
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    cases = open_cases(load_settings())
    cases.sources.save([SourceState("syslog", "10.20.0.5", moment, moment, "so-yte")])
    cases.close()
    assert run("sources", "interval", "syslog", "10.20.0.5", "2.5") == 0
    assert capsys.readouterr().out == "syslog 10.20.0.5: interval 150 s\n"
    assert run("sources", "list") == 0
    assert "interval 150s\tSILENT since 2026-03-02" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run("sources", "interval", "syslog", "10.20.0.5", "soon")
    assert run("sources", "forget", "syslog", "10.20.0.5") == 0
    assert run("sources", "list") == 0
    assert capsys.readouterr().out == "forgot syslog 10.20.0.5\n"


def test_sources_list_judges_silence_now_with_the_server_stopped(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checker last recorded every source as reporting; since then the server stopped and
    time went on: the listing judges each source against its interval at the time of listing."""
    now = utcnow()
    ago = {"10.20.0.5": 20, "10.20.0.6": 2, "10.20.0.7": 600}  # minutes since last seen
    cases = open_cases(load_settings())
    cases.sources.save(
        [
            *(
                SourceState("syslog", key, now - timedelta(days=1), now - timedelta(minutes=m))
                for key, m in ago.items()
            ),
            SourceState("site", "yte-hq", now, now - timedelta(minutes=12), "so-yte"),
        ]
    )
    cases.sources.set_interval(None, "syslog", "10.20.0.7", 0)
    cases.close()
    assert run("sources", "list") == 0
    rows = {
        line.split("\t")[1]: line.split("\t")[4:] for line in capsys.readouterr().out.splitlines()
    }
    assert rows["10.20.0.5"][0] == "interval 900s (default)"  # silence.default_interval_minutes
    assert rows["10.20.0.5"][1].startswith("SILENT since ")
    assert rows["10.20.0.6"][1] == "ok"
    assert rows["10.20.0.7"] == ["interval 0s", "not monitored"]
    assert rows["yte-hq"][0] == "interval 600s (default)"  # silence.kind_intervals site=10
    assert rows["yte-hq"][1].startswith("SILENT since ")
