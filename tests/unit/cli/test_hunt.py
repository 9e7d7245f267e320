"""`soc hunt` end to end: evidence files in, JSON lines and a report out, no server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from soc.cli import main

ROOT = Path(__file__).resolve().parents[3]
ACCESS_LOG = (
    '192.0.2.77 - - [22/Nov/2026:08:00:00 +0700] "GET /uploads/shell.php?cmd=whoami HTTP/1.1" '
    '200 512 "-" "curl/8.5.0"\n'
    '10.20.0.9 - - [22/Nov/2026:08:00:01 +0700] "GET /index.html HTTP/1.1" 200 1024 "-" '
    '"Mozilla/5.0"\n'
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the compiled-rule cache out of the checkout's `var/`."""
    folder = tmp_path / "var"
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(folder))
    return folder


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "access.log").write_text(
        "".join(
            f"<150>Nov 22 01:00:00 web-01 apache2: {line}" for line in ACCESS_LOG.splitlines(True)
        )
    )
    return folder


def test_hunt_writes_one_line_per_match_and_a_report(
    evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, report = tmp_path / "matches.ndjson", tmp_path / "report.html"
    code = main(
        [
            "hunt",
            "--rules", str(ROOT / "rules" / "soc"),
            "--pipelines", str(ROOT / "rules" / "pipelines"),
            "--input", str(evidence),
            "--out", str(out),
            "--summary", str(report),
            "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    [match] = [json.loads(line) for line in out.read_text().splitlines()]
    assert match["rule"]["title"] == "Web Shell Style Request Answered By The Web Server"
    assert match["event"]["url"]["original"] == "/uploads/shell.php?cmd=whoami"
    assert match["event"]["log"]["file"]["path"] == str(evidence / "access.log")
    assert "Web Shell Style Request" in report.read_text()
    assert list((tmp_path / "var" / "cache" / "hunt-rules").iterdir())  # compiled once, kept
    err = capsys.readouterr().err
    assert "events read:    2" in err
    assert "matches:        1 from 1 rule\n" in err


def test_hunt_refuses_a_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hunt", "--rules", str(ROOT / "rules" / "soc"), "--input", "/nope"]) == 2
    assert "no such file or folder: /nope" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "name", "reason"),
    [
        ("--out", "no-such-folder/matches.jsonl", "no folder"),
        ("--summary", "no-such-folder/report.html", "no folder"),
        ("--summary", "a-folder.html", "it is a folder"),
        ("--summary", "report.txt", "must end in .html or .csv"),
    ],
)
def test_hunt_refuses_an_output_it_cannot_write_before_hunting(
    evidence: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: str,
    name: str,
    reason: str,
) -> None:
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(tmp_path / "var"))
    (tmp_path / "a-folder.html").mkdir()
    argv = ["hunt", "--rules", str(ROOT / "rules" / "soc"), "--input", str(evidence)]
    assert main([*argv, option, str(tmp_path / name), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"soc: {option}: " in err and reason in err
    assert not (tmp_path / "var" / "cache").exists()  # refused before compiling a rule


def test_a_hunt_without_one_usable_rule_says_why_and_fails(
    evidence: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(tmp_path / "var"))
    broken = tmp_path / "broken.yml"
    broken.write_text("title: broken\nlogsource: {product: linux}\ndetection: {condition: sel}\n")
    argv = ["hunt", "--rules", str(broken), "--input", str(evidence), "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"skipped: {broken}" in err and "none of the rules could be used" in err


def test_a_skipped_rule_is_named_even_when_the_others_run(
    evidence: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(tmp_path / "var"))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "broken.yml").write_text(
        "title: broken\nlogsource: {product: linux}\ndetection: {condition: sel}\n"
    )
    (rules / "good.yml").write_text(
        (ROOT / "rules" / "soc" / "web" / "web_webshell_request.yml").read_text(encoding="utf-8")
    )
    argv = ["hunt", "--rules", str(rules), "--input", str(evidence), "--no-progress"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert f"skipped: {rules / 'broken.yml'}" in err
    assert "rules loaded:   1" in err


def test_hunt_finds_the_shipped_pipelines_from_any_directory(
    evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single rule file names no pipeline folder: the shipped ones apply wherever the analyst
    runs the command, not only from the checkout."""
    monkeypatch.chdir(tmp_path)
    rule = ROOT / "rules" / "soc" / "web" / "web_webshell_request.yml"
    out = tmp_path / "matches.ndjson"
    code = main(
        ["hunt", "--rules", str(rule), "--input", str(evidence), "--out", str(out), "--no-progress"]
    )
    assert code == 0
    [match] = [json.loads(line) for line in out.read_text().splitlines()]
    assert match["rule"]["title"] == "Web Shell Style Request Answered By The Web Server"


def test_rules_check_and_retro_count_one_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`soc rules check` and `soc rules retro` on the stopped store, over one rule that matches
    one stored event: the counts read "1 rule", "1 match", "1 new alert"."""
    rule = ROOT / "rules" / "soc" / "web" / "web_webshell_request.yml"
    monkeypatch.setenv("SOC_DETECTION__RULES_DIRS", str(rule))
    monkeypatch.setenv("SOC_DETECTION__PIPELINES_DIRS", str(ROOT / "rules" / "pipelines"))
    monkeypatch.setenv("SOC_ENRICH__GEOIP_ENABLED", "false")
    assert main(["rules", "check"]) == 0
    assert capsys.readouterr().out == "\n1 rule compiled, 0 not\n"
    evidence = tmp_path / "access.log"  # RFC 5424: the year is in the line
    evidence.write_text(
        "".join(
            f"<150>1 2026-11-22T01:00:00+07:00 web-01 apache2 - - - {line}"
            for line in ACCESS_LOG.splitlines(True)
        )
    )
    assert main(["ingest", str(evidence), "--no-progress"]) == 0
    capsys.readouterr()
    rule_id = yaml.safe_load(rule.read_text())["id"]
    assert (
        main(
            [
                "rules",
                "retro",
                rule_id,
                "--from",
                "2026-11-21T00:00:00Z",
                "--to",
                "2026-11-23T00:00:00Z",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{rule_id}\t1 match\t1 new\tok\t")
    assert out[-1].endswith(": 1 match, 1 new alert")


@pytest.mark.skipif(shutil.which("zip") is None, reason="needs Info-ZIP's zip (Debian package zip)")
def test_hunt_reads_a_password_locked_evidence_zip(
    evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "evidence.zip"
    subprocess.run(["zip", "-q", "-P", "infected", str(archive), "access.log"], cwd=evidence,
                   check=True)  # fmt: skip
    out = tmp_path / "matches.ndjson"
    argv = [
        "hunt",
        "--rules", str(ROOT / "rules" / "soc"),
        "--pipelines", str(ROOT / "rules" / "pipelines"),
        "--input", str(archive),
        "--out", str(out),
        "--no-progress",
    ]  # fmt: skip
    assert main([*argv, "--password", "infected"]) == 0
    [match] = [json.loads(line) for line in out.read_text().splitlines()]
    assert match["event"]["log"]["file"]["path"] == f"{archive}!/access.log"
    capsys.readouterr()
    assert main(argv) == 0  # without it: nothing to hunt in, and the problem is told
    assert out.read_text() == ""
    assert (
        f"unreadable: {archive}!/access.log: file: cannot be extracted: encrypted, and no "
        "password was given\n" in capsys.readouterr().err
    )
