"""Tables of the case store (SQLAlchemy 2 typed declarative).

The schema itself is created by the Alembic migrations in `migrations/`, never by
`create_all`; a test checks that the migrated schema and these models agree.

Alert and case agency ids are deliberately not foreign keys: detection tags alerts with whatever
agency the events carry (a remote collector may know an agency before the province registers
it), and an alert must never be lost because of that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from soc.cases.db import UTCDateTime
from soc.cases.vocab import ALERT_STATUSES, CASE_STATUSES, ROLES, SEVERITIES, TLP_LEVELS, VERDICTS

# Named constraints, so that later migrations can drop or alter them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


TITLE_LENGTH = 300
ENTITY_LENGTH = 500


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a plain class attribute)
        datetime: UTCDateTime,
        # SQL NULL rather than JSON 'null', so "no value" is `IS NULL` on every database.
        dict[str, Any]: JSON(none_as_null=True),
        list[str]: JSON,
    }


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    cidrs: Mapped[list[str]] = mapped_column(default=list)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # Bumped when the password changes or the account is deactivated; a login session carries
    # the epoch it began in and ends when they differ (see `soc.cases.logins`).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_one_of("status", CASE_STATUSES), name="status"),
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity"),
        CheckConstraint(_one_of("tlp", TLP_LEVELS), name="tlp"),
        # Grouping looks up the open case of one rule, entity and agency.
        Index("ix_cases_grouping", "rule_id", "entity", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[str | None] = mapped_column(String(64), index=True)
    rule_id: Mapped[str | None] = mapped_column(String(200))
    entity: Mapped[str | None] = mapped_column(String(ENTITY_LENGTH))
    tlp: Mapped[str] = mapped_column(String(20), default="AMBER")
    tags: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    assignee: Mapped[User | None] = relationship(lazy="joined")


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_one_of("status", ALERT_STATUSES), name="status"),
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity"),
        CheckConstraint(f"verdict IS NULL OR {_one_of('verdict', VERDICTS)}", name="verdict"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(200), index=True)
    rule_title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new")
    verdict: Mapped[str | None] = mapped_column(String(20))
    timestamp: Mapped[datetime] = mapped_column(index=True)
    entity: Mapped[str] = mapped_column(String(ENTITY_LENGTH))
    agency_id: Mapped[str | None] = mapped_column(String(64))
    event_ids: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    agencies: Mapped[list[AlertAgency]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="AlertAgency.agency_id"
    )


class AlertAgency(Base):
    """Every agency an alert concerns: scoping is a plain indexed join on either agency."""

    __tablename__ = "alert_agencies"
    __table_args__ = (Index("ix_alert_agencies_agency", "agency_id", "alert_id"),)

    alert_id: Mapped[str] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    author: Mapped[User | None] = relationship(lazy="joined")


class AuditLog(Base):
    """Append-only: who did what to which object, with the changed fields before and after.

    `actor` is the username as text, not a foreign key, so the trail survives user removal.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class RuleState(Base):
    """Detection's progress per rule: where the next window starts and how the last run went."""

    __tablename__ = "rule_states"

    rule_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    checkpoint: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_matches: Mapped[int] = mapped_column(Integer, default=0)
    total_matches: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
