"""Normal forms of indicator values, shared by the feed importers and the matcher.

A feed and a log line rarely spell the same thing the same way (`EVIL.com.`, `hxxp://evil[.]com`,
upper-case hashes), so both sides go through these functions and are compared as sets.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from soc.model.intel import HASH_KINDS

_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
_KIND_OF_LENGTH = {length: kind for kind, length in _HASH_LENGTHS.items()}
_HEX = re.compile(r"[0-9a-f]+")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9-]{1,63}")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


def refang(value: str) -> str:
    """Undo the usual defanging of published indicators (`hxxp`, `[.]`, `(.)`, `[:]`)."""
    value = value.strip()
    for fanged, plain in (("[.]", "."), ("(.)", "."), ("{.}", "."), ("[:]", ":"), ("[dot]", ".")):
        value = value.replace(fanged, plain)
    return re.sub(r"^hxxp", "http", value, flags=re.IGNORECASE)


def normalize_ip(value: str) -> str:
    """An address, or a network in CIDR form when it is wider than one address."""
    network = ipaddress.ip_network(refang(value), strict=False)
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def normalize_domain(value: str) -> str:
    domain = refang(value).lower().rstrip(".")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"not a domain name: {value!r}") from None
    if not _DOMAIN.fullmatch(domain) or "." not in domain:
        raise ValueError(f"not a domain name: {value!r}")
    return domain


def normalize_url(value: str) -> str:
    """Scheme and host lower-case, default port and fragment dropped, path and query kept."""
    parts = urlsplit(refang(value))
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an absolute URL: {value!r}")
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"bad port in URL: {value!r}") from None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def normalize_hash(value: str, kind: str | None = None) -> tuple[str, str]:
    """(kind, lower-case hex). Without `kind`, the algorithm is told by the length."""
    digest = value.strip().lower()
    if not _HEX.fullmatch(digest):
        raise ValueError(f"not a hex digest: {value!r}")
    found = _KIND_OF_LENGTH.get(len(digest))
    if found is None or (kind is not None and kind != found):
        raise ValueError(f"a {kind or 'hash'} of {len(digest)} hex digits: {value!r}")
    return found, digest


def normalize(kind: str, value: str) -> tuple[str, str]:
    """(kind, normal form) of one indicator; ValueError says why a value cannot be used."""
    if kind == "ip":
        return kind, normalize_ip(value)
    if kind == "domain":
        return kind, normalize_domain(value)
    if kind == "url":
        return kind, normalize_url(value)
    if kind in HASH_KINDS or kind == "hash":
        return normalize_hash(value, None if kind == "hash" else kind)
    raise ValueError(f"unknown indicator kind {kind!r}")
