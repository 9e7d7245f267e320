"""Every value modifier of Sigma 2.1 on real events in a real store (the ones not covered by
test_backend_modifiers.py), and list-valued fields."""

from __future__ import annotations

import base64
from typing import Any

from soc.model.event import Event, set_field


def ev(event_id: str, **fields: Any) -> Event:
    doc: Event = {"event": {"id": event_id}}
    for name, value in fields.items():
        set_field(doc, name.replace("__", "."), value)
    return doc


def sel(field: str, value: Any) -> dict[str, Any]:
    return {"s": {field: value}, "condition": "s"}


def test_list_valued_fields_match_when_any_element_matches(matches) -> None:
    events = [
        ev("a", event__category=["authentication", "network"], related__ip=["10.0.0.1", "::1"]),
        ev("b", event__category=["process"], related__ip=["192.0.2.7"]),
        ev("c", event__category="network"),
        ev("d", tags=["Powershell", "x"]),
    ]
    assert matches(sel("event.category", "network"), events) == ["a", "c"]
    assert matches(sel("related.ip|cidr", "10.0.0.0/8"), events) == ["a"]
    assert matches(sel("related.ip|cidr", "::1/128"), events) == ["a"]
    assert matches(sel("tags|startswith", "power"), events) == ["d"]
    filtered = {"s": {"event.category": "*"}, "f": {"event.category": "network"}}
    assert matches({**filtered, "condition": "s and not f"}, events) == ["b"]


def test_a_text_value_that_looks_like_a_list_is_still_text(matches) -> None:
    events = [ev("a", message="[warn] disk"), ev("b", message='["warn"]')]
    assert matches(sel("message|startswith", "[warn]"), events) == ["a"]
    assert matches(sel("message", '["warn"]'), events) == ["b"]


def test_windash_matches_every_dash_variant(matches) -> None:
    events = [
        ev(k, process__command_line=f"powershell {dash}enc AAAA")
        for k, dash in zip("abcdef", ["-", "/", "\u2013", "\u2014", "\u2015", "+"], strict=True)
    ]
    detection = sel("process.command_line|windash|contains", " -enc ")
    assert matches(detection, events) == ["a", "b", "c", "d", "e"]


def test_base64_and_base64offset(matches) -> None:
    encoded = base64.b64encode(b"IEX (New-Object Net.WebClient)").decode()
    shifted = base64.b64encode(b"xxIEX (New-Object Net.WebClient)").decode()
    events = [
        ev("a", process__command_line=f"powershell -e {encoded}"),
        ev("b", process__command_line=f"powershell -e {shifted}"),
        ev("c", process__command_line="powershell -e AAAA"),
    ]
    assert matches(sel("process.command_line|base64offset|contains", "IEX"), events) == ["a", "b"]
    exact = base64.b64encode(b"IEX").decode()
    events.append(ev("d", process__command_line=exact))
    assert matches(sel("process.command_line|base64", "IEX"), events) == ["d"]


def test_utf16_encodings_with_base64offset(matches) -> None:
    def encoded(text: str, codec: str) -> str:
        return base64.b64encode(f"x{text} y".encode(codec)).decode()

    events = [
        ev("le", process__command_line=f"-enc {encoded('Invoke-Expression', 'utf-16le')}"),
        ev("be", process__command_line=f"-enc {encoded('Invoke-Expression', 'utf-16be')}"),
        ev("ascii", process__command_line=f"-enc {encoded('Invoke-Expression', 'ascii')}"),
    ]
    for modifier in ("wide", "utf16le", "utf16be"):
        detection = sel(f"process.command_line|{modifier}|base64offset|contains", "Invoke-Expr")
        found = matches(detection, events)
        assert "ascii" not in found, modifier
        assert ("be" if modifier == "utf16be" else "le") in found, modifier
    bom = base64.b64encode("\ufeffInvoke-Expression".encode("utf-16le")).decode()
    events.append(ev("bom", process__command_line=bom))
    detection = sel("process.command_line|utf16|base64offset|contains", "Invoke-Expr")
    assert matches(detection, events) == ["bom"]


def test_regular_expression_flags(matches) -> None:
    events = [ev("a", message="first\nSECOND line"), ev("b", message="first second")]
    assert matches(sel("message|re", "^SECOND"), events) == []
    assert matches(sel("message|re|m", "^SECOND"), events) == ["a"]
    assert matches(sel("message|re|i|m", "^second"), events) == ["a"]
    assert matches(sel("message|re", "first.SECOND"), events) == []
    assert matches(sel("message|re|s", "first.SECOND"), events) == ["a"]
    assert matches(sel("message|re|i", "FIRST SECOND"), events) == ["b"]


def test_regular_expressions_re2_cannot_run_are_reported_when_loading(compile_files) -> None:
    rule = """\
    title: lookahead
    id: 7b0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d
    logsource: {product: test}
    detection:
      s: {message|re: 'pass(?=word)'}
      condition: s
    """
    catalog = compile_files({"re.yml": rule})
    assert catalog.compiled == []
    [problem] = catalog.errors
    assert problem.path.endswith("re.yml") and problem.line == 1
    assert "(?=" in problem.reason
    escaped = rule.replace("'pass(?=word)'", "'pass\\(\\?=word\\)'")
    assert compile_files({"re.yml": escaped}).errors == []


