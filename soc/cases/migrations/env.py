"""Alembic environment: always run programmatically by `soc.cases.schema.upgrade`.

The caller passes an open connection in `config.attributes["connection"]`, so migrations run on
exactly the engine (and SQLite settings) the service uses; there is no alembic.ini.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from soc.cases.models import Base

# Any fixed number: serialises concurrent `migrate()` calls of several UI processes on PostgreSQL.
_PG_MIGRATION_LOCK = 0x50C_CA5E


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite runs DDL inside our own BEGIN (see soc.cases.db), so a failed migration rolls
        # back completely there too.
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _PG_MIGRATION_LOCK})
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("the case store migrations run online only (soc.cases.schema.upgrade)")
run_migrations_online()
