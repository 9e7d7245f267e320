"""STIX 2.1 bundles: indicators whose pattern names observables we can look up one by one.

Patterns are parsed by `stix2-patterns` (the OASIS grammar). A pattern is imported when it is a
disjunction (`OR`) of equality tests (`=`, `IN`, or `ISSUBSET` for networks) on an address,
domain, URL or file hash; each tested value becomes one indicator. A pattern that needs several
observations together (`AND`, `FOLLOWEDBY`, qualifiers) or any other operator cannot be decided
on one field of one event, so it is skipped and reported rather than matched too broadly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stix2patterns.exceptions import ParseException
from stix2patterns.v21.grammars.STIXPatternListener import STIXPatternListener
from stix2patterns.v21.pattern import Pattern

from soc.enrich.feeds.report import ParsedFeed
from soc.enrich.indicators import normalize
from soc.model.event import timestamp_or_none
from soc.model.intel import Indicator

HASH_NAMES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA1": "sha1",
    "SHA-256": "sha256",
    "SHA256": "sha256",
    "SHA-512": "sha512",
    "SHA512": "sha512",
}
# (object type, property path) -> indicator kind; "address" is an IP, else a domain.
PATHS = {
    ("ipv4-addr", ("value",)): "ip",
    ("ipv6-addr", ("value",)): "ip",
    ("domain-name", ("value",)): "domain",
    ("url", ("value",)): "url",
    ("network-traffic", ("dst_ref", "value")): "address",
    ("network-traffic", ("src_ref", "value")): "address",
}


def _unquote(literal: str) -> str:
    """A STIX string literal ('…' with \\' and \\\\ escapes) as text."""
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")


@dataclass
class _Collector(STIXPatternListener):  # type: ignore[misc]
    """Walks one parsed pattern, collecting (kind, value) pairs or the reason it is unusable."""

    values: list[tuple[str, str]] = field(default_factory=list)
    unusable: str | None = None
    _object_type: str = ""
    _path: list[str] = field(default_factory=list)

    def _refuse(self, reason: str) -> None:
        self.unusable = self.unusable or reason

    def exitObservationExpressions(self, ctx: Any) -> None:
        if ctx.FOLLOWEDBY():
            self._refuse("FOLLOWEDBY needs a sequence of events")

    def exitObservationExpressionAnd(self, ctx: Any) -> None:
        if ctx.AND():
            self._refuse("AND of observations needs several events together")

    def exitComparisonExpressionAnd(self, ctx: Any) -> None:
        if ctx.AND():
            self._refuse("AND of comparisons cannot be decided on one field")

    def exitObservationExpressionRepeated(self, ctx: Any) -> None:
        self._refuse("REPEATS qualifier")

    def exitObservationExpressionWithin(self, ctx: Any) -> None:
        self._refuse("WITHIN qualifier")

    def exitObservationExpressionStartStop(self, ctx: Any) -> None:
        self._refuse("START/STOP qualifier")

    def exitObjectType(self, ctx: Any) -> None:
        self._object_type = ctx.getText()

    def exitFirstPathComponent(self, ctx: Any) -> None:
        literal = ctx.StringLiteral()
        self._path = [_unquote(literal.getText()) if literal else ctx.getText()]

    def exitKeyPathStep(self, ctx: Any) -> None:
        identifier = ctx.IdentifierWithoutHyphen()
        text = identifier.getText() if identifier else _unquote(ctx.StringLiteral().getText())
        self._path.append(text)

    def exitIndexPathStep(self, ctx: Any) -> None:
        self._path.append("[]")

    def _kind(self) -> str | None:
        if self._object_type == "file" and len(self._path) == 2 and self._path[0] == "hashes":
            kind = HASH_NAMES.get(self._path[1].upper())
            if kind is None:
                self._refuse(f"hash algorithm {self._path[1]!r} is not matched")
            return kind
        kind = PATHS.get((self._object_type, tuple(self._path)))
        if kind is None:
            self._refuse(f"{self._object_type}:{'.'.join(self._path)} is not matched")
        return kind

    def _add(self, kind: str | None, literal: str) -> None:
        if kind is None:
            return
        if not literal.startswith("'"):
            self._refuse(f"value {literal} is not a string")
            return
        self.values.append((kind, _unquote(literal)))

    def exitPropTestEqual(self, ctx: Any) -> None:
        if ctx.NOT() or ctx.NEQ():
            self._refuse("negated comparison")
            return
        self._add(self._kind(), ctx.primitiveLiteral().getText())

    def exitPropTestSet(self, ctx: Any) -> None:
        if ctx.NOT():
            self._refuse("NOT IN")
            return
        kind = self._kind()
        for literal in ctx.setLiteral().primitiveLiteral():
            self._add(kind, literal.getText())

    def exitPropTestIsSubset(self, ctx: Any) -> None:
        kind = self._kind()
        if ctx.NOT() or kind != "ip":
            self._refuse("ISSUBSET is matched only as a network of addresses")
            return
        self._add(kind, ctx.StringLiteral().getText())

    def _unsupported(self, ctx: Any) -> None:
        self._refuse(f"operator in {ctx.getText()!r} is not matched")

    exitPropTestOrder = _unsupported
    exitPropTestLike = _unsupported
    exitPropTestRegex = _unsupported
    exitPropTestIsSuperset = _unsupported
    exitPropTestExists = _unsupported


def pattern_values(pattern: str) -> list[tuple[str, str]]:
    """(kind, normal value) of every observable the pattern lists; ValueError says why not."""
    try:
        parsed = Pattern(pattern)
    except ParseException as exc:
        raise ValueError(f"pattern does not parse: {exc}") from None
    collector = _Collector()
    parsed.walk(collector)
    if collector.unusable:
        raise ValueError(collector.unusable)
    found = []
    for kind, value in collector.values:
        if kind == "address":
            try:
                found.append(normalize("ip", value))
            except ValueError:
                found.append(normalize("domain", value))
        else:
            found.append(normalize(kind, value))
    return found


def read_stix(document: object, *, feed: str) -> ParsedFeed:
    parsed = ParsedFeed("stix")
    if isinstance(document, dict) and document.get("type") == "bundle":
        objects = document.get("objects") or []
    elif isinstance(document, list):
        objects = document
    else:
        objects = [document]
    if not isinstance(objects, list):
        parsed.refuse("bundle", "objects is not a list")
        return parsed
    identities = {
        o.get("id"): str(o.get("name") or "")
        for o in objects
        if isinstance(o, dict) and o.get("type") == "identity"
    }
    for position, obj in enumerate(objects):
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        where = str(obj.get("id") or f"object {position}")
        if obj.get("revoked") is True:
            parsed.refuse(where, "revoked")
            continue
        if obj.get("pattern_type", "stix") != "stix":
            parsed.refuse(where, f"pattern type {obj.get('pattern_type')!r} is not STIX")
            continue
        pattern = obj.get("pattern")
        if not isinstance(pattern, str):
            parsed.refuse(where, "no pattern")
            continue
        try:
            values = pattern_values(pattern)
        except ValueError as exc:
            parsed.refuse(where, str(exc))
            continue
        confidence = obj.get("confidence")
        if not isinstance(confidence, int) or not 0 <= confidence <= 100:
            confidence = None
        description = str(obj.get("description") or obj.get("name") or "")
        for kind, value in values:
            parsed.indicators.append(
                Indicator(
                    kind,
                    value,
                    feed,
                    description=description,
                    confidence=confidence,
                    provider=identities.get(obj.get("created_by_ref"), ""),
                    first_seen=timestamp_or_none(obj.get("valid_from")),
                    last_seen=timestamp_or_none(obj.get("modified")),
                    expires_at=timestamp_or_none(obj.get("valid_until")),
                )
            )
    return parsed
