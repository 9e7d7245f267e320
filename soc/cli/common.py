"""Helpers every command group shares."""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, tzinfo
from typing import Any

from soc.config import Settings, load_settings
from soc.errors import ConfigError, SocError, StoreLockedError, ValidationError
from soc.model.event import parse_timestamp, utcnow


def settings_of(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def positive_int(text: str) -> int:
    """argparse type for counts and sizes: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def add_password_option(parser: argparse.ArgumentParser) -> None:
    """`--password` for evidence zips, as `soc ingest` and `soc hunt` take them."""
    parser.add_argument(
        "--password",
        action="append",
        default=[],
        metavar="TEXT",
        help="for encrypted zip members, e.g. 'infected' (repeat to try several)",
    )


def add_timezone_option(parser: argparse.ArgumentParser) -> None:
    """`--timezone` for evidence whose timestamps name no zone, as `soc ingest` and `soc hunt`
    read them."""
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        help="where timestamps that name no zone were written (syslog files, NXLog JSON, web "
        "error logs), e.g. Asia/Ho_Chi_Minh or +07:00 (default: the syslog.timezone setting, as "
        "the listener reads the same lines)",
    )


def timezone_of(args: argparse.Namespace, settings: Settings) -> tzinfo:
    """`--timezone`, else the listener's `syslog.timezone`; a zone we cannot read is refused."""
    from collectors.syslog.header import zone_setting

    name = args.timezone or settings.syslog.timezone
    try:
        return zone_setting(name)
    except ConfigError as exc:
        where = "--timezone" if args.timezone else exc.where
        raise ValidationError(f"unknown time zone {name!r}", where=where) from exc


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


def call_server(
    settings: Settings,
    path: str,
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    ndjson: bytes | None = None,
    timeout_seconds: float | None = 60.0,
) -> Any:
    """Ask the running server's JSON API with the local admin token.

    The embedded event store admits one process, so while `soc serve` holds it the commands that
    read or hunt go through the server instead.
    """
    token_path = settings.data_dir / "api.token"
    if not token_path.exists():
        raise StoreLockedError("store in use and no API token found", where=str(token_path))
    tls = bool(settings.ui.tls_cert_file and settings.ui.tls_key_file)
    url = f"{'https' if tls else 'http'}://{settings.ui.host}:{settings.ui.port}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    headers = {"Authorization": f"Bearer {token_path.read_text(encoding='utf-8').strip()}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif ndjson is not None:
        data = ndjson
        headers["Content-Type"] = "application/x-ndjson"
    request = urllib.request.Request(url, data=data, headers=headers)
    context = _own_certificate(settings.ui.tls_cert_file) if tls else None
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds, context=context) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise SocError(exc.read().decode(errors="replace"), where=url) from exc
    except urllib.error.URLError as exc:
        raise SocError(f"server not reachable: {exc.reason}", where=url) from exc
    except OSError as exc:  # reset or timed out once connected
        raise SocError(f"server not reachable: {exc}", where=url) from exc


def _own_certificate(cert_file: str) -> ssl.SSLContext:
    """The commands talk to their own server on this machine: trust exactly the certificate it
    presents (`ui.tls_cert_file`), whoever signed it and whatever name it carries."""
    try:
        context = ssl.create_default_context(cafile=cert_file)
    except (OSError, ssl.SSLError) as exc:
        raise SocError(f"cannot read the UI certificate: {exc}", where=cert_file) from exc
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


class ProgressBar:
    """A one-line bar on stderr, drawn only on a terminal (logs and CI stay clean)."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()

    def draw(self, fraction: float, text: str) -> None:
        if not self.enabled:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        bar = "#" * int(fraction * 30)
        sys.stderr.write(f"\r[{bar:<30}] {fraction:4.0%} {text}\033[K")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
