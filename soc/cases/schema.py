"""Bring a case database to the newest schema with the migrations shipped in this package."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Alembic keeps its running environment in module globals (`alembic.context`): two upgrades in
# one process must take turns. Between processes, env.py takes a database lock instead.
_ALEMBIC_IN_USE = threading.Lock()


def alembic_config() -> Config:
    """An in-memory Alembic configuration: the project ships no alembic.ini to keep in step."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine) -> None:
    """Upgrade to head. A no-op when already there, so every start may call it."""
    config = alembic_config()
    with _ALEMBIC_IN_USE, engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
