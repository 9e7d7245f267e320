"""Initial case store: agencies, users, cases, alerts, comments, audit log, rule states.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SEVERITY = "severity IN ('informational', 'low', 'medium', 'high', 'critical')"


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("cidrs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agencies"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name="fk_users_agency_id_agencies"),
        sa.CheckConstraint(
            "role IN ('admin', 'analyst', 'agency_admin', 'manager')", name="ck_users_role"
        ),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.String(64), nullable=True),
        sa.Column("rule_id", sa.String(200), nullable=True),
        sa.Column("entity", sa.String(500), nullable=True),
        sa.Column("tlp", sa.String(20), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name="fk_cases_assignee_id_users"),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'resolved', 'closed')", name="ck_cases_status"
        ),
        sa.CheckConstraint(_SEVERITY, name="ck_cases_severity"),
        sa.CheckConstraint(
            "tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')", name="ck_cases_tlp"
        ),
    )
    op.create_index("ix_cases_agency_id", "cases", ["agency_id"])
    op.create_index("ix_cases_grouping", "cases", ["rule_id", "entity", "status"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("rule_title", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entity", sa.String(500), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=True),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_alerts_case_id_cases"),
        sa.CheckConstraint(
            "status IN ('new', 'acknowledged', 'escalated', 'closed')", name="ck_alerts_status"
        ),
        sa.CheckConstraint(_SEVERITY, name="ck_alerts_severity"),
        sa.CheckConstraint(
            "verdict IS NULL OR verdict IN ('true_positive', 'false_positive')",
            name="ck_alerts_verdict",
        ),
    )
    op.create_index("ix_alerts_rule_id", "alerts", ["rule_id"])
    op.create_index("ix_alerts_timestamp", "alerts", ["timestamp"])
    op.create_index("ix_alerts_case_id", "alerts", ["case_id"])
    op.create_table(
        "alert_agencies",
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", "agency_id", name="pk_alert_agencies"),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_alert_agencies_alert_id_alerts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_alert_agencies_agency", "alert_agencies", ["agency_id", "alert_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_comments_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name="fk_comments_author_id_users",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_comments_case_id", "comments", ["case_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(20), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id", "id"])
    op.create_table(
        "rule_states",
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("checkpoint", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_matches", sa.Integer(), nullable=False),
        sa.Column("total_matches", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("rule_id", name="pk_rule_states"),
    )


def downgrade() -> None:
    for table in (
        "rule_states",
        "audit_log",
        "comments",
        "alert_agencies",
        "alerts",
        "cases",
        "users",
        "agencies",
    ):
        op.drop_table(table)
