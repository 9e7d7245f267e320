"""The `soc` command: the only place in `soc` that may import `ui` and `collectors`.

`main(argv) -> int` is the one function that turns errors into exit codes (house rule 3).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from soc.config import Settings, load_settings
from soc.errors import SocError, StoreLockedError, ValidationError
from soc.model.agency import ROLES, Agency
from soc.model.event import Event, get_field, parse_timestamp, utcnow
from soc.services import build_services, ensure_api_token

log = logging.getLogger("soc")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soc", description="Provincial SOC platform")
    parser.add_argument("--config", help="settings YAML file (default: $SOC_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="run UI, ingest API, listeners and detection")
    serve.set_defaults(run=lambda a: _run_platform(_settings(a), demo=False))
    demo = sub.add_parser("demo", help="`serve` plus a demo traffic generator")
    demo.set_defaults(run=lambda a: _run_platform(_settings(a), demo=True))

    users = sub.add_parser("users", help="manage accounts").add_subparsers(metavar="ACTION")
    add = users.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--agency", help="agency id (required for agency_admin)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(run=_users_add)

    agencies = sub.add_parser("agencies", help="manage agencies").add_subparsers(metavar="ACTION")
    ag_add = agencies.add_parser("add", help="create or update an agency")
    ag_add.add_argument("id", help="short slug, e.g. so-yte")
    ag_add.add_argument("--name", required=True)
    ag_add.add_argument("--cidr", action="append", default=[], help="network it owns (repeat)")
    ag_add.set_defaults(run=_agencies_add)
    ag_list = agencies.add_parser("list", help="list agencies")
    ag_list.set_defaults(run=_agencies_list)

    search = sub.add_parser("search", help="search events (Lucene-style query)")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--from", dest="start", help="ISO time or now-15m / now-24h / now-7d")
    search.add_argument("--to", dest="end", help="ISO time or now-… (default: now)")
    limits = search.add_mutually_exclusive_group()
    limits.add_argument("--limit", type=int, default=100)
    limits.add_argument("--all", action="store_true", help="every matching event")
    search.add_argument("--format", choices=("ndjson", "table"), default="table")
    search.set_defaults(run=_search)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


# -- serve / demo -------------------------------------------------------------------------------


def _run_platform(settings: Settings, *, demo: bool) -> int:
    """Run every part in one process until SIGTERM/SIGINT, then flush and stop in order."""
    from werkzeug.serving import make_server

    import collectors.netflow
    import collectors.syslog
    from collectors.deadletter import DeadLetter
    from collectors.sink import BatchingSink
    from ui import create_app

    services = build_services(settings)
    ensure_api_token(settings)
    credentials = _prepare_demo(services) if demo else []
    sink = BatchingSink(
        services.events,
        batch_size=settings.ingest.batch_size,
        flush_interval_seconds=settings.ingest.flush_interval_seconds,
    )
    dead_letter = DeadLetter(settings.dead_letter_path)
    tagger = services.tagger()
    listeners = []
    if settings.syslog.enabled:
        listeners.append(
            collectors.syslog.start(
                settings.syslog, sink=sink, tagger=tagger, dead_letter=dead_letter
            )
        )
    if settings.netflow.enabled:
        listeners.append(
            collectors.netflow.start(
                settings.netflow, sink=sink, tagger=tagger, dead_letter=dead_letter
            )
        )
    if services.scheduler is not None:
        services.scheduler.start()
    server = make_server(settings.ui.host, settings.ui.port, create_app(services), threaded=True)
    web = threading.Thread(target=server.serve_forever, name="web", daemon=True)
    web.start()

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    url = f"http://{settings.ui.host}:{server.server_port}"
    print(f"SOC platform running at {url}", flush=True)
    for username, password, role in credentials:
        print(f"  login: {username} / {password}  ({role})", flush=True)
    for listener in listeners:
        for host, port in listener.addresses:
            print(f"  listening on {host}:{port} ({type(listener).__module__})", flush=True)

    traffic = None
    if demo:
        from collectors.demo import DemoTraffic

        # The generator only ever sends to loopback, whatever address the listeners bind.
        generator = DemoTraffic(
            syslog=("127.0.0.1", settings.syslog.udp_port),
            syslog_tcp=("127.0.0.1", settings.syslog.tcp_port),
            netflow=("127.0.0.1", settings.netflow.port),
        )
        traffic = threading.Thread(
            target=generator.run, args=(stop,), name="demo-traffic", daemon=True
        )
        traffic.start()
        print("  demo traffic generator started", flush=True)

    stop.wait()
    print("stopping: flushing pending events…", flush=True)
    if traffic is not None:
        traffic.join(5)
    server.shutdown()
    for listener in listeners:
        listener.close()
    sink.close()
    services.close()
    print("stopped", flush=True)
    return 0


def _prepare_demo(services: Any) -> list[tuple[str, str, str]]:
    """Demo agencies and accounts; passwords are new on every start and printed once."""
    import secrets

    from collectors.demo import DEMO_AGENCIES

    for agency in DEMO_AGENCIES:
        services.cases.upsert_agency(agency)
    accounts = [("admin", "admin", None), ("yte-admin", "agency_admin", DEMO_AGENCIES[1].id)]
    credentials = []
    existing = {u.username: u for u in services.cases.list_users(None)}
    for username, role, agency_id in accounts:
        password = secrets.token_urlsafe(12)
        if username in existing:
            services.cases.reset_password(username, password)
        else:
            services.cases.add_user(username, password, role, agency_id)
        credentials.append((username, password, role))
    return credentials


# -- users and agencies ---------------------------------------------------------------------------


def _users_add(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            raise ValidationError("passwords differ")
    services = build_services(_settings(args), read_only_events=True)
    try:
        user = services.cases.add_user(args.username, password, args.role, args.agency)
    finally:
        services.close()
    print(f"created {user.username} ({user.role})")
    return 0


def _agencies_add(args: argparse.Namespace) -> int:
    services = build_services(_settings(args), read_only_events=True)
    try:
        services.cases.upsert_agency(Agency(id=args.id, name=args.name, cidrs=tuple(args.cidr)))
    finally:
        services.close()
    print(f"saved agency {args.id}")
    return 0


def _agencies_list(args: argparse.Namespace) -> int:
    services = build_services(_settings(args), read_only_events=True)
    try:
        for agency in services.cases.agencies():
            print(f"{agency.id}\t{agency.name}\t{','.join(agency.cidrs)}")
    finally:
        services.close()
    return 0


# -- search -------------------------------------------------------------------------------------


def parse_time(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """ISO 8601, or Kibana-style relative times: now, now-15m, now-24h, now-7d."""
    if not value:
        return None
    now = now or utcnow()
    if value == "now":
        return now
    if value.startswith("now-"):
        amount, unit = value[4:-1], value[-1]
        units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
        if unit not in units or not amount.isdigit():
            raise ValidationError(f"bad relative time {value!r} (use e.g. now-15m)")
        return now - timedelta(**{units[unit]: int(amount)})
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise ValidationError(f"bad time {value!r}: {exc}") from exc


def _search(args: argparse.Namespace) -> int:
    settings = _settings(args)
    start, end = parse_time(args.start), parse_time(args.end)
    limit = None if args.all else args.limit
    try:
        events = _search_local(settings, args.query, start, end, limit)
    except StoreLockedError:
        events = _search_server(settings, args.query, args.start, args.end, limit)
    _print_events(events, args.format)
    return 0


def _search_local(
    settings: Settings, query: str, start: datetime | None, end: datetime | None, limit: int | None
) -> list[Event]:
    """Read the embedded store directly (the server is stopped)."""
    from soc.storage import DuckDBEventStore

    if not settings.events_path.exists():
        return []
    store = DuckDBEventStore(settings.events_path, read_only=True)
    try:
        return store.search(query, start=start, end=end, limit=limit).events
    finally:
        store.close()


def _search_server(
    settings: Settings, query: str, start: str | None, end: str | None, limit: int | None
) -> list[Event]:
    """The store is held by a running server: ask its API with the local admin token."""
    token_path = settings.data_dir / "api.token"
    if not token_path.exists():
        raise StoreLockedError("store in use and no API token found", where=str(token_path))
    params = {"q": query, "from": start or "", "to": end or "", "limit": limit or 0}
    url = f"http://{settings.ui.host}:{settings.ui.port}/api/search?" + urllib.parse.urlencode(
        params
    )
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token_path.read_text().strip()}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        raise SocError(exc.read().decode(errors="replace"), where=url) from exc
    except urllib.error.URLError as exc:
        raise SocError(f"server not reachable: {exc.reason}", where=url) from exc
    return body["events"]


_TABLE_FIELDS = (
    "@timestamp",
    "organization.id",
    "event.dataset",
    "source.ip",
    "destination.ip",
    "destination.port",
    "message",
)


def _print_events(events: Iterable[Event], fmt: str) -> None:
    out = sys.stdout
    if fmt == "ndjson":
        for event in events:
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
        return
    out.write("\t".join(_TABLE_FIELDS) + "\n")
    for event in events:
        cells = []
        for name in _TABLE_FIELDS:
            value = get_field(event, name)
            cells.append("" if value is None else str(value).replace("\n", " ")[:120])
        out.write("\t".join(cells) + "\n")


if __name__ == "__main__":
    sys.exit(main())
