"""What a compiled rule carries, and how compiling finds its pipelines."""

from __future__ import annotations

from pathlib import Path

from soc.rules import compile_rules, load_rules
from soc.rules.framing import ENTITY_FIELDS

RULE = """\
title: metadata rule
id: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
description: Why this rule exists.
logsource: {product: test}
detection:
  sel: {user.name: x}
  condition: sel
tags: [attack.execution, attack.t1059]
"""


def write_rules(folder: Path, pipeline_text: str) -> Path:
    (folder / "pipelines").mkdir(parents=True)
    (folder / "pipelines" / "test.yml").write_text(pipeline_text)
    (folder / "sub").mkdir()
    (folder / "sub" / "rule.yml").write_text("# a comment line first\n" + RULE)
    return folder


def test_compiled_rule_metadata(tmp_path: Path, pipeline_dir: Path) -> None:
    folder = write_rules(tmp_path / "rules", (pipeline_dir / "test.yml").read_text())
    catalog = compile_rules(load_rules([folder]))  # pipelines: the folder's own pipelines/
    assert catalog.errors == []
    [rule] = catalog.compiled
    assert rule.id == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert rule.title == "metadata rule"
    assert rule.level == "medium"  # Sigma level left out
    assert rule.tags == ("attack.execution", "attack.t1059")
    assert rule.description == "Why this rule exists."
    assert rule.kind == "event"
    assert rule.source == f"{folder / 'sub' / 'rule.yml'}:2"
    assert rule.entity_fields == ENTITY_FIELDS
    assert rule.timespan_seconds is None
    assert "$after" in rule.sql and "$until" in rule.sql


def test_compiling_twice_gives_the_same_sql(tmp_path: Path, pipeline_dir: Path) -> None:
    folder = write_rules(tmp_path / "rules", (pipeline_dir / "test.yml").read_text())
    ruleset = load_rules([folder])
    first, second = compile_rules(ruleset), compile_rules(ruleset)
    assert [r.sql for r in first.compiled] == [r.sql for r in second.compiled]
    assert first.compiled[0].sql.count("event_dataset") == 1  # the pipeline applied once


def test_without_pipelines_no_log_source_is_mapped(tmp_path: Path, pipeline_dir: Path) -> None:
    folder = write_rules(tmp_path / "rules", (pipeline_dir / "test.yml").read_text())
    catalog = compile_rules(load_rules([folder]), pipelines=[])
    assert catalog.compiled == []
    assert "no pipeline maps log source product=test" in catalog.errors[0].reason
