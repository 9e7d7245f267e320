"""Errors of the platform.

Every error says *where* it happened (a rule file and line, an exporter, a setting), because an
analyst reading a log line at 3 a.m. must be able to go straight to the cause.
"""

from __future__ import annotations


class SocError(Exception):
    """Root of every error the platform raises on purpose."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(SocError):
    """A setting is missing or has a value the platform cannot use."""


class StoreError(SocError):
    """The event or case store refused an operation."""


class StoreLockedError(StoreError):
    """The embedded event store is held by another process (usually a running `soc serve`)."""


class QueryError(SocError):
    """A search query cannot be parsed or translated."""


class RuleError(SocError):
    """A Sigma rule cannot be loaded, compiled or run."""


class ParseError(SocError):
    """Input bytes are not in the expected format; goes to the dead-letter file."""


class NotFound(SocError):
    """The object does not exist or is outside the caller's agencies (deliberately the same)."""


class Forbidden(SocError):
    """The caller's role does not allow this action."""


class ValidationError(SocError):
    """User input was rejected; the message is safe to show to the user."""
