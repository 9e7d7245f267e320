"""Broken rules are reported with their file and line, and never stop the good ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from soc.errors import RuleError
from soc.rules import load_pipeline, load_rules, validate_rules

GOOD = """\
title: good rule
id: 11111111-1111-4111-8111-111111111111
logsource: {product: test}
detection:
  sel: {user.name: x}
  condition: sel
level: high
"""


def only_problem(catalog, path_end: str):
    matching = [p for p in catalog.errors if p.path.endswith(path_end)]
    assert len(matching) == 1, catalog.errors
    return matching[0]


def test_good_rules_compile_next_to_broken_ones(compile_files) -> None:
    catalog = compile_files(
        {
            "good.yml": GOOD,
            "broken_yaml.yml": "title: x\ndetection: [unclosed\n",
            "bad_condition.yml": """\
            title: refers to a missing selection
            id: 22222222-2222-4222-8222-222222222222
            logsource: {product: test}
            detection:
              sel: {user.name: x}
              condition: sel and other
            """,
        }
    )
    assert [r.id for r in catalog.compiled] == ["11111111-1111-4111-8111-111111111111"]
    assert len(catalog.errors) == 2
    assert {p.stage for p in catalog.errors} == {"load", "compile"}


def test_invalid_yaml_is_reported_with_its_line(compile_files) -> None:
    catalog = compile_files({"broken.yml": "title: x\nid: 1\ndetection: [unclosed\n"})
    problem = only_problem(catalog, "broken.yml")
    assert problem.stage == "load"
    assert problem.line == 4
    assert "invalid YAML" in problem.reason
    assert problem.where.endswith("broken.yml:4")


def test_a_problem_in_a_later_document_points_at_that_document(compile_files) -> None:
    catalog = compile_files(
        {
            "multi.yml": GOOD
            + """\
---
title: unknown modifier
id: 33333333-3333-4333-8333-333333333333
logsource: {product: test}
detection:
  sel: {user.name|nosuchmodifier: x}
  condition: sel
"""
        }
    )
    problem = only_problem(catalog, "multi.yml")
    assert problem.line == 9
    assert problem.rule_id is None or problem.rule_id.startswith("3333")
    assert "nosuchmodifier" in problem.reason
    assert [r.title for r in catalog.compiled] == ["good rule"]


def test_unknown_condition_identifier_is_reported(compile_files) -> None:
    catalog = compile_files(
        {
            "cond.yml": """\
        title: refers to a missing selection
        id: 22222222-2222-4222-8222-222222222222
        logsource: {product: test}
        detection:
          sel: {user.name: x}
          condition: sel and other
        """
        }
    )
    problem = only_problem(catalog, "cond.yml")
    assert problem.stage == "compile"
    assert problem.title == "refers to a missing selection"
    assert problem.rule_id == "22222222-2222-4222-8222-222222222222"
    assert "other" in problem.reason
    assert catalog.compiled == []


def test_duplicate_ids_keep_the_first_rule(compile_files) -> None:
    catalog = compile_files({"a.yml": GOOD, "b.yml": GOOD.replace("good rule", "copy")})
    assert [r.title for r in catalog.compiled] == ["good rule"]
    problem = only_problem(catalog, "b.yml")
    assert "duplicate" in problem.reason
    assert "a.yml:1" in problem.reason


def test_a_log_source_no_pipeline_maps_is_not_run(compile_files) -> None:
    catalog = compile_files({"aws.yml": GOOD.replace("product: test", "product: aws")})
    problem = only_problem(catalog, "aws.yml")
    assert problem.stage == "compile"
    assert "product=aws" in problem.reason
    assert catalog.compiled == []


def test_a_rule_that_alerts_needs_an_id(compile_files) -> None:
    catalog = compile_files(
        {"noid.yml": GOOD.replace("id: 11111111-1111-4111-8111-111111111111\n", "")}
    )
    assert "needs an id" in only_problem(catalog, "noid.yml").reason


def test_a_correlation_naming_a_missing_rule_is_reported(compile_files) -> None:
    catalog = compile_files(
        {
            "mr.yml": """\
        title: many of nothing
        id: 44444444-4444-4444-8444-444444444444
        correlation:
          type: event_count
          rules: [no_such_rule]
          group-by: [user.name]
          timespan: 5m
          condition: {gte: 3}
        """,
            "good.yml": GOOD,
        }
    )
    problem = only_problem(catalog, "mr.yml")
    assert "no_such_rule" in problem.reason
    assert [r.title for r in catalog.compiled] == ["good rule"]


def test_unsupported_correlation_types_are_reported_not_crashing(compile_files) -> None:
    catalog = compile_files(
        {
            "temporal.yml": """\
        title: one or two, in order
        id: 55555555-5555-4555-8555-555555555555
        correlation:
          type: temporal_ordered
          rules: [one, two]
          group-by: [user.name]
          timespan: 1m
          condition: one or two
        ---
        title: one
        name: one
        logsource: {product: test}
        detection: {sel: {event.action: one}, condition: sel}
        ---
        title: two
        name: two
        logsource: {product: test}
        detection: {sel: {event.action: two}, condition: sel}
        """,
            "good.yml": GOOD,
        }
    )
    problem = only_problem(catalog, "temporal.yml")
    assert problem.stage == "compile"
    assert problem.rule_id == "55555555-5555-4555-8555-555555555555"
    assert "temporal_ordered" in problem.reason
    assert [r.title for r in catalog.compiled] == ["good rule"]


def test_a_correlation_over_a_broken_rule_is_reported(compile_files) -> None:
    catalog = compile_files(
        {
            "mr.yml": """\
        title: many unmapped
        id: 66666666-6666-4666-8666-666666666666
        correlation:
          type: event_count
          rules: [base]
          group-by: [user.name]
          timespan: 5m
          condition: {gte: 3}
        ---
        title: base
        name: base
        logsource: {product: aws}
        detection: {sel: {event.action: x}, condition: sel}
        """
        }
    )
    reasons = sorted(p.reason for p in catalog.errors)
    assert len(reasons) == 2
    assert any("product=aws" in r for r in reasons)
    assert any("failed to compile: base" in r for r in reasons)
    assert catalog.compiled == []


def test_pipeline_folders_are_not_loaded_as_rules(tmp_path: Path) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "p.yml").write_text("name: p\ntransformations: []\n")
    (tmp_path / "good.yml").write_text(GOOD)
    ruleset = load_rules([tmp_path])
    assert ruleset.errors == []
    assert [r.title for r in ruleset.rules] == ["good rule"]


def test_a_broken_pipeline_raises_with_its_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("name: bad\ntransformations:\n  - type: no_such_transformation\n")
    with pytest.raises(RuleError) as caught:
        load_pipeline([bad])
    assert caught.value.where == str(bad)


def test_validators_report_style_findings_per_rule(tmp_path: Path) -> None:
    tagged = GOOD.replace("level: high", "level: high\ntags: [attack.t1110, attack.t1110]")
    (tmp_path / "duplicate_tag_rule.yml").write_text(tagged)
    [problem] = validate_rules(load_rules([tmp_path]))
    assert problem.stage == "validate"
    assert problem.rule_id == "11111111-1111-4111-8111-111111111111"
    assert "same tag" in problem.reason
    assert "tag=attack.t1110" in problem.reason
