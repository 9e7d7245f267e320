"""`load_hunt_rules` remembers a compilation by the content of the rule and pipeline files and
the compiler's code: a second start reads it back, any edited rule compiles afresh. The entry
holds the conditions parsed for the evaluator too: a hunt from it parses nothing and finds the
same matches."""

from __future__ import annotations

import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from shared_data import SHARED_DATA

from collectors.files import read_events
from soc.detection import hunt
from soc.detection.hunt import HuntRules, load_hunt_rules, run_hunt
from soc.storage import rule_eval

ROOT = Path(__file__).resolve().parents[3]
EXECUTION = (
    SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "EVTX-to-MITRE-Attack" / "TA0002-Execution"
)


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules" / "soc", folder)
    return folder


def sql_by_id(rules: hunt.HuntRules) -> dict[str, str]:
    return {rule.id: rule.sql for rule in rules.catalog.compiled}


def test_a_second_load_reads_the_cache_and_an_edit_compiles_again(
    rules_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    pipelines = [ROOT / "rules" / "pipelines"]
    first = load_hunt_rules([rules_dir], pipelines, cache_dir=cache)
    assert len(list(cache.glob("*.pickle"))) == 1
    assert first.catalog.compiled

    def no_loading(*_: object, **__: object) -> None:
        raise AssertionError("the rules were loaded again")

    with monkeypatch.context() as patch:
        patch.setattr(hunt, "load_rules", no_loading)
        again = load_hunt_rules([rules_dir], pipelines, cache_dir=cache)
    assert sql_by_id(again) == sql_by_id(first)
    assert again.columns == first.columns and again.lowered == first.lowered

    edited = next(rules_dir.rglob("*.yml"))
    edited.write_text(edited.read_text().replace("level: ", "level:  ", 1))
    with monkeypatch.context() as patch:
        patch.setattr(hunt, "load_rules", no_loading)
        with pytest.raises(AssertionError, match="loaded again"):
            load_hunt_rules([rules_dir], pipelines, cache_dir=cache)


def test_a_damaged_entry_is_compiled_again_and_no_cache_dir_writes_nothing(
    rules_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    pipelines = [ROOT / "rules" / "pipelines"]
    first = load_hunt_rules([rules_dir], pipelines, cache_dir=cache)
    [entry] = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    again = load_hunt_rules([rules_dir], pipelines, cache_dir=cache)
    assert sql_by_id(again) == sql_by_id(first)
    assert entry.read_bytes() != b"not a pickle"

    uncached = load_hunt_rules([rules_dir], pipelines)
    assert sql_by_id(uncached) == sql_by_id(first)
    assert list(cache.glob("*")) == [entry]


def test_a_new_cache_format_compiles_again(
    rules_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    pipelines = [ROOT / "rules" / "pipelines"]
    load_hunt_rules([rules_dir], pipelines, cache_dir=cache)
    monkeypatch.setattr(hunt, "CACHE_FORMAT", hunt.CACHE_FORMAT + 1)
    load_hunt_rules([rules_dir], pipelines, cache_dir=cache)
    assert len(list(cache.glob("*.pickle"))) == 2


def hunt_hits(rules: HuntRules) -> list[tuple[str, str, int]]:
    """(rule id, file, record number) of every match, sorted."""
    events = read_events([EXECUTION], format="evtx")
    with run_hunt(rules, events) as result:
        return sorted(
            (m.rule.id, m.events[0]["log"]["file"]["path"], m.events[0]["winlog"]["record_id"])
            for m in result.matches()
        )


def test_a_hunt_from_the_cache_parses_nothing_and_matches_a_fresh_compilation(
    windows_hunt: HuntRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert windows_hunt.parsed is not None
    parsed_per_hunt = hunt_hits(replace(windows_hunt, parsed=None))
    assert len(parsed_per_hunt) > 20
    assert hunt_hits(windows_hunt) == parsed_per_hunt

    def no_parsing(*_: object, **__: object) -> None:
        raise AssertionError("a term was parsed in the hunt")

    cached = pickle.loads(pickle.dumps(windows_hunt))  # what `load_hunt_rules` reads back
    monkeypatch.setattr(rule_eval, "parse", no_parsing)
    monkeypatch.setattr(rule_eval, "conjuncts", no_parsing)
    assert hunt_hits(cached) == parsed_per_hunt
