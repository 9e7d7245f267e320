"""`load_hunt_rules` remembers a compilation by the content of the rule and pipeline files and
the compiler's code: a second start reads it back, any edited rule compiles afresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from soc.detection import hunt
from soc.detection.hunt import load_hunt_rules

ROOT = Path(__file__).resolve().parents[3]


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
