"""Cases, alerts' workflow, users, agencies and the audit log (SQLAlchemy, Alembic)."""

from soc.cases.service import CaseService

__all__ = ["CaseService"]
