"""Threat-intel feeds in the case store: imported from files, read back by the matcher.

A feed file is a snapshot of its list, so importing a feed again replaces its indicators: new
ones are added, listed ones refreshed (keeping when we first saw them), the rest removed.
`version()` changes with every import or removal, which is how the ingest-time matcher knows
to reload its index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from soc.cases.audit import record
from soc.cases.db import Database
from soc.cases.ingest_models import URL_LENGTH, IntelFeed, IntelIndicator
from soc.cases.operators import admin_actor
from soc.errors import NotFound, ValidationError
from soc.model.agency import Principal
from soc.model.event import utcnow
from soc.model.intel import FEED_FORMATS, Indicator

_FEED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,99}")
_CHUNK = 500


@dataclass(frozen=True)
class FeedView:
    name: str
    format: str
    source: str
    imported_at: datetime
    imported_by: str
    indicator_count: int
    skipped_count: int


@dataclass(frozen=True)
class ImportResult:
    feed: FeedView
    added: int
    updated: int
    removed: int


def _feed_view(row: IntelFeed) -> FeedView:
    return FeedView(
        name=row.name,
        format=row.format,
        source=row.source,
        imported_at=row.imported_at,
        imported_by=row.imported_by,
        indicator_count=row.indicator_count,
        skipped_count=row.skipped_count,
    )


class IntelStore:
    """The threat-intel feeds of the case store (`CaseService.intel`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def import_feed(
        self,
        name: str,
        fmt: str,
        source: str,
        indicators: Iterable[Indicator],
        *,
        skipped: int = 0,
        expire_after: timedelta | None = None,
        by: Principal | None = None,
    ) -> ImportResult:
        """Replace feed `name` with `indicators`. An indicator without its own expiry expires
        `expire_after` from now (None: never). `skipped` counts entries the parser refused."""
        if not _FEED_NAME.fullmatch(name):
            raise ValidationError(
                "a feed name has 1-100 letters, digits, spaces or . _ -", where="feed name"
            )
        if fmt not in FEED_FORMATS:
            raise ValidationError(f"unknown feed format {fmt!r}", where=f"feed {name}")
        now = utcnow()
        default_expiry = now + expire_after if expire_after is not None else None
        wanted: dict[tuple[str, str], Indicator] = {}
        for indicator in indicators:
            if len(indicator.value) > URL_LENGTH:
                skipped += 1
                continue
            wanted.setdefault((indicator.kind, indicator.value), indicator)
        with self._db.write() as session:
            actor = admin_actor(by, "manage threat-intel feeds")
            feed = session.get(IntelFeed, name)
            if feed is None:
                feed = IntelFeed(name=name, imported_at=now)
                session.add(feed)
            feed.format, feed.source, feed.imported_at = fmt, source[:500], now
            feed.imported_by, feed.indicator_count, feed.skipped_count = actor, len(wanted), skipped
            session.flush()
            added, updated, removed = _replace(session, name, wanted, now, default_expiry)
            record(
                session,
                actor=actor,
                action="intel.imported",
                object_type="intel_feed",
                object_id=name[:64],
                agency_id=None,
                after={"added": added, "updated": updated, "removed": removed, "skipped": skipped},
            )
            return ImportResult(_feed_view(feed), added, updated, removed)

    def remove_feed(self, name: str, *, by: Principal | None = None) -> None:
        with self._db.write() as session:
            actor = admin_actor(by, "manage threat-intel feeds")
            feed = session.get(IntelFeed, name)
            if feed is None:
                raise NotFound("no such feed", where=f"feed {name}")
            session.execute(delete(IntelIndicator).where(IntelIndicator.feed == name))
            session.delete(feed)
            record(
                session,
                actor=actor,
                action="intel.removed",
                object_type="intel_feed",
                object_id=name[:64],
                agency_id=None,
            )

    def feeds(self) -> list[FeedView]:
        with self._db.read() as session:
            return [_feed_view(r) for r in session.scalars(select(IntelFeed).order_by("name"))]

    def active_indicators(self, now: datetime | None = None) -> list[Indicator]:
        """Every indicator not yet expired, for the matcher's in-memory index."""
        now = now or utcnow()
        query = select(IntelIndicator).where(
            or_(IntelIndicator.expires_at.is_(None), IntelIndicator.expires_at > now)
        )
        with self._db.read() as session:
            return [
                _indicator(row) for row in session.scalars(query.execution_options(yield_per=2000))
            ]

    def version(self) -> str:
        """Changes whenever a feed is imported or removed (cheap: one aggregate row)."""
        with self._db.read() as session:
            count, newest = session.execute(
                select(func.count(IntelFeed.name), func.max(IntelFeed.imported_at))
            ).one()
        return f"{count}:{newest.isoformat() if newest else ''}"


def _indicator(row: IntelIndicator) -> Indicator:
    return Indicator(
        kind=row.kind,
        value=row.value,
        feed=row.feed,
        description=row.description,
        confidence=row.confidence,
        provider=row.provider,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        expires_at=row.expires_at,
    )


def _replace(
    session: Session,
    feed: str,
    wanted: dict[tuple[str, str], Indicator],
    now: datetime,
    default_expiry: datetime | None,
) -> tuple[int, int, int]:
    existing = {
        (kind, value): (row_id, first_seen)
        for row_id, kind, value, first_seen in session.execute(
            select(
                IntelIndicator.id,
                IntelIndicator.kind,
                IntelIndicator.value,
                IntelIndicator.first_seen,
            ).where(IntelIndicator.feed == feed)
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key, indicator in wanted.items():
        fields = {
            "description": indicator.description[:10_000],
            "confidence": indicator.confidence,
            "provider": indicator.provider[:200],
            "last_seen": indicator.last_seen or now,
            "expires_at": indicator.expires_at or default_expiry,
        }
        if key in existing:
            row_id, first_seen = existing[key]
            fields["first_seen"] = first_seen or indicator.first_seen or now
            updates.append({"id": row_id, **fields})
        else:
            fields["first_seen"] = indicator.first_seen or now
            inserts.append({"feed": feed, "kind": key[0], "value": key[1], **fields})
    stale = [row_id for key, (row_id, _) in existing.items() if key not in wanted]
    for chunk in _chunks(inserts):
        session.execute(insert(IntelIndicator), chunk)
    for chunk in _chunks(updates):
        session.execute(update(IntelIndicator), chunk)
    for chunk in _chunks(stale):
        session.execute(delete(IntelIndicator).where(IntelIndicator.id.in_(chunk)))
    return len(inserts), len(updates), len(stale)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
