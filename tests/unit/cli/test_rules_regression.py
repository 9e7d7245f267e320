"""`soc rules regression` on a SigmaHQ-shaped checkout built from real rules and real EVTX.

The samples are hayabusa's EVTX files and one record of them as the `evtx` package renders it
(SigmaHQ's `<rule_id>.json`); the rules are SigmaHQ's own, given a `regression_tests_path`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import evtx
import pytest
import yaml
from shared_data import ROOT, SHARED_DATA

from soc.cli import main

SIGMAHQ_PROCESS_CREATION = ROOT / "rules" / "sigmahq" / "rules" / "windows" / "process_creation"
DISCOVERY = (
    SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "EVTX-to-MITRE-Attack" / "TA0007-Discovery"
)
SPN_EVTX = DISCOVERY / "T1087-Account discovery" / "ID1-SPN discovery (SYSMON process).evtx"
NET_GROUP_EVTX = (
    DISCOVERY / "T1069-Permission Groups Discovery" / "ID4688-Group discovery via commandline.evtx"
)
SPN_RULE = "proc_creation_win_setspn_spn_enumeration"  # Sysmon 1: setspn -T offsec -Q */*
NET_GROUP_RULE = "proc_creation_win_net_groups_and_accounts_recon"  # Security 4688, net + net1

pytestmark = pytest.mark.skipif(
    not (SPN_EVTX.is_file() and NET_GROUP_EVTX.is_file()), reason="hayabusa samples absent"
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the compiled-rule cache out of the checkout's `var/`."""
    folder = tmp_path / "var"
    monkeypatch.setenv("SOC_STORAGE__DATA_DIR", str(folder))
    return folder


def _add_rule(root: Path, name: str, tests: list[dict[str, Any]]) -> None:
    """The real SigmaHQ rule under `rules/`, its info.yml under `regression_data/`."""
    data = Path("regression_data/rules/windows/process_creation") / name
    rule = root / "rules" / "windows" / "process_creation" / f"{name}.yml"
    rule.parent.mkdir(parents=True, exist_ok=True)
    text = (SIGMAHQ_PROCESS_CREATION / f"{name}.yml").read_text(encoding="utf-8")
    rule.write_text(f"{text.rstrip()}\nregression_tests_path: {data}/info.yml\n", encoding="utf-8")
    (root / data).mkdir(parents=True, exist_ok=True)
    info = {"id": "00000000-0000-4000-8000-000000000000", "regression_tests_info": tests}
    (root / data / "info.yml").write_text(yaml.safe_dump(info, sort_keys=False), encoding="utf-8")


def _sample(root: Path, name: str, source: Path, rule_id: str, suffix: str) -> str:
    """Where SigmaHQ keeps the rule's sample; EVTX copied, JSON rendered by the `evtx` package."""
    relative = f"regression_data/rules/windows/process_creation/{name}/{rule_id}.{suffix}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == "evtx":
        shutil.copyfile(source, target)
    else:
        [record] = evtx.PyEvtxParser(str(source)).records_json()
        target.write_text(record["data"], encoding="utf-8")
    return relative


def _checkout(root: Path) -> Path:
    spn_id, net_id = "1eeed653-dbc8-4187-ad0c-eeebb20e6599", "d95de845-b83c-4a9a-8a6a-4fc802ebf6c0"
    spn_evtx = _sample(root, SPN_RULE, SPN_EVTX, spn_id, "evtx")
    spn_json = _sample(root, SPN_RULE, SPN_EVTX, spn_id, "json")
    net_evtx = _sample(root, NET_GROUP_RULE, NET_GROUP_EVTX, net_id, "evtx")
    _add_rule(
        root,
        SPN_RULE,
        [
            {"name": "evtx", "type": "evtx", "match_count": 1, "path": spn_evtx},
            # SigmaHQ's checker pipeline: listed, and ignored (ours apply).
            {
                "name": "json",
                "type": "json",
                "match_count": 1,
                "pipelines": ["regression_data/pipelines/process_creation_fieldmapping.yml"],
                "path": spn_json,
            },
        ],
    )
    _add_rule(
        root,
        NET_GROUP_RULE,
        [
            {"name": "exact", "type": "evtx", "match_count": 2, "path": net_evtx},
            {"name": "too many expected", "type": "evtx", "match_count": 3, "path": net_evtx},
            {"name": "fewer expected", "type": "evtx", "match_count": 1, "path": net_evtx},
            {"name": "absent", "type": "json", "match_count": 1, "path": f"{net_evtx[:-5]}.json"},
        ],
    )
    return root


