"""What a hunt hands the analyst: one JSON line per match, and a summary for the report.

The JSON lines are the evidence (each with the whole ECS event, so it can be re-ingested or
diffed); the summary is what goes into the incident report: totals, the rules that matched
(most severe first, when and on which hosts) and every rule that could not be used, with why.
The HTML page is self-contained (inline style, no script, no external asset: it is attached to
reports and opened on air-gapped machines), every value escaped, labels in Vietnamese and English.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from typing import BinaryIO, TextIO

import orjson

from soc.detection.hunt import HuntResult, HuntSummary, RuleStats
from soc.model.plural import counted

LEVELS = ("critical", "high", "medium", "low", "informational")
_LEVEL_VI = {
    "critical": "Nghiêm trọng",
    "high": "Cao",
    "medium": "Trung bình",
    "low": "Thấp",
    "informational": "Thông tin",
}
_LEVEL_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#b91c1c",
    "medium": "#b45309",
    "low": "#1d4ed8",
    "informational": "#4b5563",
}
CSV_COLUMNS = ("rule_id", "title", "level", "matches", "first_seen", "last_seen", "hosts", "tags")


def write_jsonl(result: HuntResult, out: BinaryIO) -> int:
    """Every match as one JSON line (`{"rule": ..., "event": ...}`); returns the line count."""
    lines = 0
    for match in result.matches():
        out.write(orjson.dumps(match.to_json()) + b"\n")
        lines += 1
    return lines


def ranked(summary: HuntSummary) -> list[RuleStats]:
    """Matched rules, most severe first, then most matches, then title."""
    order = {level: i for i, level in enumerate(LEVELS)}
    return sorted(
        summary.rule_stats,
        key=lambda s: (order.get(s.rule.level, len(LEVELS)), -s.matches, s.rule.title),
    )


def write_csv(summary: HuntSummary, out: TextIO) -> None:
    """One row per matched rule, for spreadsheets (`CSV_COLUMNS`).

    Host names come from the evidence, that is from the attacker: a cell that a spreadsheet
    would take for a formula (`=`, `+`, `-`, `@`) is written with a leading quote.
    """
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for stats in ranked(summary):
        writer.writerow(
            (
                _cell(stats.rule.id),
                _cell(stats.rule.title),
                _cell(stats.rule.level),
                stats.matches,
                stats.first_seen or "",
                stats.last_seen or "",
                _cell(" ".join(stats.hosts)),
                _cell(" ".join(stats.rule.tags)),
            )
        )


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def summary_text(summary: HuntSummary, *, read_problems: int = 0) -> str:
    """The lines printed at the end of `soc hunt`."""
    lines = [
        f"events read:    {summary.events}"
        + (f" ({counted(read_problems, 'unreadable record')} reported)" if read_problems else ""),
        f"rules loaded:   {summary.rules_loaded}",
        f"rules skipped:  {len(summary.skipped)}",
        f"matches:        {summary.matches} from {counted(len(summary.rule_stats), 'rule')}",
        f"events/second:  {summary.events_per_second:,.0f} ({summary.seconds:.1f} s)",
    ]
    if summary.first_event:
        lines.append(f"events from:    {summary.first_event} to {summary.last_event}")
    return "\n".join(lines) + "\n"


def write_html(
    summary: HuntSummary,
    out: TextIO,
    *,
    inputs: Sequence[str] = (),
    read_problems: int = 0,
) -> None:
    """The summary as one self-contained HTML page."""
    e = html.escape
    totals = [
        ("Sự kiện đã đọc", "Events read", f"{summary.events:,}"),
        ("Luật đã nạp", "Rules loaded", f"{summary.rules_loaded:,}"),
        ("Luật bị bỏ qua", "Rules skipped", f"{len(summary.skipped):,}"),
        ("Số khớp", "Matches", f"{summary.matches:,}"),
        ("Luật có khớp", "Rules that matched", f"{len(summary.rule_stats):,}"),
        ("Sự kiện/giây", "Events per second", f"{summary.events_per_second:,.0f}"),
        ("Bản ghi không đọc được", "Unreadable records", f"{read_problems:,}"),
    ]
    if summary.first_event:
        totals.append(
            ("Khoảng thời gian", "Time span", f"{summary.first_event} → {summary.last_event}")
        )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        "<title>Kết quả săn tìm mối đe dọa / Threat hunt results</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Kết quả săn tìm mối đe dọa <small>Threat hunt results</small></h1>",
    ]
    if inputs:
        parts.append(_label("Dữ liệu đầu vào", "Evidence"))
        parts.append("<ul>" + "".join(f"<li><code>{e(p)}</code></li>" for p in inputs) + "</ul>")
    parts.append("<table class='totals'>")
    parts.extend(
        f"<tr><th>{e(vi)} <small>{e(en)}</small></th><td>{e(value)}</td></tr>"
        for vi, en, value in totals
    )
    parts.append("</table>")
    parts.append(_label("Luật phát hiện có khớp", "Rules that matched"))
    parts.append(_matched_table(ranked(summary)))
    parts.append(_label("Luật bị bỏ qua", "Rules skipped"))
    parts.append(_skipped_table(summary))
    parts.append("</body></html>")
    out.write("\n".join(parts) + "\n")


def _label(vi: str, en: str) -> str:
    return f"<h2>{html.escape(vi)} <small>{html.escape(en)}</small></h2>"


def _header(*cells: tuple[str, str]) -> str:
    return "<tr>" + "".join(f"<th>{vi}<br><small>{en}</small></th>" for vi, en in cells) + "</tr>"


def _matched_table(rows: Sequence[RuleStats]) -> str:
    if not rows:
        return "<p>Không có luật nào khớp. <small>No rule matched.</small></p>"
    e = html.escape
    body = [
        "<table>",
        _header(
            ("Mức độ", "Level"),
            ("Luật", "Rule"),
            ("Số khớp", "Matches"),
            ("Lần đầu", "First seen"),
            ("Lần cuối", "Last seen"),
            ("Máy", "Hosts"),
            ("Nhãn", "Tags"),
        ),
    ]
    for stats in rows:
        level = stats.rule.level
        colour = _LEVEL_COLOURS.get(level, "#4b5563")
        body.append(
            "<tr>"
            f"<td><span class='level' style='background:{colour}'>"
            f"{e(_LEVEL_VI.get(level, level))}<br><small>{e(level)}</small></span></td>"
            f"<td>{e(stats.rule.title)}<br><code>{e(stats.rule.id)}</code></td>"
            f"<td class='n'>{stats.matches:,}</td>"
            f"<td>{e(stats.first_seen or '')}</td><td>{e(stats.last_seen or '')}</td>"
            f"<td>{'<br>'.join(e(h) for h in stats.hosts)}</td>"
            f"<td>{' '.join(e(t) for t in stats.rule.tags)}</td>"
            "</tr>"
        )
    body.append("</table>")
    return "\n".join(body)


def _skipped_table(summary: HuntSummary) -> str:
    if not summary.skipped:
        return "<p>Không có. <small>None.</small></p>"
    e = html.escape
    body = ["<table>", _header(("Luật", "Rule"), ("Tệp", "File"), ("Lý do", "Reason"))]
    for rule in summary.skipped:
        name = e(rule.title or "")
        if rule.rule_id:
            name += f"<br><code>{e(rule.rule_id)}</code>"
        body.append(
            f"<tr><td>{name}</td><td><code>{e(rule.source)}</code></td><td>{e(rule.reason)}</td></tr>"
        )
    body.append("</table>")
    return "\n".join(body)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#111}"
    "h1 small,h2 small,th small{color:#555;font-weight:normal}"
    "table{border-collapse:collapse;margin:1em 0;width:100%}"
    "th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}"
    "table.totals{width:auto}td.n{text-align:right}code{font-size:.85em}"
    ".level{color:#fff;padding:.1em .4em;border-radius:.3em;display:inline-block}"
)
