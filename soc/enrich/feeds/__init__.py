"""Threat-intel feed files (CSV, STIX 2.1 bundles, MISP feeds) read into `Indicator` records.

Feeds are imported from files because the platform is air-gapped: whoever fetches them (a
MISP instance, a CERT mailing) drops the file on the server and runs `soc intel import`.
Entries that cannot be used are counted and reported with where and why; they never stop an
import.
"""

from __future__ import annotations

import json
from pathlib import Path

from soc.enrich.feeds.csv_feed import read_csv
from soc.enrich.feeds.misp import read_misp
from soc.enrich.feeds.report import FeedProblem, ParsedFeed
from soc.enrich.feeds.stix import read_stix
from soc.errors import ValidationError
from soc.model.intel import FEED_FORMATS

MAX_FEED_BYTES = 512 * 1024 * 1024

__all__ = ["FeedProblem", "ParsedFeed", "detect_format", "read_feed"]


def detect_format(path: Path) -> str:
    """By extension or content: a directory or a JSON with `Event` is MISP, a JSON with
    `"type": "bundle"` is STIX, anything else CSV."""
    if path.is_dir():
        return "misp"
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    if path.suffix.lower() != ".json":
        return "csv"
    document = _load_json(path)
    if isinstance(document, dict) and document.get("type") == "bundle":
        return "stix"
    return "misp"


def read_feed(path: str | Path, *, name: str, fmt: str | None = None) -> ParsedFeed:
    """Parse the feed file (or MISP feed directory) at `path` as feed `name`."""
    path = Path(path)
    if not path.exists():
        raise ValidationError("no such file or directory", where=str(path))
    fmt = fmt or detect_format(path)
    if fmt == "csv":
        return read_csv(_read_text(path), feed=name)
    if fmt == "stix":
        return read_stix(_load_json(path), feed=name)
    if fmt == "misp":
        return read_misp(path, feed=name, load=_load_json)
    raise ValidationError(f"unknown feed format {fmt!r} (one of {', '.join(FEED_FORMATS)})")


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise ValidationError("a directory: only MISP feeds are directories", where=str(path))
    if path.stat().st_size > MAX_FEED_BYTES:
        raise ValidationError("larger than 512 MiB", where=str(path))
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read: {exc}", where=str(path)) from exc


def _load_json(path: Path) -> object:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not valid JSON: {exc}", where=str(path)) from exc
