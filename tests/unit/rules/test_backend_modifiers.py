"""Sigma matching semantics of our DuckDB backend, checked on real events in a real store."""

from __future__ import annotations

from typing import Any

from soc.model.event import Event, set_field


def ev(event_id: str, **fields: Any) -> Event:
    """An event with dotted fields given as keyword arguments (`source__ip` -> source.ip)."""
    doc: Event = {"event": {"id": event_id}}
    for name, value in fields.items():
        set_field(doc, name.replace("__", "."), value)
    return doc


def test_plain_strings_match_whole_values_ignoring_case(matches) -> None:
    events = [
        ev("a", user__name="Admin"),
        ev("b", user__name="ADMIN"),
        ev("c", user__name="admin2"),
        ev("d", user__name="xadmin"),
        ev("e"),
    ]
    assert matches({"sel": {"user.name": "admin"}, "condition": "sel"}, events) == ["a", "b"]


def test_strings_match_on_document_fields_too(matches) -> None:
    events = [
        ev("a", winlog__event_data__TargetUserName="Guest"),
        ev("b", winlog__event_data__TargetUserName="guests"),
    ]
    detection = {"sel": {"winlog.event_data.TargetUserName": "GUEST"}, "condition": "sel"}
    assert matches(detection, events) == ["a"]


def test_contains_startswith_endswith(matches) -> None:
    events = [
        ev("a", url__original="/admin/login.php"),
        ev("b", url__original="/login"),
        ev("c", url__original="/ADMIN/x"),
        ev("d", url__original="/static/app.PHP"),
    ]
    assert matches({"s": {"url.original|contains": "LOGIN"}, "condition": "s"}, events) == [
        "a",
        "b",
    ]
    assert matches({"s": {"url.original|startswith": "/admin/"}, "condition": "s"}, events) == [
        "a",
        "c",
    ]
    assert matches({"s": {"url.original|endswith": ".php"}, "condition": "s"}, events) == ["a", "d"]


def test_wildcards_are_anchored_to_the_whole_value(matches) -> None:
    events = [
        ev("a", url__original="/axxb"),
        ev("b", url__original="/axxbc"),
        ev("c", url__original="x/ab"),
        ev("d", url__original="/ab"),
        ev("e", url__original="/a1b"),
    ]
    assert matches({"s": {"url.original": "/a*b"}, "condition": "s"}, events) == ["a", "d", "e"]
    assert matches({"s": {"url.original": "/a?b"}, "condition": "s"}, events) == ["e"]


def test_escaped_wildcards_and_sql_pattern_characters_are_literal(matches) -> None:
    events = [
        ev("a", message="a*b"),
        ev("b", message="axb"),
        ev("c", message="50%"),
        ev("d", message="50x"),
        ev("e", message="a_b"),
    ]
    assert matches({"s": {"message": r"a\*b"}, "condition": "s"}, events) == ["a"]
    assert matches({"s": {"message|endswith": "0%"}, "condition": "s"}, events) == ["c"]
    assert matches({"s": {"message|contains": "_"}, "condition": "s"}, events) == ["e"]


def test_regular_expressions_search_and_respect_case_unless_i(matches) -> None:
    events = [ev("a", message="xx abbc yy"), ev("b", message="ABBC"), ev("c", message="ac")]
    assert matches({"s": {"message|re": "b+c"}, "condition": "s"}, events) == ["a"]
    assert matches({"s": {"message|re|i": "b+c"}, "condition": "s"}, events) == ["a", "b"]
    assert matches({"s": {"message|re": "^ab+c$"}, "condition": "s"}, events) == []


def test_null_means_absent_and_empty_means_present_but_empty(matches) -> None:
    events = [
        ev("a", user__name=""),
        ev("b", user__name="bob"),
        ev("c"),
        ev("d", url__query=""),
        ev("e", url__query="q=1"),
    ]
    assert matches({"s": {"user.name": None}, "condition": "s"}, events) == ["c", "d", "e"]
    assert matches({"s": {"user.name": ""}, "condition": "s"}, events) == ["a"]
    assert matches({"s": {"url.query": ""}, "condition": "s"}, events) == ["d"]
    assert matches({"s": {"url.query": None}, "condition": "s"}, events) == ["a", "b", "c"]


def test_exists_modifier(matches) -> None:
    events = [ev("a", url__query="q"), ev("b")]
    assert matches({"s": {"url.query|exists": True}, "condition": "s"}, events) == ["a"]
    assert matches({"s": {"url.query|exists": False}, "condition": "s"}, events) == ["b"]


