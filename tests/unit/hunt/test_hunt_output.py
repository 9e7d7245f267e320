"""What a hunt hands the analyst, from real EVTX files and the SigmaHQ Windows rules: JSON lines
that carry the whole event (with its file and record number), and the CSV and HTML summaries."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import orjson
import pytest
from shared_data import SHARED_DATA

from collectors.files import read_events
from soc.detection.hunt import (
    HuntRules,
    HuntSummary,
    RuleInfo,
    RuleStats,
    SkippedRule,
    run_hunt,
)
from soc.detection.hunt_report import CSV_COLUMNS, summary_text, write_csv, write_html, write_jsonl

EXECUTION = (
    SHARED_DATA / "evtx" / "hayabusa-sample-evtx" / "EVTX-to-MITRE-Attack" / "TA0002-Execution"
)


@pytest.fixture(scope="module")
def hunted(windows_hunt: HuntRules) -> tuple[HuntSummary, list[dict]]:
    with run_hunt(windows_hunt, read_events([EXECUTION], format="evtx")) as result:
        out = io.BytesIO()
        lines = write_jsonl(result, out)
        summary = result.summary
    records = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert lines == len(records)
    return summary, records


def test_every_match_is_a_json_line_with_rule_and_whole_event(hunted) -> None:
    summary, records = hunted
    files = {str(p) for p in EXECUTION.rglob("*.evtx")}
    assert len(records) == summary.matches > 20
    for record in records:
        assert set(record) == {"rule", "event"}
        assert set(record["rule"]) == {"id", "title", "level", "tags"}
        assert record["rule"]["level"] in {"informational", "low", "medium", "high", "critical"}
        event = record["event"]
        assert event["log"]["file"]["path"] in files
        assert isinstance(event["winlog"]["record_id"], int)
        assert event["event"]["module"] == "windows"
    times = [r["event"]["@timestamp"] for r in records]
    assert times == sorted(times)  # the order of the incident


def test_summary_counts(hunted, windows_hunt: HuntRules) -> None:
    summary, records = hunted
    assert summary.events == sum(1 for _ in read_events([EXECUTION], format="evtx"))
    assert summary.rules_loaded == len(windows_hunt.catalog.compiled)
    assert len(summary.skipped) == len(windows_hunt.catalog.errors)
    by_rule: dict[str, int] = {}
    for record in records:
        by_rule[record["rule"]["id"]] = by_rule.get(record["rule"]["id"], 0) + 1
    assert {s.rule.id: s.matches for s in summary.rule_stats} == by_rule
    for stats in summary.rule_stats:
        assert stats.first_seen <= stats.last_seen
        assert stats.hosts
    text = summary_text(summary, read_problems=2)
    assert f"events read:    {summary.events} (2 unreadable" in text
    assert f"matches:        {summary.matches} from {len(by_rule)} rules" in text


def test_csv_lists_matched_rules_most_severe_first(hunted) -> None:
    summary, _ = hunted
    out = io.StringIO()
    write_csv(summary, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) - 1 == len(summary.rule_stats)
    order = ["critical", "high", "medium", "low", "informational"]
    levels = [order.index(row[2]) for row in rows[1:]]
    assert levels == sorted(levels)
    assert sum(int(row[3]) for row in rows[1:]) == summary.matches


def test_html_is_self_contained_bilingual_and_escaped(hunted) -> None:
    summary, _ = hunted
    out = io.StringIO()
    write_html(summary, out, inputs=[str(EXECUTION)])
    page = out.getvalue()
    assert page.startswith("<!DOCTYPE html>")
    assert "Sự kiện đã đọc" in page and "Events read" in page
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|\bhref=|url\(", page)
    for stats in summary.rule_stats:
        assert stats.rule.id in page

    hostile = "<script>alert('x')</script> & \"q\""
    rule = RuleInfo("r-1", hostile, "high", (hostile,))
    crafted = HuntSummary(
        events=1,
        rules_loaded=1,
        skipped=(SkippedRule(None, hostile, hostile, hostile),),
        matches=1,
        rule_stats=(RuleStats(rule, 1, "2026-01-01T00:00:00.000Z", None, (hostile,)),),
        rules={"r-1": rule},
        seconds=1.0,
        first_event=None,
        last_event=None,
    )
    out = io.StringIO()
    write_html(crafted, out, inputs=[hostile])
    assert "<script>" not in out.getvalue()
    sheet = io.StringIO()
    write_csv(
        replace(crafted, rule_stats=(replace(crafted.rule_stats[0], hosts=("=cmd|x",)),)), sheet
    )
    assert list(csv.reader(io.StringIO(sheet.getvalue())))[1][6] == "'=cmd|x"  # not a formula
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;" in out.getvalue()
