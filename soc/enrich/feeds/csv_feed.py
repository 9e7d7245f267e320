"""CSV feeds: `type,value[,description,confidence]`, one indicator a line.

A header line (first cell `type`) and `#` comments are allowed, since that is how CERT and
vendor lists usually arrive. Types are taken by the names people use for them (`ip-dst`,
`ipv4`, `hostname`, `sha256`, ...); `confidence` is 0-100 or low/medium/high.
"""

from __future__ import annotations

import csv
import io

from soc.enrich.feeds.report import ParsedFeed
from soc.enrich.indicators import normalize
from soc.model.intel import Indicator

TYPE_NAMES = {
    "ip": "ip",
    "ipv4": "ip",
    "ipv6": "ip",
    "ip-src": "ip",
    "ip-dst": "ip",
    "ipv4-addr": "ip",
    "ipv6-addr": "ip",
    "cidr": "ip",
    "domain": "domain",
    "domain-name": "domain",
    "hostname": "domain",
    "fqdn": "domain",
    "url": "url",
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
    "sha256": "sha256",
    "sha-256": "sha256",
    "sha512": "sha512",
    "sha-512": "sha512",
    "hash": "hash",
}
CONFIDENCE_WORDS = {"none": 0, "low": 15, "medium": 50, "high": 85}


def parse_confidence(text: str) -> int | None:
    text = text.strip().lower()
    if not text:
        return None
    if text in CONFIDENCE_WORDS:
        return CONFIDENCE_WORDS[text]
    value = int(text)  # ValueError is reported by the caller
    if not 0 <= value <= 100:
        raise ValueError(f"confidence {value} is not within 0-100")
    return value


def read_csv(text: str, *, feed: str) -> ParsedFeed:
    parsed = ParsedFeed("csv")
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() == "type":
            continue
        where = f"line {number}"
        if len(cells) < 2 or not cells[1]:
            parsed.refuse(where, "needs at least type and value")
            continue
        kind = TYPE_NAMES.get(cells[0].lower())
        if kind is None:
            parsed.refuse(where, f"unknown indicator type {cells[0]!r}")
            continue
        try:
            kind, value = normalize(kind, cells[1])
            confidence = parse_confidence(cells[3]) if len(cells) > 3 else None
        except ValueError as exc:
            parsed.refuse(where, str(exc))
            continue
        description = cells[2] if len(cells) > 2 else ""
        parsed.indicators.append(
            Indicator(kind, value, feed, description=description, confidence=confidence)
        )
    return parsed
