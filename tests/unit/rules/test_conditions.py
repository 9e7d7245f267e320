"""Every form of the Sigma condition, evaluated on real events."""

from __future__ import annotations

from typing import Any

import pytest

from soc.model.event import Event, set_field


def ev(event_id: str, **fields: Any) -> Event:
    doc: Event = {"event": {"id": event_id}}
    for name, value in fields.items():
        set_field(doc, name.replace("__", "."), value)
    return doc


EVENTS = [
    ev("p", process__name="powershell.exe", user__name="bob", host__name="ws1"),
    ev("c", process__name="cmd.exe", user__name="SYSTEM", host__name="ws1"),
    ev("n", process__name="notepad.exe", user__name="alice", host__name="srv"),
    ev("x", process__name="powershell.exe", user__name="svc_backup", host__name="srv"),
]
SEARCHES = {
    "selection_ps": {"process.name": "powershell.exe"},
    "selection_cmd": {"process.name": "cmd.exe"},
    "filter_system": {"user.name": "system"},
    "filter_svc": {"user.name|startswith": "svc_"},
    "_hidden": {"host.name": "srv"},
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("selection_ps", ["p", "x"]),
        ("1 of selection_*", ["c", "p", "x"]),
        ("all of selection_*", []),
        ("1 of selection_* and not 1 of filter_*", ["p"]),
        ("1 of selection_* and not all of filter_*", ["c", "p", "x"]),
        ("any of filter_*", ["c", "x"]),
        ("1 of them", ["c", "p", "x"]),  # _hidden (n) is not part of `them`
        ("all of them", []),
        ("selection_ps and _hidden", ["x"]),
        ("not (selection_ps or selection_cmd)", ["n"]),
        ("(selection_ps or selection_cmd) and not (filter_system or filter_svc)", ["p"]),
        ("selection_ps and not filter_svc or selection_cmd and filter_system", ["c", "p"]),
        ("not not selection_cmd", ["c"]),
        ("not 1 of filter_*", ["n", "p"]),
    ],
)
def test_condition_forms(matches, condition: str, expected: list[str]) -> None:
    assert matches({**SEARCHES, "condition": condition}, EVENTS) == expected


def test_a_list_of_maps_is_or_and_a_map_is_and(matches) -> None:
    detection = {
        "sel": [
            {"process.name": "cmd.exe", "user.name": "system"},
            {"process.name": "notepad.exe"},
        ],
        "condition": "sel",
    }
    assert matches(detection, EVENTS) == ["c", "n"]


def test_several_conditions_are_alternatives(matches) -> None:
    detection = {**SEARCHES, "condition": ["selection_cmd", "filter_svc"]}
    assert matches(detection, EVENTS) == ["c", "x"]


def test_keyword_and_field_selections_combine(matches) -> None:
    events = [
        ev("a", message="mimikatz sekurlsa::logonpasswords", host__name="ws1"),
        ev("b", message="mimikatz sekurlsa::logonpasswords", host__name="srv"),
        ev("c", message="hello", host__name="ws1"),
    ]
    detection = {
        "keywords": ["sekurlsa::", "lsadump::"],
        "filter": {"host.name": "srv"},
        "condition": "keywords and not filter",
    }
    assert matches(detection, events) == ["a"]
