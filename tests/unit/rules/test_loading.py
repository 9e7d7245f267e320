"""Loading details: where rules come from, filters, references by id."""

from __future__ import annotations

from pathlib import Path

from soc.rules import load_rules

BASE = """\
title: base
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource: {product: test}
detection:
  sel: {event.action: login}
  condition: sel
"""


def test_a_missing_rules_directory_is_reported(tmp_path: Path) -> None:
    ruleset = load_rules([tmp_path / "no-such-dir"])
    assert [(p.path, p.reason) for p in ruleset.errors] == [
        (str(tmp_path / "no-such-dir"), "no such file or directory")
    ]


def test_hidden_folders_are_skipped_and_yaml_extensions_both_load(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yml").write_text("not: [a rule")
    (tmp_path / "a.yaml").write_text(BASE)
    ruleset = load_rules([tmp_path])
    assert ruleset.errors == []
    assert [r.title for r in ruleset.rules] == ["base"]


def test_sigma_filters_exclude_events_from_the_rules_they_name(matches_with_files) -> None:
    events = matches_with_files(
        {
            "base.yml": BASE,
            "mf_filter_jump_host.yml": """\
                title: not from the jump host
                logsource: {product: test}
                filter:
                  rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
                  selection: {host.name: jump01}
                  condition: not selection
                """,
        },
        [
            {"event": {"id": "a", "action": "login"}, "host": {"name": "web01"}},
            {"event": {"id": "b", "action": "login"}, "host": {"name": "JUMP01"}},
        ],
    )
    assert events == ["a"]


def test_correlations_may_name_rules_by_upper_case_id(compile_files) -> None:
    catalog = compile_files(
        {
            "base.yml": BASE,
            "mr.yml": """\
                title: many logins
                id: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f
                correlation:
                  type: event_count
                  rules: [6F3E2987-DB24-4C78-A860-B4F4095A7095]
                  group-by: [user.name]
                  timespan: 1m
                  condition: {gte: 5}
                """,
        }
    )
    assert catalog.errors == []
    assert [r.title for r in catalog.compiled] == ["many logins"]
