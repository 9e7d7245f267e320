"""HTTPS client of the province's ingest API (`POST /api/ingest`, see `ui.views.api`).

One persistent connection, gzip-compressed NDJSON, the site token as a bearer token. The
certificate is verified against the system store or a given CA file (a province usually runs its
own CA); `insecure=True` turns verification off and is only ever set by an explicit flag. A
plain `http://` URL would send the token in clear text, so it too needs `insecure=True`.

Failures are sorted by what the sender should do about them: retry later (`TransientError`,
`AuthError`), split the batch (`TooLargeError`), or give the batch up to the dead letters
(`RefusedError`: the server cannot read it, and sending it again will not change that).
"""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from soc.errors import ConfigError, SocError

log = logging.getLogger(__name__)

INGEST_PATH = "/api/ingest"
USER_AGENT = "soc-collect/1"
HEALTH_HEADERS = {  # what the site reports about itself with every request
    "spool_bytes": "X-SOC-Spool-Bytes",
    "spool_batches": "X-SOC-Spool-Batches",
    "dead_letters": "X-SOC-Dead-Letters",
}


class DeliveryError(SocError):
    """A batch was not acknowledged."""


class TransientError(DeliveryError):
    """Server unreachable, busy or failing: try again later."""


class AuthError(DeliveryError):
    """Token refused (revoked or mistyped): keep spooling until an admin fixes it."""


class TooLargeError(DeliveryError):
    """413: send the batch in smaller pieces."""


class RefusedError(DeliveryError):
    """The server cannot use this batch at all (400, 415, ...)."""


@dataclass(frozen=True)
class IngestReply:
    accepted: int
    rejected: list[dict[str, Any]]  # [{"line": n (1-based), "reason": "..."}]


class IngestClient:
    def __init__(
        self,
        server_url: str,
        token: str,
        *,
        ca_file: str | None = None,
        insecure: bool = False,
        timeout_seconds: float = 30.0,
    ) -> None:
        parts = urlsplit(server_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigError("expected https://host[:port]", where=server_url)
        if parts.scheme == "http" and not insecure:
            raise ConfigError("plain http sends the token in clear; use https", where=server_url)
        if not token.strip():
            raise ConfigError("empty site token", where="token")
        self.url = server_url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        path = parts.path.rstrip("/")
        self._path = path if path.endswith(INGEST_PATH) else path + INGEST_PATH
        self._token = token.strip()
        self.timeout_seconds = timeout_seconds
        self._context = _tls_context(ca_file, insecure) if self._https else None
        self._connection: http.client.HTTPConnection | None = None

    def send(self, ndjson: bytes, *, health: Mapping[str, int] | None = None) -> IngestReply:
        """POST one batch (b"" is a heartbeat); raises a `DeliveryError` unless acknowledged."""
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/x-ndjson",
            "Content-Encoding": "gzip",
            "User-Agent": USER_AGENT,
        }
        for name, value in (health or {}).items():
            headers[HEALTH_HEADERS[name]] = str(value)
        body = gzip.compress(ndjson, compresslevel=6, mtime=0)
        try:
            connection = self._connect()
            connection.request("POST", self._path, body=body, headers=headers)
            response = connection.getresponse()
            status, payload = response.status, response.read()
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise TransientError(
                f"TLS certificate not trusted: {exc.verify_message}", where=self.url
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()  # the next attempt opens a fresh connection
            raise TransientError(f"cannot reach the server: {exc!r}", where=self.url) from exc
        return read_reply(status, payload, self.url)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._https:
                self._connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.timeout_seconds, context=self._context
                )
            else:
                self._connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=self.timeout_seconds
                )
        return self._connection


def _tls_context(ca_file: str | None, insecure: bool) -> ssl.SSLContext:
    if insecure:
        log.warning("TLS verification is OFF (--insecure): anyone on the path can read the token")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot read the CA file: {exc}", where=ca_file) from exc


def read_reply(status: int, payload: bytes, where: str) -> IngestReply:
    text = payload[:500].decode("utf-8", "replace")
    if status in (401, 403):
        raise AuthError(f"token refused ({status}): {text}", where=where)
    if status == 413:
        raise TooLargeError("batch too large for the server", where=where)
    if status in (408, 429) or status >= 500:
        raise TransientError(f"server answered {status}: {text}", where=where)
    if not 200 <= status < 300:
        raise RefusedError(f"server refused the batch ({status}): {text}", where=where)
    try:
        body = json.loads(payload)
        reply = IngestReply(int(body["accepted"]), list(body["rejected"]))
    except (ValueError, KeyError, TypeError) as exc:
        # A 2xx that is not our API (a proxy's page): nothing was acknowledged.
        raise TransientError(f"unexpected answer to a batch: {text!r}", where=where) from exc
    return reply
