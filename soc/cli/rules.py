"""`soc rules check` and `soc rules retro`: rules from the shell.

`retro` hunts rules over a past window of event time.

The embedded event store admits one process: with the server stopped the hunt runs here; while
`soc serve` holds the store, the server runs it (`POST /api/rules/retro`, local admin token).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from soc.cli.common import call_server, parse_time, settings_of
from soc.config import Settings
from soc.errors import ConfigError, StoreLockedError, ValidationError
from soc.model.event import isoformat, utcnow


def register(sub: argparse._SubParsersAction) -> None:
    rules = sub.add_parser("rules", help="detection rules").add_subparsers(metavar="ACTION")
    retro = rules.add_parser("retro", help="run rules over a past window of event time")
    retro.add_argument("rule_ids", nargs="+", metavar="RULE_ID")
    retro.add_argument("--from", dest="start", required=True, help="ISO time or now-7d / now-24h")
    retro.add_argument("--to", dest="end", help="ISO time or now-… (default: now)")
    retro.set_defaults(run=_retro)

    check = rules.add_parser("check", help="load and compile rules; list every rule that fails")
    check.add_argument("dirs", nargs="*", help="rule folders (default: detection.rules_dirs)")
    check.add_argument("--pipelines", nargs="*", help="default: detection.pipelines_dirs")
    check.set_defaults(run=_check)


def _check(args: argparse.Namespace) -> int:
    """Every problem on its own line (path:line, editors link it), then a summary by reason.

    Exits 1 only when one of our own rules fails: a vendored rule whose log source we do not
    collect is expected, one of ours that does not compile is a bug.
    """
    from soc.rules import compile_rules, load_rules

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
    out.write(f"\n{len(catalog.compiled)} rules compiled, {len(catalog.errors)} not\n")
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
            f"{rule['rule_id']}\t{rule['matches']} matches\t{rule['new_alerts']} new\t"
            f"{outcome}\t{rule['title']}\n"
        )
    out.write(
        f"{result['from']} .. {result['to']}: {result['matches']} matches, "
        f"{result['new_alerts']} new alerts\n"
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
