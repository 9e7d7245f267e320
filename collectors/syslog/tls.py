"""The TLS side of syslog (RFC 5425): the server context, and reading who the client is.

TLS 1.2 is the floor (RFC 9662 updates RFC 5425 to 1.2 or later; older versions are broken). Client
certificates are optional: with `tls_ca_file` set, a client must present one signed by that CA
(x509 authentication of agency relays); without it, any client may send, as with UDP and TCP,
but the link is encrypted. Misconfiguration raises ConfigError at start-up, never at the first
connection.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from soc.config import SyslogSettings
from soc.errors import ConfigError

_WHERE = "syslog.tls"
TLS_RECORD_HANDSHAKE = 0x16  # first byte of every TLS ClientHello record


def server_context(settings: SyslogSettings) -> ssl.SSLContext:
    """A server context from `tls_cert_file`/`tls_key_file` (PEM; the key may be in the cert
    file) and, when set, `tls_ca_file` to require and verify client certificates."""
    if not settings.tls_cert_file:
        raise ConfigError("tls_enabled needs tls_cert_file (PEM certificate chain)", where=_WHERE)
    for name in ("tls_cert_file", "tls_key_file", "tls_ca_file"):
        path = getattr(settings, name)
        if path and not Path(path).is_file():
            raise ConfigError(f"{name}: no such file {path!r}", where=_WHERE)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert_file, settings.tls_key_file or None)
        if settings.tls_ca_file:
            context.load_verify_locations(cafile=settings.tls_ca_file)
            context.verify_mode = ssl.CERT_REQUIRED
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"cannot load certificates: {exc}", where=_WHERE) from exc
    return context


def peer_subject(sock: ssl.SSLSocket) -> str | None:
    """The client certificate's common name (or whole subject), None without a certificate."""
    cert = sock.getpeercert()
    if not cert:
        return None
    pairs = [pair for rdn in cert.get("subject", ()) for pair in rdn]
    names = [value for key, value in pairs if key == "commonName"]
    return names[0] if names else ",".join(f"{key}={value}" for key, value in pairs) or None


def handshake_reason(exc: ssl.SSLError | OSError) -> str:
    """A short reason for the dead-letter file: OpenSSL's reason code when there is one."""
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
    return f"TLS handshake failed: {reason}"