def test_numbers_on_integer_columns_and_in_the_document(matches) -> None:
    events = [
        ev("a", destination__port=22),
        ev("b", destination__port=2222),
        ev("c", winlog__event_id="4688"),
        ev("d", winlog__event_id=4688),
        ev("e", winlog__event_id="46880"),
    ]
    assert matches({"s": {"destination.port": 22}, "condition": "s"}, events) == ["a"]
    assert matches({"s": {"winlog.event_id": 4688}, "condition": "s"}, events) == ["c", "d"]


def test_numeric_comparisons(matches) -> None:
    events = [
        ev("a", destination__port=80),
        ev("b", destination__port=8080),
        ev("c", winlog__event_data__LogonType="10"),
        ev("d", winlog__event_data__LogonType="3"),
    ]
    assert matches({"s": {"destination.port|gte": 1024}, "condition": "s"}, events) == ["b"]
    assert matches({"s": {"destination.port|lt": 1024}, "condition": "s"}, events) == ["a"]
    detection = {"s": {"winlog.event_data.LogonType|gt": 5}, "condition": "s"}
    assert matches(detection, events) == ["c"]


def test_keywords_search_every_field_of_the_event_ignoring_case(matches) -> None:
    events = [
        ev("a", message="sshd[1]: FAILED PASSWORD for root"),
        ev("b", message="accepted publickey"),
        ev("c", winlog__event_data__Data="Failed password"),
        ev("d", url__original="/x?q=refused"),
    ]
    detection = {"keywords": ["failed password", "refused"], "condition": "keywords"}
    assert matches(detection, events) == ["a", "c", "d"]


def test_keywords_match_quotes_backslashes_and_wildcards_as_written(matches) -> None:
    events = [
        ev("a", process__command_line=r'cmd /c "C:\Temp\x.exe"'),
        ev("b", process__command_line="cmd /c C:/Temp/x.exe"),
        ev("c", message="100% done"),
        ev("d", message="100 percent done"),
    ]
    # Sigma: a plain backslash, then an escaped backslash before the wildcard.
    detection = {"k": [r'"C:\Temp\\*.exe"'], "condition": "k"}
    assert matches(detection, events) == ["a"]
    assert matches({"k": ["100%"], "condition": "k"}, events) == ["c"]
    assert matches({"k": {"|all": ["cmd", "x.exe"]}, "condition": "k"}, events) == ["a", "b"]


def test_not_treats_a_missing_field_as_not_matching(matches) -> None:
    events = [
        ev("a", user__name="svc", host__name="web"),
        ev("b", host__name="web"),
        ev("c", user__name="SYSTEM", host__name="web"),
    ]
    detection = {
        "sel": {"host.name": "web"},
        "filter": {"user.name": "system"},
        "condition": "sel and not filter",
    }
    assert matches(detection, events) == ["a", "b"]


def test_one_of_and_all_of(matches) -> None:
    events = [
        ev("a", user__name="x", host__name="h"),
        ev("b", user__name="x"),
        ev("c", host__name="h"),
        ev("d"),
    ]
    detection = {"sel_user": {"user.name": "x"}, "sel_host": {"host.name": "h"}}
    assert matches({**detection, "condition": "1 of sel_*"}, events) == ["a", "b", "c"]
    assert matches({**detection, "condition": "all of sel_*"}, events) == ["a"]


def test_lists_are_or_and_all_modifier_is_and(matches) -> None:
    events = [ev("a", message="alpha beta"), ev("b", message="alpha"), ev("c", message="beta")]
    assert matches({"s": {"message|contains": ["alpha", "beta"]}, "condition": "s"}, events) == [
        "a",
        "b",
        "c",
    ]
    assert matches(
        {"s": {"message|contains|all": ["alpha", "beta"]}, "condition": "s"}, events
    ) == ["a"]


def test_cidr_on_ipv4_and_ipv6(matches) -> None:
    events = [
        ev("a", source__ip="10.1.2.3"),
        ev("b", source__ip="10.2.0.1"),
        ev("c", source__ip="10.10.0.1"),
        ev("d", source__ip="2001:db8::5"),
        ev("e", source__ip="2001:db9::5"),
        ev("f", source__ip="10.1.255.255"),
    ]
    assert matches({"s": {"source.ip|cidr": "10.1.0.0/16"}, "condition": "s"}, events) == ["a", "f"]
    assert matches({"s": {"source.ip|cidr": "2001:db8::/32"}, "condition": "s"}, events) == ["d"]
    detection = {
        "s": {"source.ip|cidr": "10.1.0.0/16"},
        "n": {"host.name": "x"},
        "condition": "s and not n",
    }
    assert matches(detection, events) == ["a", "f"]