def test_cidr_compares_addresses_as_numbers(matches) -> None:
    events = [
        ev("v4", source__ip="10.1.2.3"),
        ev("v4out", source__ip="10.2.0.1"),
        ev("mapped", source__ip="::ffff:10.1.9.9"),
        ev("v6", source__ip="2001:DB8:0:0::5"),
        ev("v6long", source__ip="2001:0db8:0000:0000:0000:0000:0000:0006"),
        ev("v6zone", source__ip="fe80::1%eth0"),
        ev("v6out", source__ip="2001:db9::5"),
        ev("text", source__ip="10.1.2.3.4"),
        ev("prefix", source__ip="10.1.2.30x"),
    ]
    assert matches(sel("source.ip|cidr", "10.1.0.0/16"), events) == ["mapped", "v4"]
    assert matches(sel("source.ip|cidr", "2001:db8::/32"), events) == ["v6", "v6long"]
    assert matches(sel("source.ip|cidr", "2001:db8::5/128"), events) == ["v6"]
    networks = ["10.1.0.0/16", "fe80::/10", "2001:db8::/126"]  # the last: ::0 to ::3
    assert matches(sel("source.ip|cidr", networks), events) == ["mapped", "v4", "v6zone"]
    outside = {"s": {"source.ip": "*"}, "f": {"source.ip|cidr": networks}}
    assert matches({**outside, "condition": "s and not f"}, events) == [
        "prefix",
        "text",
        "v4out",
        "v6",
        "v6long",
        "v6out",
    ]


def test_cidr_on_document_fields_and_a_non_network_edge(matches) -> None:
    events = [
        ev("a", winlog__event_data__IpAddress="192.168.1.255"),
        ev("b", winlog__event_data__IpAddress="192.168.2.0"),
        ev("c", winlog__event_data__IpAddress="-"),
    ]
    assert matches(sel("winlog.event_data.IpAddress|cidr", "192.168.1.0/24"), events) == ["a"]


def test_neq_is_different_and_a_missing_field_is_different(matches) -> None:
    events = [ev("a", user__name="SYSTEM"), ev("b", user__name="bob"), ev("c")]
    assert matches(sel("user.name|neq", "system"), events) == ["b", "c"]
    assert matches(sel("user.name|neq", ["system", "bob"]), events) == ["c"]
    both = {"s": {"user.name": "*", "user.name|neq": "bob"}, "condition": "s"}
    assert matches(both, events) == ["a"]


def test_fieldref_combined_with_neq(matches) -> None:
    events = [
        ev("a", user__name="bob", winlog__event_data__TargetUserName="BOB"),
        ev("b", user__name="bob", winlog__event_data__TargetUserName="alice"),
    ]
    detection = sel("winlog.event_data.TargetUserName|fieldref|neq", "user.name")
    assert matches(detection, events) == ["b"]


def test_exists_is_about_presence_even_of_null_or_empty_values(matches) -> None:
    events = [
        ev("null", winlog__event_data__PasswordLastSet=None),
        ev("empty", winlog__event_data__PasswordLastSet=""),
        ev("value", winlog__event_data__PasswordLastSet="%%1794"),
        ev("absent"),
    ]
    field = "winlog.event_data.PasswordLastSet"
    assert matches(sel(f"{field}|exists", True), events) == ["empty", "null", "value"]
    assert matches(sel(f"{field}|exists", False), events) == ["absent"]
    assert matches(sel(field, None), events) == ["absent", "null"]
    assert matches(sel(field, ""), events) == ["empty"]


def test_comparisons_on_document_numbers_and_text(matches) -> None:
    events = [
        ev("a", winlog__event_data__Size=100),
        ev("b", winlog__event_data__Size="2048"),
        ev("c", winlog__event_data__Size="big"),
        ev("d", source__bytes=5000),
    ]
    assert matches(sel("winlog.event_data.Size|gte", 100), events) == ["a", "b"]
    assert matches(sel("winlog.event_data.Size|lt", 1000), events) == ["a"]
    assert matches(sel("winlog.event_data.Size|lte", 100), events) == ["a"]
    assert matches(sel("source.bytes|gt", 4999), events) == ["d"]


def test_time_parts_day_week_and_ranges(matches) -> None:
    events = [
        ev("a", **{"@timestamp": "2026-01-01T23:59:00Z"}),  # Thursday, ISO week 1
        ev("b", **{"@timestamp": "2026-12-31T00:00:00Z"}),  # ISO week 53
        ev("c", **{"@timestamp": "2026-06-15T12:30:00Z"}),
    ]
    assert matches(sel("@timestamp|day", 1), events) == ["a"]
    assert matches(sel("@timestamp|week", 1), events) == ["a"]
    assert matches(sel("@timestamp|month|gte", 6), events) == ["b", "c"]
    assert matches(sel("@timestamp|year", 2026), events) == ["a", "b", "c"]
    night = {"s": {"@timestamp|hour|gte": 22}, "t": {"@timestamp|hour|lt": 6}}
    assert matches({**night, "condition": "s or t"}, events) == ["a", "b"]


