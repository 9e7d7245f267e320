"""Remote sites: one token per `soc collect` installation, bound to one agency.

The token is shown once, when it is issued; only its SHA-256 is stored. Every request of a site
finds its site by that hash, so a revoked or rotated token stops working on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from soc.cases.audit import record
from soc.cases.db import Database
from soc.cases.ingest_models import Site
from soc.cases.models import Agency as AgencyRow
from soc.cases.operators import admin_actor
from soc.errors import NotFound, ValidationError
from soc.model.agency import Principal
from soc.model.event import utcnow

TOKEN_PREFIX = "socsite_"  # tells a site token from the local admin token at a glance
_MAX_TOKEN_LENGTH = 200
_SITE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class SiteView:
    id: str
    name: str
    agency_id: str
    agency_name: str
    created_at: datetime
    created_by: str
    token_issued_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedToken:
    """A site and its new token: the only moment the token exists outside the site."""

    site: SiteView
    token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _view(session: Session, row: Site) -> SiteView:
    agency = session.get(AgencyRow, row.agency_id)
    return SiteView(
        id=row.id,
        name=row.name,
        agency_id=row.agency_id,
        agency_name=agency.name if agency is not None else row.agency_id,
        created_at=row.created_at,
        created_by=row.created_by,
        token_issued_at=row.token_issued_at,
        revoked_at=row.revoked_at,
    )


def _audit(session: Session, actor: str, action: str, row: Site, after: dict | None) -> None:
    record(
        session,
        actor=actor,
        action=action,
        object_type="site",
        object_id=row.id,
        agency_id=row.agency_id,
        after=after,
    )


def _load(session: Session, principal: Principal | None, site_id: str) -> Site:
    row = session.get(Site, site_id)
    scope = principal.agency_scope if principal is not None else None
    if row is None or (scope is not None and row.agency_id not in scope):
        raise NotFound("no such site", where=f"site {site_id}")
    return row


class Sites:
    """The site registry of the case store (`CaseService.sites`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self, principal: Principal | None, site_id: str, name: str, agency_id: str
    ) -> IssuedToken:
        """A new site of `agency_id` and its first token."""
        if not _SITE_ID.fullmatch(site_id):
            raise ValidationError(
                "a site id is a slug: lower-case letters, digits, . _ - (at most 64)",
                where="site id",
            )
        name = name.strip()
        if not name or len(name) > 200:
            raise ValidationError("a site needs a name of at most 200 characters", where="name")
        token = _new_token()
        now = utcnow()
        with self._db.write() as session:
            actor = admin_actor(principal, "create sites")
            if session.get(AgencyRow, agency_id) is None:
                raise ValidationError(f"unknown agency {agency_id!r}", where="agency")
            if session.get(Site, site_id) is not None:
                raise ValidationError(f"site {site_id!r} exists", where="site id")
            row = Site(
                id=site_id,
                name=name,
                agency_id=agency_id,
                token_hash=token_hash(token),
                created_at=now,
                created_by=actor,
                token_issued_at=now,
                revoked_at=None,
            )
            session.add(row)
            session.flush()
            _audit(session, actor, "site.created", row, {"name": name, "agency_id": agency_id})
            return IssuedToken(_view(session, row), token)

    def rotate_token(self, principal: Principal | None, site_id: str) -> IssuedToken:
        """A new token for the site (e.g. its machine was reinstalled); the old one stops
        working at once. Also re-activates a revoked site."""
        token = _new_token()
        with self._db.write() as session:
            actor = admin_actor(principal, "issue site tokens")
            row = _load(session, principal, site_id)
            row.token_hash = token_hash(token)
            row.token_issued_at = utcnow()
            row.revoked_at = None
            _audit(session, actor, "site.token_issued", row, None)
            return IssuedToken(_view(session, row), token)

    def revoke(self, principal: Principal | None, site_id: str) -> SiteView:
        with self._db.write() as session:
            actor = admin_actor(principal, "revoke sites")
            row = _load(session, principal, site_id)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                _audit(session, actor, "site.revoked", row, None)
            return _view(session, row)

    def visible_to(self, principal: Principal | None) -> list[SiteView]:
        """The caller's sites: all for province staff (and the CLI), its own for an agency."""
        query = select(Site).order_by(Site.agency_id, Site.id)
        scope = principal.agency_scope if principal is not None else None
        if scope is not None:
            query = query.where(Site.agency_id.in_(scope))
        with self._db.read() as session:
            return [_view(session, row) for row in session.scalars(query)]

    def authenticate(self, token: str) -> SiteView | None:
        """The active site holding `token`, else None (unknown, revoked or malformed)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
            return None
        presented = token_hash(token)
        with self._db.read() as session:
            row = session.scalar(select(Site).where(Site.token_hash == presented))
            if row is None or row.revoked_at is not None:
                return None
            # The index found it; compare again in constant time so that no code path ever
            # decides on a token by a short-circuiting comparison.
            if not hmac.compare_digest(row.token_hash, presented):
                return None
            return _view(session, row)


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)
