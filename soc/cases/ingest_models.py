"""Tables of what feeds the platform: remote sites, source states and threat-intel feeds.

Kept apart from `models.py` (the case workflow) because they change for other reasons; they
share its `Base` so that one set of migrations covers both, and a test checks that the migrated
schema and these models agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from soc.cases.models import Base
from soc.model.intel import FEED_FORMATS, INDICATOR_KINDS

URL_LENGTH = 2048


class Site(Base):
    """A remote `soc collect` installation, bound to one agency by its token.

    Only the SHA-256 of the token is kept: tokens are 256 random bits, so a fast hash is as
    good as a slow one against guessing and lets each request find its site by an index.
    """

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    token_issued_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SourceStateRow(Base):
    """Persisted last-seen and silence episode of one source (see `soc.model.source_state`)."""

    __tablename__ = "source_states"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    agency_id: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    silent_since: Mapped[datetime | None]
    alert_id: Mapped[str | None] = mapped_column(String(64))


class IntelFeed(Base):
    """One imported list. Re-importing a feed of the same name replaces its indicators."""

    __tablename__ = "intel_feeds"
    __table_args__ = (
        CheckConstraint(f"format IN ({', '.join(repr(f) for f in FEED_FORMATS)})", name="format"),
    )

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    format: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(500))  # the file it was imported from
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(64))
    indicator_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)


class IntelIndicator(Base):
    __tablename__ = "intel_indicators"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in INDICATOR_KINDS)})", name="kind"),
        Index("ix_intel_indicators_entry", "feed", "kind", "value", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed: Mapped[str] = mapped_column(ForeignKey("intel_feeds.name", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(URL_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[int | None] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(200), default="")
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
