"""The `soc` command: the only place in `soc` that may import `ui` and `collectors`.

One module per command group registers its subcommands; `main(argv) -> int` is the one function
that turns errors into exit codes (house rule 3).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from soc.cli import accounts, files, hunt, intel, platform, remote, rules, search
from soc.cli.common import parse_time
from soc.errors import SocError

__all__ = ["main", "parse_time"]

_GROUPS = (platform, accounts, search, files, hunt, rules, remote, intel)


def _alembic_chatter(record: logging.LogRecord) -> bool:
    """Alembic says "Context impl SQLiteImpl." and "Will assume transactional DDL." each time a
    command opens the case store: noise to a user. Its "Running upgrade" lines stay (and all
    of it with -v)."""
    return not record.getMessage().startswith(("Context impl", "Will assume"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soc", description="Provincial SOC platform")
    parser.add_argument("--config", help="settings YAML file (default: $SOC_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(metavar="COMMAND")
    for group in _GROUPS:
        group.register(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic.runtime.migration").addFilter(_alembic_chatter)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except SocError as exc:
        print(f"soc: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
