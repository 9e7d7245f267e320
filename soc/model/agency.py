"""Agencies (tenants) and the caller identity that every tenant-scoped query is filtered by."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Agency:
    """A provincial department, district or commune office, with the networks it owns."""

    id: str  # short slug, e.g. "so-tttt"; used in organization.id and index names
    name: str
    cidrs: tuple[str, ...] = ()


ROLES = ("admin", "analyst", "agency_admin", "manager")
PROVINCE_ROLES = frozenset({"admin", "analyst", "manager"})


@dataclass(frozen=True)
class Principal:
    """Who is asking. The service layer filters every query by `agency_scope`."""

    user_id: int
    username: str
    role: str
    agency_id: str | None = None

    @property
    def agency_scope(self) -> tuple[str, ...] | None:
        """None: every agency (province staff). Otherwise the only agencies this caller sees."""
        if self.role in PROVINCE_ROLES:
            return None
        return (self.agency_id,) if self.agency_id else ()

    @property
    def can_triage(self) -> bool:
        """Province analysts and admins change alert and case state; agency admins comment."""
        return self.role in ("admin", "analyst")
