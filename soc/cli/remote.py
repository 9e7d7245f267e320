"""`soc collect` (at an agency site) and `soc sites` (at the province): remote collection.

`soc collect` runs the syslog and NetFlow listeners of the site (ports from the usual settings)
and forwards to the province over HTTPS; `soc sites` issues, lists and revokes site tokens on
the province's server (the same as the Remote sites page).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from soc.cli.common import settings_of
from soc.services import open_cases

TOKEN_ENV = "SOC_SITE_TOKEN"


def register(sub: argparse._SubParsersAction) -> None:
    collect = sub.add_parser(
        "collect", help="run the listeners at an agency site and forward to the province"
    )
    collect.add_argument("--server", required=True, help="the province, e.g. https://soc.tinh.vn")
    token = collect.add_mutually_exclusive_group()
    token.add_argument("--token-file", help="file holding the site token (recommended)")
    token.add_argument("--token", help=f"the site token (default: ${TOKEN_ENV}); visible in ps")
    collect.add_argument("--ca-file", help="CA certificate(s) that signed the server's certificate")
    collect.add_argument(
        "--insecure", action="store_true", help="do not verify the server certificate (testing)"
    )
    collect.add_argument("--spool-dir", help="where batches wait (default: <data_dir>/spool)")
    collect.add_argument(
        "--max-spool-mb", type=int, default=1024, help="spool size cap (default: 1024)"
    )
    collect.set_defaults(run=_collect)

    sites = sub.add_parser("sites", help="remote sites and their tokens").add_subparsers(
        metavar="ACTION"
    )
    add = sites.add_parser("add", help="create a site and print its token (once)")
    add.add_argument("id", help="short slug, e.g. yte-hq")
    add.add_argument("--name", required=True)
    add.add_argument("--agency", required=True, help="the agency every event of the site gets")
    add.set_defaults(run=_sites_add)
    listing = sites.add_parser("list", help="list sites")
    listing.set_defaults(run=_sites_list)
    rotate = sites.add_parser("token", help="issue a new token (the old one stops working)")
    rotate.add_argument("id")
    rotate.set_defaults(run=_sites_token)
    revoke = sites.add_parser("revoke", help="revoke the site's token")
    revoke.add_argument("id")
    revoke.set_defaults(run=_sites_revoke)


def _collect(args: argparse.Namespace) -> int:
    from collectors.forwarder import CollectOptions, collect, read_token

    options = CollectOptions(
        server_url=args.server,
        token=read_token(args.token or os.environ.get(TOKEN_ENV), args.token_file),
        ca_file=args.ca_file,
        insecure=args.insecure,
        spool_dir=Path(args.spool_dir) if args.spool_dir else None,
        max_spool_bytes=args.max_spool_mb * 1024 * 1024,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return collect(settings_of(args), options, stop)


def _sites_add(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        issued = cases.sites.create(None, args.id, args.name, args.agency)
    finally:
        cases.close()
    print(f"created site {issued.site.id} of {issued.site.agency_name}")
    print("token (shown only now; keep it in a file readable only by the collector):")
    print(issued.token)
    return 0


def _sites_token(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        issued = cases.sites.rotate_token(None, args.id)
    finally:
        cases.close()
    print(f"new token for {issued.site.id} (the previous one no longer works):")
    print(issued.token)
    return 0


def _sites_revoke(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        cases.sites.revoke(None, args.id)
    finally:
        cases.close()
    print(f"revoked site {args.id}")
    return 0


def _sites_list(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        states = {s.key: s for s in cases.sources.load() if s.kind == "site"}
        for site in cases.sites.visible_to(None):
            state = states.get(site.id)
            seen = state.last_seen.isoformat() if state else "never"
            status = "active" if site.active else "revoked"
            print(f"{site.id}\t{site.agency_id}\t{status}\tlast seen {seen}\t{site.name}")
    finally:
        cases.close()
    return 0
