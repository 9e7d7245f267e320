"""Sigma filters (meta rules): the one way to tune a rule or make a per-rule exception."""

from __future__ import annotations

from typing import Any

from soc.model.event import Event, set_field, stamp

from .conftest import EPOCH

RULE_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
RULE = f"""\
title: PowerShell started
id: {RULE_ID}
name: powershell_started
logsource: {{product: test, category: process_creation}}
detection:
  sel: {{process.name: powershell.exe}}
  condition: sel
"""
OTHER = """\
title: cmd started
id: 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b
logsource: {product: test, category: process_creation}
detection:
  sel: {process.name: cmd.exe}
  condition: sel
"""


def ev(event_id: str, **fields: Any) -> Event:
    doc: Event = {"event": {"id": event_id}}
    for name, value in fields.items():
        set_field(doc, name.replace("__", "."), value)
    return doc


def sigma_filter(rules: str, selection: str, logsource: str = "product: test") -> str:
    return f"""\
title: tuning
id: 0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f
logsource: {{{logsource}}}
filter:
  rules: {rules}
  selection: {selection}
  condition: not selection
"""


EVENTS = [
    ev("a", process__name="powershell.exe", user__name="svc_backup", organization__id="so-yte"),
    ev("b", process__name="powershell.exe", user__name="bob", organization__id="so-yte"),
    ev("c", process__name="powershell.exe", user__name="svc_backup", organization__id="so-gd"),
]


def test_a_filter_excludes_its_selection_from_the_named_rule(matches_with_files) -> None:
    files = {
        "rule.yml": RULE,
        "filters/mf_backup.yml": sigma_filter(f"[{RULE_ID}]", "{user.name|startswith: svc_}"),
    }
    assert matches_with_files(files, EVENTS) == ["b"]


def test_an_exception_for_one_agency_names_the_rule_by_name(matches_with_files) -> None:
    selection = "{user.name|startswith: svc_, organization.id: so-yte}"
    files = {
        "rule.yml": RULE,
        "filters/mf_yte.yml": sigma_filter("[powershell_started]", selection),
    }
    assert matches_with_files(files, EVENTS) == ["b", "c"]


def test_a_filter_for_any_rule_of_its_log_source(compile_files, store) -> None:
    catalog = compile_files(
        {
            "rule.yml": RULE,
            "other.yml": OTHER,
            "filters/mf_any.yml": sigma_filter("any", "{user.name: bob}"),
        }
    )
    assert catalog.errors == []
    store.write_batch(
        [
            stamp(e, dataset="test")
            for e in [
                *EVENTS,
                ev("d", process__name="cmd.exe", user__name="bob"),
                ev("e", process__name="cmd.exe", user__name="eve"),
            ]
        ]
    )
    found = {
        rule.title: sorted(
            row["event_id"]
            for row in store.run_rule(rule.sql, ingested_after=EPOCH, ingested_until=store.now())
        )
        for rule in catalog.compiled
    }
    assert found == {"PowerShell started": ["a", "c"], "cmd started": ["e"]}


def test_filters_that_would_not_apply_are_reported(compile_files) -> None:
    missing = sigma_filter("[5b5b5b5b-5b5b-4b5b-8b5b-5b5b5b5b5b5b]", "{user.name: x}")
    elsewhere = sigma_filter(f"[{RULE_ID}]", "{user.name: x}", "product: windows")
    catalog = compile_files(
        {"rule.yml": RULE, "filters/missing.yml": missing, "filters/elsewhere.yml": elsewhere}
    )
    reasons = sorted((p.path.rsplit("/", 1)[-1], p.reason) for p in catalog.errors)
    assert reasons == [
        ("elsewhere.yml", f"filter's log source does not cover rule {RULE_ID}'s"),
        (
            "missing.yml",
            "filter names rule 5b5b5b5b-5b5b-4b5b-8b5b-5b5b5b5b5b5b, which is not loaded",
        ),
    ]
    assert len(catalog.compiled) == 1  # the rule itself still runs, unfiltered


def test_a_filter_naming_a_correlation_is_reported(compile_files) -> None:
    correlation = """\
title: many powershell
id: 6a6a6a6a-6a6a-4a6a-8a6a-6a6a6a6a6a6a
correlation:
  type: event_count
  rules: [powershell_started]
  group-by: [host.name]
  timespan: 5m
  condition: {gte: 5}
"""
    catalog = compile_files(
        {
            "rule.yml": RULE,
            "mr.yml": correlation,
            "filters/f.yml": sigma_filter("[6a6a6a6a-6a6a-4a6a-8a6a-6a6a6a6a6a6a]", "{x: y}"),
        }
    )
    [problem] = catalog.errors
    assert "correlation" in problem.reason and problem.path.endswith("f.yml")