def _run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["rules", "regression", *args])
    return code, capsys.readouterr().out


def test_rules_that_match_their_samples_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _checkout(tmp_path / "sigma")
    rule = f"rules/windows/process_creation/{SPN_RULE}.yml"
    code, out = _run(str(root), "--rules-dir", rule, capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["PASS", "PASS"]
    assert f"{rule} [evtx] evtx: expected 1, got 1" in lines[0]
    assert f"{rule} [json] json: expected 1, got 1" in lines[1]
    assert lines[-1] == "2 tests: 2 pass, 0 fail, 0 warn, 0 missing, 0 skip"


def test_fewer_matches_fail_more_warn_and_absent_samples_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _checkout(tmp_path / "sigma")
    code, out = _run(str(root), "--format", "json", capsys=capsys)
    assert code == 1
    report = json.loads(out)
    verdicts = {(t["rule_path"].rsplit("/", 1)[-1], t["name"]): t for t in report["tests"]}
    net = f"{NET_GROUP_RULE}.yml"
    assert verdicts[(net, "exact")]["verdict"] == "PASS"
    assert verdicts[(net, "too many expected")]["verdict"] == "FAIL"
    assert verdicts[(net, "too many expected")]["matches"] == 2
    assert verdicts[(net, "fewer expected")]["verdict"] == "WARN"
    assert verdicts[(net, "absent")]["verdict"] == "MISSING"
    assert report["summary"] == {"PASS": 3, "FAIL": 1, "WARN": 1, "MISSING": 1, "SKIP": 0}


def test_a_rule_we_cannot_compile_is_skipped_with_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "sigma"
    spn_evtx = _sample(root, SPN_RULE, SPN_EVTX, "1eeed653-dbc8-4187-ad0c-eeebb20e6599", "evtx")
    _add_rule(root, SPN_RULE, [{"type": "evtx", "match_count": 1, "path": spn_evtx}])
    rule = root / "rules" / "windows" / "process_creation" / f"{SPN_RULE}.yml"
    rule.write_text(rule.read_text().replace("CommandLine|contains", "CommandLine|nosuchmodifier"))
    code, out = _run(str(root), capsys=capsys)
    assert code == 0
    assert out.startswith("SKIP ")
    assert "nosuchmodifier" in out.splitlines()[0]
    assert out.splitlines()[-1] == "1 test: 0 pass, 0 fail, 0 warn, 0 missing, 1 skip"


def test_a_folder_that_is_not_there_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "regression", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_a_folder_that_is_not_a_sigma_checkout_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "regression", str(tmp_path)]) == 2
    assert "no rule with regression tests" in capsys.readouterr().err


def test_rules_check_refuses_a_folder_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(tmp_path / "nowhere")]) == 2
    assert f"no such file or folder: {tmp_path / 'nowhere'}" in capsys.readouterr().err


def test_tests_that_cannot_run_say_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "sigma"
    _add_rule(root, SPN_RULE, [{"name": "xml", "type": "xml", "path": "regression_data/x.xml"}])
    rule = root / "rules" / "windows" / "process_creation" / f"{NET_GROUP_RULE}.yml"
    text = (SIGMAHQ_PROCESS_CREATION / rule.name).read_text(encoding="utf-8")
    rule.write_text(f"{text.rstrip()}\nregression_tests_path: regression_data/none/info.yml\n")
    code, out = _run(str(root), capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"MISSING rules/windows/process_creation/{NET_GROUP_RULE}.yml")
    assert "no file " in lines[0]
    assert lines[1].startswith(f"SKIP    rules/windows/process_creation/{SPN_RULE}.yml [xml] xml:")
    assert "test type 'xml' is not one of evtx, json, ndjson, jsonl" in lines[1]


