"""Country and network owner (AS) of public addresses, offline, from the data geoip2fast ships.

Why geoip2fast: it is pure Python, MIT licensed, and its wheel carries the data (MaxMind
GeoLite2 country + ASN, IPv4 and IPv6, ~4.5 MB compressed), so nothing is downloaded at run time
(house rule 7). A province that needs fresher data builds a newer `.dat.gz` offline with the
`geoip2dat` tool from GeoLite2 CSV files and points `data_file` at it. Its data names the AS
organisation but not the AS number, so `*.as.number` stays empty.

geoip2fast keeps its tables in module globals: one data file per process, loaded once (~0.2 s,
~100 MB), shared by every `GeoIp`.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soc.errors import ConfigError
from soc.model.event import Event, get_field

DEFAULT_DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"
SIDES = ("source", "destination", "client", "server")

_LOAD_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}  # the one reader of this process, by data file


@dataclass(frozen=True)
class GeoInfo:
    country_iso_code: str
    country_name: str
    as_organization: str | None


def _reader(data_file: str) -> Any:
    with _LOAD_LOCK:
        if data_file in _LOADED:
            return _LOADED[data_file]
        if _LOADED:
            raise ConfigError(
                f"another GeoIP data file is loaded ({next(iter(_LOADED))})", where=data_file
            )
        from geoip2fast import GeoIP2Fast  # ~0.2 s and ~100 MB: only when asked for

        if "/" in data_file and not Path(data_file).is_file():
            raise ConfigError("GeoIP data file not found", where=data_file)
        try:
            reader = GeoIP2Fast(geoip2fast_data_file=data_file)
        except Exception as exc:  # geoip2fast raises its own GeoIPError or OSError
            raise ConfigError(f"cannot load GeoIP data: {exc}", where=data_file) from exc
        _LOADED[data_file] = reader
        return reader


class GeoIp:
    """`tag(event)` adds `<side>.geo.country_iso_code`, `.geo.country_name` and
    `.as.organization.name` for each public `source`/`destination`/`client`/`server` address."""

    def __init__(self, data_file: str = "") -> None:
        self.data_file = data_file or DEFAULT_DATA_FILE
        self._reader = _reader(self.data_file)
        self._cache: dict[str, GeoInfo | None] = {}

    def lookup(self, ip: str) -> GeoInfo | None:
        """None for private, reserved or unknown addresses and for anything not an address."""
        if ip in self._cache:
            return self._cache[ip]
        found = None
        try:
            public = ipaddress.ip_address(ip).is_global
        except ValueError:
            public = False
        if public:
            result = self._reader.lookup(ip)
            code = result.country_code
            if code and len(code) == 2 and code.isalpha():
                found = GeoInfo(code, result.country_name, result.asn_name or None)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[ip] = found
        return found

    def tag(self, event: Event) -> Event:
        for side in SIDES:
            ip = get_field(event, f"{side}.ip")
            if not isinstance(ip, str):
                continue
            info = self.lookup(ip)
            if info is None:
                continue
            node = event.setdefault(side, {})
            if not isinstance(node, dict):
                continue
            geo = node.setdefault("geo", {})
            geo.setdefault("country_iso_code", info.country_iso_code)
            geo.setdefault("country_name", info.country_name)
            if info.as_organization:
                node.setdefault("as", {}).setdefault("organization", {}).setdefault(
                    "name", info.as_organization
                )
        return event
