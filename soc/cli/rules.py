"""`soc rules check`, `soc rules retro` and `soc rules regression`: rules from the shell.

`retro` hunts rules over a past window of event time; `regression` runs a SigmaHQ checkout's
regression tests through the offline hunt.

The embedded event store admits one process: with the server stopped the hunt runs here; while
`soc serve` holds the store, the server runs it (`POST /api/rules/retro`, local admin token).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from soc.cli.common import call_server, parse_time, settings_of
from soc.config import Settings
from soc.errors import ConfigError, StoreLockedError, ValidationError
from soc.model.event import Event, isoformat, utcnow
from soc.model.plural import counted


def register(sub: argparse._SubParsersAction) -> None:
    rules = sub.add_parser("rules", help="detection rules").add_subparsers(metavar="ACTION")
    retro = rules.add_parser("retro", help="run rules over a past window of event time")
    retro.add_argument("rule_ids", nargs="+", metavar="RULE_ID")
    retro.add_argument("--from", dest="start", required=True, help="ISO time or now-7d / now-24h")
    retro.add_argument("--to", dest="end", help="ISO time or now-… (default: now)")
    retro.set_defaults(run=_retro)

    check = rules.add_parser(
        "check",
        help="load and compile rules; list every rule that fails",
        description=(
            "List every rule that does not load or compile, and why. Exits 1 when one of our "
            "own rules (detection.own_rules_dirs) fails; a vendored rule for a log source we "
            "do not collect is expected."
        ),
    )
    check.add_argument(
        "dirs", nargs="*", help="rule folders or files (default: detection.rules_dirs)"
    )
    check.add_argument("--pipelines", nargs="*", help="default: detection.pipelines_dirs")
    check.set_defaults(run=_check)

    regression = rules.add_parser(
        "regression",
        help="run a SigmaHQ checkout's regression tests through our hunt",
        description=(
            "Hunt each rule that has regression tests (named by its regression_tests_path, or "
            "by the rules of an info.yml under regression_data/) over the evtx/json/ndjson/jsonl "
            "samples listed, and compare with match_count: fewer matches FAIL, "
            "more WARN (any match FAILs a negative test, match_count 0), a sample absent "
            "MISSING, a rule we cannot compile SKIP. The pipelines "
            "and filters listed for JSON tests (SigmaHQ's golang_expr checker) are ignored: our "
            "own Windows pipelines apply, as in production. Exits 1 when any test fails."
        ),
    )
    regression.add_argument("sigma_root", metavar="SIGMA_ROOT", help="a SigmaHQ checkout")
    regression.add_argument(
        "--rules-dir",
        action="append",
        metavar="DIR",
        help="rule folder or file, relative to SIGMA_ROOT (repeatable; default: rules, "
        "rules-emerging-threats, rules-threat-hunting, rules-placeholder, rules-compliance, "
        "rules-dfir)",
    )
    regression.add_argument("--pipelines", nargs="*", help="default: detection.pipelines_dirs")
    regression.add_argument("--format", choices=("text", "json"), default="text")
    regression.set_defaults(run=_regression)


def _check(args: argparse.Namespace) -> int:
    """Every problem on its own line (path:line, editors link it), then a summary by reason.

    Exits 1 only when one of our own rules fails: a vendored rule whose log source we do not
    collect is expected, one of ours that does not compile is a bug.
    """
    from soc.rules import compile_rules, load_rules

    missing = [d for d in args.dirs if not Path(d).exists()]
    if missing:
        raise ValidationError(f"no such file or folder: {', '.join(missing)}")
    settings = settings_of(args)
    dirs = args.dirs or settings.detection.rules_dirs
    catalog = compile_rules(load_rules(dirs), args.pipelines or settings.detection.pipelines_dirs)
    out = sys.stdout
    reasons: Counter[str] = Counter()
    own = [Path(d).resolve() for d in settings.detection.own_rules_dirs]
    own_failures = 0
    for problem in sorted(catalog.errors, key=lambda p: (p.path, p.line or 0)):
        out.write(f"{problem.where}: {problem.stage}: {problem.reason}\n")
        reasons[problem.reason.split(":")[0][:80]] += 1
        if any(Path(problem.path).resolve().is_relative_to(folder) for folder in own):
            own_failures += 1
    out.write(f"\n{counted(len(catalog.compiled), 'rule')} compiled, {len(catalog.errors)} not\n")
    for reason, count in reasons.most_common():
        out.write(f"  {count:6d}  {reason}\n")
    if own_failures:
        out.write(f"{own_failures} of our own rules failed\n")
    return 1 if own_failures else 0


def _retro(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    now = utcnow()
    start = parse_time(args.start, now=now)
    end = parse_time(args.end, now=now) or now
    if start is None:
        raise ValidationError("--from is required")
    try:
        result = _retro_local(settings, args.rule_ids, start, end)
    except StoreLockedError:
        result = _retro_server(settings, args.rule_ids, start, end)
    out = sys.stdout
    for rule in result["rules"]:
        outcome = f"error: {rule['error']}" if rule["error"] else "ok"
        out.write(
            f"{rule['rule_id']}\t{counted(rule['matches'], 'match', 'matches')}\t"
            f"{rule['new_alerts']} new\t"
            f"{outcome}\t{rule['title']}\n"
        )
    out.write(
        f"{result['from']} .. {result['to']}: {counted(result['matches'], 'match', 'matches')}, "
        f"{counted(result['new_alerts'], 'new alert')}\n"
    )
    return 1 if any(rule["error"] for rule in result["rules"]) else 0


def _retro_local(
    settings: Settings, rule_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, Any]:
    """Run here (the server is stopped); raises StoreLockedError when it is not."""
    from soc.detection.retro import check_window, run_retro, select_rules
    from soc.services import build_services

    services = build_services(settings)
    try:
        if services.catalog is None:
            raise ConfigError("detection is disabled", where="detection.enabled")
        select_rules(services.catalog, rule_ids)  # refuse typos before the audit row
        check_window(start, end)
        services.cases.record_retro_hunt(None, rule_ids, start=start, end=end)
        result = run_retro(
            services.events,
            services.catalog,
            rule_ids,
            start=start,
            end=end,
            alert_sink=services.cases,
        )
    finally:
        services.close()
    return result.as_dict()


def _retro_server(
    settings: Settings, rule_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, Any]:
    """The store is held by a running server: it runs the hunt and answers when it is over."""
    body = {"rule_ids": list(rule_ids), "from": isoformat(start), "to": isoformat(end)}
    # No timeout: a month-long hunt over thousands of rules takes what it takes.
    return call_server(settings, "/api/rules/retro", body=body, timeout_seconds=None)


def _regression(args: argparse.Namespace) -> int:
    """One line per test, then the tally; a failed test is a detection SigmaHQ has and we lack,
    so it fails the command (CI can gate on it), while MISSING and SKIP only inform."""
    from soc.detection.regression import run_tests, tally
    from soc.detection.regression_layout import find_tests

    root = Path(args.sigma_root)
    if not root.is_dir():
        raise ValidationError(f"no such folder: {root}", where="SIGMA_ROOT")
    settings = settings_of(args)
    tests = find_tests(root, args.rules_dir or ())
    if not tests:
        raise ValidationError(
            f"no rule with regression tests under {root} (is it a SigmaHQ checkout?)",
            where="SIGMA_ROOT",
        )
    outcomes = run_tests(
        tests,
        _sample_reader(),
        pipelines=args.pipelines,
        fallback_pipelines=settings.detection.pipelines_dirs,
        cache_dir=settings.data_dir / "cache" / "hunt-rules",
    )
    counts = tally(outcomes)
    out = sys.stdout
    if args.format == "json":
        body = {"summary": counts, "tests": [o.to_json() for o in outcomes]}
        out.write(json.dumps(body, indent=2) + "\n")
    else:
        for outcome in outcomes:
            test = outcome.test
            where = _shown(test.rule_path, root) if test.rule_path else f"rule {test.rule_id}"
            out.write(f"{outcome.verdict:<7} {where} [{test.type}] {test.name}: {outcome.reason}\n")
        figures = ", ".join(f"{n} {verdict.lower()}" for verdict, n in counts.items())
        out.write(f"\n{counted(len(outcomes), 'test')}: {figures}\n")
    return 1 if counts["FAIL"] else 0


def _shown(path: Path, root: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path


def _sample_reader() -> Callable[[Sequence[tuple[Path, str]]], Iterator[Event]]:
    """Each sample read with its test's format; unreadable records are reported, not fatal (the
    test they belong to then fails on its count, which says where to look)."""
    from collectors.files import ReadProblem, read_events

    def read(samples: Sequence[tuple[Path, str]]) -> Iterator[Event]:
        for path, format in samples:
            problems: list[ReadProblem] = []
            yield from read_events([path], format=format, on_error=problems.append)
            for problem in problems[:5]:
                print(
                    f"unreadable: {problem.path}: {problem.location}: {problem.reason}",
                    file=sys.stderr,
                )

    return read
