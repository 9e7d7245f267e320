"""Remote sites, persisted source states, threat-intel feeds and their indicators.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KINDS = "kind IN ('ip', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512')"


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("token_issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sites"),
        sa.UniqueConstraint("token_hash", name="uq_sites_token_hash"),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name="fk_sites_agency_id_agencies"),
    )
    op.create_index("ix_sites_agency_id", "sites", ["agency_id"])
    op.create_table(
        "source_states",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=True),
        sa.Column("silent_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key", name="pk_source_states"),
    )
    op.create_table(
        "intel_feeds",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(64), nullable=False),
        sa.Column("indicator_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_intel_feeds"),
        sa.CheckConstraint("format IN ('csv', 'stix', 'misp')", name="ck_intel_feeds_format"),
    )
    op.create_table(
        "intel_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("value", sa.String(2048), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intel_indicators"),
        sa.ForeignKeyConstraint(
            ["feed"],
            ["intel_feeds.name"],
            name="fk_intel_indicators_feed_intel_feeds",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_KINDS, name="ck_intel_indicators_kind"),
    )
    op.create_index(
        "ix_intel_indicators_entry", "intel_indicators", ["feed", "kind", "value"], unique=True
    )


def downgrade() -> None:
    for table in ("intel_indicators", "intel_feeds", "source_states", "sites"):
        op.drop_table(table)