def test_case_folding_covers_vietnamese_letters(matches) -> None:
    events = [ev("a", user__name="NGUYỄN VĂN AN"), ev("b", user__name="nguyen van an")]
    assert matches(sel("user.name", "nguyễn văn an"), events) == ["a"]
    assert matches(sel("user.name|contains", "ỄN V"), events) == ["a"]
    assert matches(sel("user.name|re|i", "^nguyễn"), events) == ["a"]


def test_escaped_wildcards_and_backslashes(matches) -> None:
    events = [
        ev("star", process__command_line="a*b"),
        ev("q", process__command_line="a?b"),
        ev("x", process__command_line="axb"),
        ev("bs", process__command_line="C:\\Windows\\x"),
        ev("bsstar", process__command_line="C:\\Windows\\*"),
    ]
    assert matches(sel("process.command_line", r"a\*b"), events) == ["star"]
    assert matches(sel("process.command_line", r"a\?b"), events) == ["q"]
    assert matches(sel("process.command_line", "a?b"), events) == ["q", "star", "x"]
    assert matches(sel("process.command_line", r"C:\Windows\\*"), events) == ["bs", "bsstar"]
    assert matches(sel("process.command_line", r"C:\Windows\\\*"), events) == ["bsstar"]
    assert matches(sel("process.command_line|endswith", "\\x"), events) == ["bs"]


def test_cased_applies_to_contains_and_keywords(matches) -> None:
    events = [ev("a", message="Invoke-Mimikatz"), ev("b", message="invoke-mimikatz")]
    assert matches(sel("message|contains|cased", "Mimikatz"), events) == ["a"]
    assert matches({"k": {"|cased": ["Mimikatz"]}, "condition": "k"}, events) == ["a"]


def test_all_values_may_match_different_elements_of_a_list(matches) -> None:
    events = [ev("a", tags=["alpha", "beta"]), ev("b", tags=["alpha"]), ev("c", tags="alpha beta")]
    assert matches(sel("tags|all", ["alpha", "beta"]), events) == ["a"]
    assert matches(sel("tags|contains|all", ["alpha", "beta"]), events) == ["a", "c"]


def test_sql_wildcards_in_values_are_literal_on_columns_and_document_fields(matches) -> None:
    """The hunt tests pre-lowered copies with `contains()`, `LIKE` without `ESCAPE`, `IN`:
    SQL's `%` and `_` must stay literal, and a middle wildcard still anchors both ends."""
    events = [
        ev("pct", process__command_line="50%_Off", winlog__event_data__Path="C:\\A_B%"),
        ev("plain", process__command_line="50xyOff", winlog__event_data__Path="C:\\AxBy"),
        ev("mid", process__command_line="Start-Mid-End", winlog__event_data__Path="Ünï\\Çode"),
    ]
    assert matches(sel("process.command_line|contains", "%_"), events) == ["pct"]
    assert matches(sel("process.command_line", "50%_*"), events) == ["pct"]
    assert matches(sel("winlog.event_data.Path|endswith", "_b%"), events) == ["pct"]
    assert matches(sel("winlog.event_data.Path", "c:\\a?b*"), events) == ["pct", "plain"]
    assert matches(sel("process.command_line", "start*end"), events) == ["mid"]
    assert matches(sel("process.command_line", "start*mid"), events) == []
    assert matches(sel("winlog.event_data.Path", "üNÏ*çODE"), events) == ["mid"]
    assert matches(sel("winlog.event_data.Path|startswith", "ÜNÏ\\"), events) == ["mid"]
    values = ["50%_off", "C:\\AXBY", "start-mid-end", "none"]
    assert matches(sel("process.command_line", values), events) == ["mid", "pct"]
    assert matches(sel("winlog.event_data.Path", values), events) == ["plain"]


def test_many_contains_values_with_regex_characters_are_literal(matches) -> None:
    """Several `|contains`/`|startswith`/`|endswith` values are one RE2 alternation in the
    hunt: its metacharacters and anchors must mean what the values say."""
    events = [
        ev("dots", process__command_line="RUN a.b (x|y) [1] {2} ^$ \\q+ ?*"),
        ev("any", process__command_line="run aXb xy 1 2 q"),
        ev("nl", process__command_line="tail.exe\nmore"),
    ]
    contains = ["A.B", "(X|Y)", "[1]", "{2}", "^$", "\\Q+", "\\?\\*"]
    for value in contains:
        assert matches(sel("process.command_line|contains", [value, "nothing"]), events) == [
            "dots"
        ], value
    assert matches(sel("process.command_line|startswith", ["run a.", "x"]), events) == ["dots"]
    assert matches(sel("process.command_line|endswith", ["\\?\\*", "q"]), events) == ["any", "dots"]
    assert matches(sel("process.command_line|endswith", [".exe", "zzz"]), events) == []
    assert matches(sel("process.command_line|startswith", ["more", "zzz"]), events) == []