def test_cased_modifier_is_case_sensitive(matches) -> None:
    events = [ev("a", process__name="CMD.exe"), ev("b", process__name="cmd.exe")]
    assert matches({"s": {"process.name|cased": "CMD.exe"}, "condition": "s"}, events) == ["a"]
    detection = {"s": {"process.name|cased|startswith": "CMD"}, "condition": "s"}
    assert matches(detection, events) == ["a"]


def test_field_references(matches) -> None:
    events = [
        ev("a", user__name="Bob", winlog__event_data__TargetUserName="bob"),
        ev("b", user__name="bob", winlog__event_data__TargetUserName="alice"),
        ev("c", user__name="bobby", winlog__event_data__TargetUserName="bob"),
    ]
    detection = {"s": {"winlog.event_data.TargetUserName|fieldref": "user.name"}, "condition": "s"}
    assert matches(detection, events) == ["a"]
    detection = {
        "s": {"user.name|fieldref|startswith": "winlog.event_data.TargetUserName"},
        "condition": "s",
    }
    assert matches(detection, events) == ["a", "c"]


def test_booleans_match_json_booleans(matches) -> None:
    events = [ev("a", tls__established=True), ev("b", tls__established=False)]
    assert matches({"s": {"tls.established": True}, "condition": "s"}, events) == ["a"]


def test_quotes_in_values_are_safe(matches) -> None:
    events = [ev("a", message="it's"), ev("b", message="its")]
    assert matches({"s": {"message": "it's"}, "condition": "s"}, events) == ["a"]


def test_only_events_of_the_rule_log_source_are_seen(matches) -> None:
    events = [ev("a", user__name="x"), ev("b", user__name="x", event__dataset="other")]
    assert matches({"s": {"user.name": "x"}, "condition": "s"}, events) == ["a"]


def test_time_parts_of_typed_and_document_times(matches) -> None:
    events = [
        ev("a", **{"@timestamp": "2026-11-20T03:45:00Z"}, file__created="2026-01-05T03:10:00Z"),
        ev("b", **{"@timestamp": "2026-11-20T14:05:00Z"}, file__created="2025-07-05T22:10:00Z"),
    ]
    assert matches({"s": {"@timestamp|hour": 3}, "condition": "s"}, events) == ["a"]
    assert matches({"s": {"@timestamp|minute|gte": 30}, "condition": "s"}, events) == ["a"]
    assert matches({"s": {"file.created|year": 2025}, "condition": "s"}, events) == ["b"]
    assert matches({"s": {"file.created|month|lt": 6}, "condition": "s"}, events) == ["a"]


def test_a_field_inside_a_list_of_objects_matches_any_element(matches) -> None:
    """ECS lists of objects (`dns.answers`, `threat.enrichments`): as in Elasticsearch, a field
    inside one matches when any element's value does, with every modifier, and exists when any
    element has it."""
    events = [
        ev("a", dns__answers=[{"data": "v=spf1 -all"}, {"data": "powershell IEX(iwr x)"}]),
        ev("b", dns__answers=[{"data": "203.0.113.7", "type": "A"}]),
        ev("c", dns__answers=[{"type": "A"}]),
        ev("d", dns__answers=[]),
        ev("e", dns__question__name="iex.example.net"),
        ev("f", threat__enrichments=[{"indicator": {"ip": "203.0.113.7"}}]),
    ]
    contains = {"s": {"dns.answers.data|contains": "iex"}, "condition": "s"}
    assert matches(contains, events) == ["a"]
    cidr = {"s": {"dns.answers.data|cidr": "203.0.113.0/24"}, "condition": "s"}
    assert matches(cidr, events) == ["b"]
    exists = {"s": {"dns.answers.data|exists": True}, "condition": "s"}
    assert matches(exists, events) == ["a", "b"]
    missing = {"s": {"dns.answers.data|exists": False}, "condition": "s"}
    assert matches(missing, events) == ["c", "d", "e", "f"]
    nested = {"s": {"threat.enrichments.indicator.ip": "203.0.113.7"}, "condition": "s"}
    assert matches(nested, events) == ["f"]
