"""`|expand` placeholders: values from placeholders.yml, for every agency and per agency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from soc.errors import RuleError
from soc.model.event import Event, set_field
from soc.rules import load_rules
from soc.rules.placeholders import Placeholders

PLACEHOLDERS = """\
placeholders:
  Administrators: [Administrator, 'adm_*']
  Workstations: []
agencies:
  so-yte:
    Administrators: [yte-boss]
    DomainControllers: [dc01-yte]
  so-gd:
    DomainControllers: ['dc*-gd']
"""


def ev(event_id: str, agency: str, **fields: Any) -> Event:
    doc: Event = {"event": {"id": event_id}, "organization": {"id": agency}}
    for name, value in fields.items():
        set_field(doc, name.replace("__", "."), value)
    return doc


def rule(detection: dict[str, Any]) -> str:
    return yaml.safe_dump(
        {
            "title": "placeholder rule",
            "id": "5d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
            "logsource": {"product": "test"},
            "detection": detection,
        }
    )


def run(matches_with_files, detection: dict[str, Any], events: list[Event]) -> list[str]:
    files = {"placeholders.yml": PLACEHOLDERS, "rule.yml": rule(detection)}
    return matches_with_files(files, events)


def test_global_values_apply_to_every_agency_and_own_values_to_one(matches_with_files) -> None:
    events = [
        ev("a", "so-gd", user__name="Administrator"),
        ev("b", "so-yte", user__name="adm_nam"),
        ev("c", "so-yte", user__name="yte-boss"),
        ev("d", "so-gd", user__name="yte-boss"),  # another agency's admin name
        ev("e", "so-gd", user__name="bob"),
    ]
    detection = {"s": {"user.name|expand": "%Administrators%"}, "condition": "s"}
    assert run(matches_with_files, detection, events) == ["a", "b", "c"]


def test_per_agency_only_placeholders_and_wildcards(matches_with_files) -> None:
    events = [
        ev("a", "so-yte", host__name="DC01-YTE"),
        ev("b", "so-gd", host__name="dc07-gd"),
        ev("c", "so-gd", host__name="dc01-yte"),
        ev("d", "so-yte", host__name="dc07-gd"),
    ]
    detection = {"s": {"host.name|expand": "%DomainControllers%"}, "condition": "s"}
    assert run(matches_with_files, detection, events) == ["a", "b"]
    negated = {
        "s": {"host.name": "*"},
        "f": {"host.name|expand": "%domaincontrollers%"},  # names compare without case
        "condition": "s and not f",
    }
    assert run(matches_with_files, negated, events) == ["c", "d"]


def test_placeholders_inside_a_value_and_with_modifiers(matches_with_files) -> None:
    events = [
        ev("a", "so-yte", process__command_line="net user Administrator /active:yes"),
        ev("b", "so-yte", process__command_line="net user yte-boss /active:yes"),
        ev("c", "so-gd", process__command_line="net user yte-boss /active:yes"),
    ]
    detection = {
        "s": {"process.command_line|expand|contains": "user %Administrators% /active"},
        "condition": "s",
    }
    assert run(matches_with_files, detection, events) == ["a", "b"]


def test_an_empty_list_matches_nothing(matches_with_files) -> None:
    events = [ev("a", "so-gd", host__name="ws1")]
    detection = {"s": {"host.name|expand": "%Workstations%"}, "condition": "s"}
    assert run(matches_with_files, detection, events) == []


def test_an_unknown_placeholder_is_a_compile_problem(compile_files) -> None:
    detection = {"s": {"host.name|expand": "%JumpServers%"}, "condition": "s"}
    catalog = compile_files({"placeholders.yml": PLACEHOLDERS, "rule.yml": rule(detection)})
    assert catalog.compiled == []
    [problem] = catalog.errors
    assert problem.stage == "compile"
    assert problem.path.endswith("rule.yml") and problem.line == 1
    assert "%JumpServers%" in problem.reason and "placeholders.yml" in problem.reason


def test_without_expand_a_percent_value_is_literal(matches_with_files) -> None:
    events = [ev("a", "so-gd", user__name="%Administrators%"), ev("b", "so-gd", user__name="x")]
    detection = {"s": {"user.name": "%Administrators%"}, "condition": "s"}
    assert run(matches_with_files, detection, events) == ["a"]


def test_the_placeholder_file_is_not_loaded_as_a_rule(tmp_path: Path) -> None:
    (tmp_path / "placeholders.yml").write_text(PLACEHOLDERS)
    ruleset = load_rules([tmp_path])
    assert ruleset.errors == [] and ruleset.rules == []
    assert ruleset.placeholder_files == [tmp_path / "placeholders.yml"]


@pytest.mark.parametrize(
    "text",
    [
        "- a list\n",
        "placeholders: [a]\n",
        "placeholders: {x: [{a: 1}]}\n",
        "agencies: [so-yte]\n",
        "unknown: {}\n",
        "placeholders: {x: [unclosed\n",
    ],
)
def test_a_broken_placeholder_file_says_where(tmp_path: Path, text: str) -> None:
    path = tmp_path / "placeholders.yml"
    path.write_text(text)
    with pytest.raises(RuleError) as caught:
        Placeholders.load([path])
    assert caught.value.where == str(path)


def test_a_broken_placeholder_file_is_reported_and_rules_still_compile(compile_files) -> None:
    good = {"s": {"user.name": "x"}, "condition": "s"}
    catalog = compile_files({"placeholders.yml": "unknown: {}\n", "rule.yml": rule(good)})
    assert len(catalog.compiled) == 1
    [problem] = catalog.errors
    assert problem.path.endswith("placeholders.yml") and "unknown" in problem.reason
