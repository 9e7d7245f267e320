"""Threat-intelligence indicators as the importers produce them and the matcher reads them.

A pure type shared by `soc.enrich` (which parses feeds and matches events) and `soc.cases`
(which stores them): the two may not import each other, so the record lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# What an indicator's value is. Hashes are split by algorithm because an event names the
# algorithm of each hash it carries (`file.hash.sha256`), and a match must compare like with like.
INDICATOR_KINDS = ("ip", "domain", "url", "md5", "sha1", "sha256", "sha512")
HASH_KINDS = ("md5", "sha1", "sha256", "sha512")
FEED_FORMATS = ("csv", "stix", "misp")  # the files `soc intel import` reads

# STIX 2.1 confidence scale (0-100) in ECS words (`threat.indicator.confidence`).
CONFIDENCE_WORDS = ("None", "Low", "Medium", "High")


@dataclass(frozen=True)
class Indicator:
    """One observable listed by a feed. `value` is normalised (see `soc.enrich.intel`): an IP
    or CIDR in canonical form, a lower-case domain, a URL with lower-case scheme and host, a
    lower-case hex hash."""

    kind: str
    value: str
    feed: str
    description: str = ""
    confidence: int | None = None  # 0-100, None when the feed does not say
    provider: str = ""  # who published it (a STIX identity, a MISP organisation), else the feed
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    expires_at: datetime | None = None  # not matched after this moment

    @property
    def key(self) -> str:
        """Stable identity within a feed; also part of the deterministic alert id."""
        return f"{self.kind}:{self.value}"


def confidence_word(confidence: int | None) -> str:
    """ECS wants words; STIX 2.1 appendix A maps 0 to None, 1-29 Low, 30-69 Medium, 70+ High."""
    if confidence is None:
        return "Not Specified"
    if confidence <= 0:
        return CONFIDENCE_WORDS[0]
    if confidence < 30:
        return CONFIDENCE_WORDS[1]
    if confidence < 70:
        return CONFIDENCE_WORDS[2]
    return CONFIDENCE_WORDS[3]
