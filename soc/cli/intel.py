"""`soc intel` (threat-intel feeds from files) and `soc sources` (who sends, silent sources).

A running server picks up imported feeds within its enrichment refresh interval; no restart.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from soc.cli.common import settings_of
from soc.errors import ValidationError
from soc.model.event import utcnow
from soc.model.intel import FEED_FORMATS
from soc.model.plural import counted
from soc.services import open_cases

SHOWN_PROBLEMS = 20


def register(sub: argparse._SubParsersAction) -> None:
    intel = sub.add_parser("intel", help="threat-intelligence feeds").add_subparsers(
        metavar="ACTION"
    )
    imp = intel.add_parser(
        "import",
        help="import (or re-import) a feed file or MISP directory",
        description=(
            "Import a feed, or replace the feed of that name. CSV: type,value[,description,"
            "confidence] a line (an optional header line, # comments; types such as ip, cidr, "
            "domain, url, md5, sha1, sha256); a STIX 2.1 bundle; or a MISP feed (its directory, "
            "or one event's JSON). A file in which no entry is usable is "
            "refused and the feed left as it was."
        ),
    )
    imp.add_argument("file")
    imp.add_argument("--format", choices=FEED_FORMATS, help="default: by extension and content")
    imp.add_argument("--name", help="feed name (default: the file name without extension)")
    imp.add_argument(
        "--expire-days",
        type=int,
        default=90,
        help="indicators without their own expiry stop matching after this (0: never)",
    )
    imp.set_defaults(run=_intel_import)
    listing = intel.add_parser("list", help="list feeds")
    listing.set_defaults(run=_intel_list)
    remove = intel.add_parser("remove", help="remove a feed and its indicators")
    remove.add_argument("name")
    remove.set_defaults(run=_intel_remove)

    sources = sub.add_parser("sources", help="sources that send to us").add_subparsers(
        metavar="ACTION"
    )
    src_list = sources.add_parser("list", help="every known source, last seen and silence")
    src_list.set_defaults(run=_sources_list)
    interval = sources.add_parser("interval", help="expected interval of one source")
    interval.add_argument("kind", choices=("syslog", "netflow", "site"))
    interval.add_argument("key", help="address, address@site, or site id")
    interval.add_argument(
        "minutes", type=_minutes, help="minutes; 0: not monitored; 'default': the kind's"
    )
    interval.set_defaults(run=_sources_interval)
    forget = sources.add_parser("forget", help="forget a retired source")
    forget.add_argument("kind", choices=("syslog", "netflow", "site"))
    forget.add_argument("key")
    forget.set_defaults(run=_sources_forget)


def _intel_import(args: argparse.Namespace) -> int:
    from soc.enrich.feeds import read_feed  # the STIX grammar: only for this command

    path = Path(args.file)
    name = args.name or path.name.split(".")[0]
    parsed = read_feed(path, name=name, fmt=args.format)
    if parsed.skipped and not parsed.indicators:
        # Most likely the wrong file or columns: replacing the feed would empty it.
        for problem in parsed.problems[:SHOWN_PROBLEMS]:
            print(f"  skipped {problem.where}: {problem.reason}", file=sys.stderr)
        raise ValidationError(
            f"no usable indicator in {path} ({counted(parsed.skipped, 'entry', 'entries')} "
            "skipped); "
            f"feed {name} is left as it was"
        )
    expire = timedelta(days=args.expire_days) if args.expire_days > 0 else None
    cases = open_cases(settings_of(args))
    try:
        result = cases.intel.import_feed(
            name,
            parsed.format,
            str(path.resolve()),
            parsed.indicators,
            skipped=parsed.skipped,
            expire_after=expire,
        )
    finally:
        cases.close()
    print(
        f"feed {name} ({parsed.format}): {counted(result.feed.indicator_count, 'indicator')} "
        f"({result.added} new, {result.updated} kept, {result.removed} removed), "
        f"{counted(parsed.skipped, 'entry', 'entries')} skipped"
    )
    for problem in parsed.problems[:SHOWN_PROBLEMS]:
        print(f"  skipped {problem.where}: {problem.reason}")
    if len(parsed.problems) > SHOWN_PROBLEMS:
        print(f"  … and {len(parsed.problems) - SHOWN_PROBLEMS} more")
    return 0


def _intel_list(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        for feed in cases.intel.feeds():
            print(
                f"{feed.name}\t{feed.format}\t{counted(feed.indicator_count, 'indicator')}\t"
                f"imported {feed.imported_at.isoformat()} by {feed.imported_by}\t{feed.source}"
            )
    finally:
        cases.close()
    return 0


def _intel_remove(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        cases.intel.remove_feed(args.name)
    finally:
        cases.close()
    print(f"removed feed {args.name}")
    return 0


def _sources_list(args: argparse.Namespace) -> int:
    """Silence judged now, by the checker's rule, not read from the checker's last record: with
    the server stopped that record says "ok" of a source quiet for days."""
    from soc.detection.silence import SourceIntervals, overdue

    settings = settings_of(args)
    intervals = SourceIntervals.of_settings(settings.silence)
    now = utcnow()
    cases = open_cases(settings)
    try:
        for state in cases.sources.load():
            seconds = intervals.of(state)
            interval = f"{seconds}s" + (" (default)" if state.interval_seconds is None else "")
            if seconds <= 0:
                status = "not monitored"
            elif state.silent_since or overdue(state, seconds, now):
                status = f"SILENT since {state.last_seen.isoformat()}"
            else:
                status = "ok"
            print(
                f"{state.kind}\t{state.key}\t{state.agency_id or '-'}\t"
                f"last seen {state.last_seen.isoformat()}\tinterval {interval}\t{status}"
            )
    finally:
        cases.close()
    return 0


def _minutes(value: str) -> int | None:
    """Seconds from a number of minutes; None for "default"."""
    if value == "default":
        return None
    try:
        return int(float(value) * 60)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {value!r}") from None


def _sources_interval(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        state = cases.sources.set_interval(None, args.kind, args.key, args.minutes)
    finally:
        cases.close()
    shown = "default" if state.interval_seconds is None else f"{state.interval_seconds} s"
    print(f"{args.kind} {args.key}: interval {shown}")
    return 0


def _sources_forget(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        cases.sources.forget(None, args.kind, args.key)
    finally:
        cases.close()
    print(f"forgot {args.kind} {args.key}")
    return 0