def test_the_newer_layout_names_rules_from_the_info_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Since 2026 an info.yml lists `rules` by id and `test_cases`; rules name nothing."""
    root = tmp_path / "sigma"
    spn_id = "1eeed653-dbc8-4187-ad0c-eeebb20e6599"
    spn_json = _sample(root, SPN_RULE, SPN_EVTX, spn_id, "json")
    rule = root / "rules" / "windows" / "process_creation" / f"{SPN_RULE}.yml"
    rule.parent.mkdir(parents=True)
    shutil.copyfile(SIGMAHQ_PROCESS_CREATION / rule.name, rule)
    info = {
        "id": "00000000-0000-4000-8000-000000000001",
        "pipelines": ["regression_data/pipelines/process_creation_fieldmapping.yml"],
        "rules": [
            {"id": spn_id, "title": "Potential SPN Enumeration Via Setspn.EXE"},
            {"id": "00000000-0000-4000-8000-00000000dead", "title": "Not Here"},
        ],
        "test_cases": [{"name": "json", "type": "json", "match_count": 1, "path": spn_json}],
    }
    (root / "regression_data" / "anywhere").mkdir(parents=True)
    (root / "regression_data" / "anywhere" / "info.yml").write_text(yaml.safe_dump(info))
    code, out = _run(str(root), capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"PASS    rules/windows/process_creation/{SPN_RULE}.yml [json] json: expected 1, got 1"
    )
    assert lines[1].startswith("MISSING rule 00000000-0000-4000-8000-00000000dead [-] -: no rule")
    code, out = _run(str(root), "--rules-dir", "rules/windows", capsys=capsys)
    assert out.splitlines()[-1] == "1 test: 1 pass, 0 fail, 0 warn, 0 missing, 0 skip"


def test_an_older_info_file_its_rule_does_not_name_and_windows_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An info.yml of the older layout (`rule_metadata`, `regression_tests_info`) still finds
    its rule by id when the rule lacks `regression_tests_path`, and a sample path written
    with backslashes is found on any system."""
    root = tmp_path / "sigma"
    spn_id = "1eeed653-dbc8-4187-ad0c-eeebb20e6599"
    spn_evtx = _sample(root, SPN_RULE, SPN_EVTX, spn_id, "evtx")
    rule = root / "rules" / "windows" / "process_creation" / f"{SPN_RULE}.yml"
    rule.parent.mkdir(parents=True)
    shutil.copyfile(SIGMAHQ_PROCESS_CREATION / rule.name, rule)
    info = {
        "id": "00000000-0000-4000-8000-000000000002",
        "rule_metadata": [{"id": spn_id, "title": "Potential SPN Enumeration Via Setspn.EXE"}],
        "regression_tests_info": [
            {"name": "evtx", "type": "evtx", "match_count": 1, "path": spn_evtx.replace("/", "\\")}
        ],
    }
    info_path = root / Path(spn_evtx).parent / "info.yml"
    info_path.write_text(yaml.safe_dump(info))
    code, out = _run(str(root), capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"PASS    rules/windows/process_creation/{SPN_RULE}.yml [evtx] evtx: expected 1, got 1"
    )
    assert lines[-1] == "1 test: 1 pass, 0 fail, 0 warn, 0 missing, 0 skip"


def test_a_negative_test_fails_on_any_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SigmaHQ's negative tests (`match_count: 0`, e.g. the WDAC policy rule's sample written by
    `System`) hold events the rule must not match: a match there is a false positive, not the
    surplus a WARN reports."""
    root = tmp_path / "sigma"
    net_evtx = _sample(root, NET_GROUP_RULE, NET_GROUP_EVTX, "d95de845", "evtx")
    spn_evtx = _sample(root, SPN_RULE, SPN_EVTX, "1eeed653", "evtx")
    negative = {"name": "Negative Detection Test", "type": "evtx", "match_count": 0}
    _add_rule(root, NET_GROUP_RULE, [{**negative, "path": net_evtx}])
    _add_rule(root, SPN_RULE, [{**negative, "path": net_evtx}, {**negative, "path": spn_evtx}])
    code, out = _run(str(root), "--format", "json", capsys=capsys)
    assert code == 1
    report = json.loads(out)
    verdicts = [
        (t["rule_path"].rsplit("/", 1)[-1], t["verdict"], t["matches"]) for t in report["tests"]
    ]
    assert sorted(verdicts) == [
        (f"{NET_GROUP_RULE}.yml", "FAIL", 2),
        (f"{SPN_RULE}.yml", "FAIL", 1),
        (f"{SPN_RULE}.yml", "PASS", 0),
    ]
