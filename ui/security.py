"""Web hardening that is not tied to one page: secrets, headers, redirects, login throttling.

Kept apart from the views so that each protection can be read (and reviewed) in one place.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response

SECURITY_HEADERS = {
    # default-src 'self' is the floor; the rest only narrows it (no inline script or style,
    # no framing, forms post only back to us).
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def load_secret_key(configured: str, data_dir: Path) -> str:
    """The configured key, or one generated on first start and kept (0600) for later restarts.

    Persisting it keeps sessions valid across restarts and across several UI processes that
    share a data directory; generating it means no province ever runs with a default key.
    """
    if configured:
        return configured
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def load_api_token(data_dir: Path) -> str | None:
    """The local admin token written by `soc serve`; None (API disabled) when absent or empty."""
    try:
        token = (data_dir / "api.token").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return token or None


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype != "text/css" and response.mimetype != "text/javascript":
        # Pages carry tenant data: a shared workstation's browser cache must not keep them.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def safe_next_url(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: `next` must never leave the site.

    Browsers read `//evil`, `/\\evil` and `\\\\evil` as other hosts, and strip tabs and newlines
    before parsing, so all of those are refused along with any scheme or host.
    """
    if not target or any(ch in target for ch in "\\\t\r\n") or not target.startswith("/"):
        return None
    if target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class LoginThrottle:
    """Counts failed logins per (client address, username) and refuses more after a limit.

    In memory on purpose: it slows online password guessing against one UI process without a
    store round-trip; a restart forgives, which is acceptable for a throttle (not an audit log).
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str, username: str) -> bool:
        with self._lock:
            return len(self._recent(self._key(address, username))) >= self.max_failures

    def failed(self, address: str, username: str) -> None:
        with self._lock:
            key = self._key(address, username)
            self._failures[key] = [*self._recent(key), self._clock()]
            if len(self._failures) > 10_000:
                self._prune()

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._failures.pop(self._key(address, username), None)

    @staticmethod
    def _key(address: str, username: str) -> tuple[str, str]:
        return address, username.strip().lower()

    def _recent(self, key: tuple[str, str]) -> list[float]:
        horizon = self._clock() - self.window_seconds
        return [moment for moment in self._failures.get(key, ()) if moment > horizon]

    def _prune(self) -> None:
        """Bound memory when someone sprays many usernames: forget what has expired."""
        for key in list(self._failures):
            recent = self._recent(key)
            if recent:
                self._failures[key] = recent
            else:
                del self._failures[key]
