"""Threat-intel matching at ingest: an in-memory index of indicators, looked up per event.

Every lookup is a set or dict probe (networks: one probe per prefix length present), so the cost
per event does not grow with the size of the feeds. A match sets ECS `threat.enrichments` (one
entry per matched indicator and feed) and `threat.indicator.*` (the strongest one), and yields an
alert whose id is derived from the indicator and the event, so a re-sent event never alerts twice.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from soc.enrich.indicators import normalize_domain, normalize_hash, normalize_url
from soc.model.alert import Alert, alert_id
from soc.model.event import Event, get_field, isoformat, parse_timestamp, utcnow
from soc.model.intel import HASH_KINDS, Indicator, confidence_word

RULE_ID = "soc-threat-intel"
RULE_TITLE = "Threat intelligence match"
MAX_ENRICHMENTS = 10  # per event: a noisy feed must not turn one event into a huge document

IP_FIELDS = ("source.ip", "destination.ip", "client.ip", "server.ip", "host.ip", "related.ip")
DOMAIN_FIELDS = (
    "url.domain",
    "destination.domain",
    "server.domain",
    "source.domain",
    "client.domain",
    "dns.question.name",
    "tls.client.server_name",
    "related.hosts",
)
URL_FIELDS = ("url.full", "url.original")
HASH_PARENTS = ("file", "process", "process.parent", "dll")
SYSMON_HASHES = "winlog.event_data.Hashes"  # "SHA1=…,MD5=…,SHA256=…,IMPHASH=…"

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class IntelMatch:
    field: str  # the event field that matched, e.g. "destination.ip"
    atomic: str  # its value
    indicators: tuple[Indicator, ...]  # every feed listing it, strongest first


class IntelIndex:
    """Immutable: the enricher swaps in a new index when the feeds change."""

    def __init__(self, indicators: Iterable[Indicator]) -> None:
        self._exact: dict[tuple[str, str], list[Indicator]] = {}
        # (version, prefix length) -> {network address as int -> indicators}
        self._networks: dict[tuple[int, int], dict[int, list[Indicator]]] = {}
        count = 0
        for indicator in indicators:
            count += 1
            if indicator.kind == "ip" and "/" in indicator.value:
                net = ipaddress.ip_network(indicator.value)
                table = self._networks.setdefault((net.version, net.prefixlen), {})
                table.setdefault(int(net.network_address), []).append(indicator)
            else:
                self._exact.setdefault((indicator.kind, indicator.value), []).append(indicator)
        # Longest prefix first: the most specific listing is reported.
        self._prefixes = sorted(self._networks, key=lambda key: -key[1])
        self.size = count

    def __bool__(self) -> bool:
        return self.size > 0

    def match(self, event: Event, *, now: datetime | None = None) -> list[IntelMatch]:
        """Every listed observable of `event`, each once, in field order."""
        now = now or utcnow()
        found: list[IntelMatch] = []
        seen: set[str] = set()
        for field, kind, value in _observables(event):
            if value in seen:
                continue
            hits = self._lookup(kind, value)
            live = [i for i in hits if i.expires_at is None or i.expires_at > now]
            if live:
                seen.add(value)
                live.sort(key=lambda i: -(i.confidence if i.confidence is not None else 50))
                found.append(IntelMatch(field, value, tuple(live)))
        return found

    def _lookup(self, kind: str, value: str) -> list[Indicator]:
        if kind == "ip":
            return self._lookup_ip(value)
        if kind == "domain":
            # A listed domain covers its subdomains: walk up the labels.
            labels = value.split(".")
            hits: list[Indicator] = []
            for start in range(len(labels) - 1):
                hits.extend(self._exact.get(("domain", ".".join(labels[start:])), ()))
            return hits
        return list(self._exact.get((kind, value), ()))

    def _lookup_ip(self, value: str) -> list[Indicator]:
        hits = list(self._exact.get(("ip", value), ()))
        if hits or not self._prefixes:
            return hits
        address = ipaddress.ip_address(value)
        number, bits = int(address), address.max_prefixlen
        for version, prefix in self._prefixes:
            if version != address.version:
                continue
            network = number >> (bits - prefix) << (bits - prefix)
            listed = self._networks[(version, prefix)].get(network)
            if listed:
                return list(listed)
        return hits


def _values(event: Event, field: str) -> Iterator[str]:
    value = get_field(event, field)
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, str) and v)
    elif isinstance(value, str) and value:
        yield value


def _observables(event: Event) -> Iterator[tuple[str, str, str]]:
    """(field, kind, normal form) of everything in `event` that a feed could list."""
    for field in IP_FIELDS:
        for value in _values(event, field):
            try:
                yield field, "ip", str(ipaddress.ip_address(value))
            except ValueError:
                continue
    for field in DOMAIN_FIELDS:
        for value in _values(event, field):
            try:
                yield field, "domain", normalize_domain(value)
            except ValueError:
                continue
    for field in URL_FIELDS:
        for value in _values(event, field):
            try:
                url = normalize_url(value)
            except ValueError:
                continue
            yield field, "url", url
            # Web logs without url.domain still name the host inside the URL.
            host = url.split("/", 3)[2].rsplit(":", 1)[0].strip("[]")
            try:
                yield field, "domain", normalize_domain(host)
            except ValueError:
                continue
    for parent in HASH_PARENTS:
        for kind in HASH_KINDS:
            field = f"{parent}.hash.{kind}"
            for value in _values(event, field):
                try:
                    yield field, *normalize_hash(value, kind)
                except ValueError:
                    continue
    for value in _values(event, "related.hash"):
        try:
            yield "related.hash", *normalize_hash(value)
        except ValueError:
            continue
    for value in _values(event, SYSMON_HASHES):
        for item in value.split(","):
            name, _, digest = item.partition("=")
            kind = name.strip().lower().replace("-", "")
            if kind in HASH_KINDS:
                try:
                    yield SYSMON_HASHES, *normalize_hash(digest, kind)
                except ValueError:
                    continue


def ecs_indicator(indicator: Indicator) -> dict:
    """`threat.indicator.*` (ECS 8.x) of one indicator."""
    doc: dict = {
        "provider": indicator.provider or indicator.feed,
        "confidence": confidence_word(indicator.confidence),
    }
    if indicator.kind == "ip":
        address = indicator.value.split("/")[0]
        doc["type"] = "ipv6-addr" if ":" in address else "ipv4-addr"
        doc["ip"] = address if "/" not in indicator.value else indicator.value
    elif indicator.kind == "domain":
        doc["type"] = "domain-name"
        doc["url"] = {"domain": indicator.value}
    elif indicator.kind == "url":
        doc["type"] = "url"
        doc["url"] = {"full": indicator.value}
    else:
        doc["type"] = "file"
        doc["file"] = {"hash": {indicator.kind: indicator.value}}
    if indicator.description:
        doc["description"] = indicator.description
    if indicator.first_seen:
        doc["first_seen"] = isoformat(indicator.first_seen)
    if indicator.last_seen:
        doc["last_seen"] = isoformat(indicator.last_seen)
    return doc


def apply_matches(event: Event, matches: list[IntelMatch]) -> None:
    """Write the matches into the event as ECS `threat.enrichments` and `threat.indicator`."""
    enrichments = []
    for match in matches:
        for indicator in match.indicators:
            enrichments.append(
                {
                    "indicator": ecs_indicator(indicator),
                    "matched": {
                        "atomic": match.atomic,
                        "field": match.field,
                        "id": indicator.key,
                        "index": indicator.feed,
                        "type": "indicator_match",
                    },
                }
            )
    threat = event.setdefault("threat", {})
    threat["enrichments"] = enrichments[:MAX_ENRICHMENTS]
    strongest = matches[0].indicators[0]
    threat["indicator"] = ecs_indicator(strongest)
    threat["feed"] = {"name": strongest.feed}


def _severity(indicator: Indicator) -> str:
    if indicator.confidence is None:
        return "medium"
    if indicator.confidence >= 70:
        return "high"
    return "medium" if indicator.confidence >= 30 else "low"


def alerts_for(event: Event, matches: list[IntelMatch]) -> list[Alert]:
    """One alert per matched indicator value; its id never changes for this event."""
    event_id = get_field(event, "event.id")
    if not isinstance(event_id, str):
        return []
    agencies = [get_field(event, "organization.id")]
    related = get_field(event, "related.organization_ids")
    if isinstance(related, list):
        agencies.extend(related)
    agency_ids = tuple(dict.fromkeys(a for a in agencies if isinstance(a, str) and a))
    try:
        moment = parse_timestamp(str(get_field(event, "@timestamp")))
    except ValueError:
        moment = utcnow()
    alerts = []
    for match in matches:
        strongest = match.indicators[0]
        feeds = sorted({i.feed for i in match.indicators})
        description = strongest.description or ""
        alerts.append(
            Alert(
                id=alert_id(RULE_ID, strongest.key, event_id),
                rule_id=RULE_ID,
                rule_title=RULE_TITLE,
                severity=_severity(strongest),
                timestamp=moment,
                entity=match.atomic,
                agency_ids=agency_ids,
                event_ids=(event_id,),
                tags=("threat-intel", *(f"feed:{feed}" for feed in feeds)),
                summary=f"{match.field} {match.atomic} is listed in {', '.join(feeds)}"
                + (f": {description}" if description else ""),
                details={
                    "indicator": strongest.key,
                    "field": match.field,
                    "feeds": feeds,
                    "confidence": confidence_word(strongest.confidence),
                },
            )
        )
    return alerts
