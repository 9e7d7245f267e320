"""`soc hunt`: run the rules over evidence files, offline, without a server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from soc.cli.common import (
    ProgressBar,
    add_password_option,
    add_timezone_option,
    settings_of,
    timezone_of,
)
from soc.errors import ValidationError
from soc.model.plural import counted

SHOWN = 20
"""Unreadable records and skipped rules printed at the end; the summary report has them all."""


def register(sub: argparse._SubParsersAction) -> None:
    from collectors.files import FORMATS

    hunt = sub.add_parser("hunt", help="run the rules over evidence files (no server needed)")
    hunt.add_argument(
        "--rules",
        action="append",
        required=True,
        metavar="PATH",
        help="rule file or folder (repeat)",
    )
    hunt.add_argument(
        "--input", action="append", required=True, metavar="PATH", help="file or folder (repeat)"
    )
    hunt.add_argument("--format", choices=("auto", *FORMATS), default="auto")
    hunt.add_argument(
        "--pipelines",
        action="append",
        metavar="PATH",
        help="default: the rule folders' own pipelines/, else detection.pipelines_dirs",
    )
    hunt.add_argument("--out", metavar="FILE", help="JSON lines (default: stdout)")
    hunt.add_argument("--summary", metavar="FILE", help="FILE.html or FILE.csv")
    hunt.add_argument("--no-progress", action="store_true")
    add_password_option(hunt)
    add_timezone_option(hunt)
    hunt.add_argument(
        "--no-rule-cache",
        action="store_true",
        help="compile the rules afresh (default: reuse <data_dir>/cache/hunt-rules)",
    )
    hunt.set_defaults(run=_hunt)


def _hunt(args: argparse.Namespace) -> int:
    from collectors.files import ReadProblem, ReadProgress, read_events
    from soc.detection.hunt import HuntProgress, load_hunt_rules, run_hunt
    from soc.detection.hunt_report import summary_text, write_csv, write_html, write_jsonl

    missing = [p for p in [*args.rules, *args.input] if not Path(p).exists()]
    if missing:
        raise ValidationError(f"no such file or folder: {', '.join(missing)}")
    summary_path = Path(args.summary) if args.summary else None
    if summary_path and summary_path.suffix.lower() not in (".html", ".htm", ".csv"):
        raise ValidationError("must end in .html or .csv", where="--summary")
    # Checked before the rules compile and the hunt runs, not found out when writing at the end.
    for option, value in (("--out", args.out), ("--summary", args.summary)):
        problem = _cannot_write(Path(value)) if value else None
        if problem:
            raise ValidationError(f"cannot write {value}: {problem}", where=option)
    settings = settings_of(args)
    zone = timezone_of(args, settings)
    rules = load_hunt_rules(
        args.rules,
        args.pipelines,
        fallback_pipelines=settings.detection.pipelines_dirs,
        cache_dir=None if args.no_rule_cache else settings.data_dir / "cache" / "hunt-rules",
    )
    bar = ProgressBar(enabled=not args.no_progress)
    problems: list[ReadProblem] = []

    def reading(p: ReadProgress) -> None:
        fraction = p.bytes_done / p.bytes_total if p.bytes_total else 1.0
        text = (
            f"reading {p.files_done}/{counted(p.files_total, 'file')}, {counted(p.events, 'event')}"
        )
        bar.draw(fraction, text)

    def hunting(p: HuntProgress) -> None:
        if p.phase in ("match", "correlate"):
            bar.draw(p.rules_done / max(p.rules_total, 1), f"rules {p.rules_done}/{p.rules_total}")

    events = read_events(
        args.input,
        format=args.format,
        on_error=problems.append,
        progress=reading,
        passwords=args.password,
        zone=zone,
    )
    out = Path(args.out).open("wb") if args.out else sys.stdout.buffer  # noqa: SIM115
    try:
        with run_hunt(rules, events, on_progress=hunting) as result:
            write_jsonl(result, out)
            summary = result.summary
    finally:
        if args.out:
            out.close()
        else:
            out.flush()
    bar.done()
    if summary_path:
        with summary_path.open("w", encoding="utf-8", newline="") as report:
            if summary_path.suffix.lower() == ".csv":
                write_csv(summary, report)
            else:
                write_html(summary, report, inputs=args.input, read_problems=len(problems))
    for problem in problems[:SHOWN]:
        print(f"unreadable: {problem.path}: {problem.location}: {problem.reason}", file=sys.stderr)
    for rule in summary.skipped[:SHOWN]:  # nothing is skipped silently
        print(f"skipped: {rule.source}: {rule.reason}", file=sys.stderr)
    if len(summary.skipped) > SHOWN:
        more = len(summary.skipped) - SHOWN
        print(f"skipped: {counted(more, 'more rule')} (all in --summary)", file=sys.stderr)
    sys.stderr.write(summary_text(summary, read_problems=len(problems)))
    if summary.skipped and not summary.rules_loaded:
        raise ValidationError("none of the rules could be used (the reasons are above)")
    return 0


def _cannot_write(path: Path) -> str | None:
    if path.is_dir():
        return "it is a folder"
    if not path.parent.is_dir():
        return f"no folder {path.parent}"
    return None
