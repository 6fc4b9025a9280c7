"""Bring a database to the newest schema with the Alembic migrations shipped in the package.

``serve`` and ``load`` call :func:`migrate` on start, so a fresh SQLite file or an empty
PostgreSQL database needs no setup. On PostgreSQL an advisory lock makes servers that start
together migrate one after the other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

__all__ = ["MIGRATIONS", "current_revision", "head_revision", "migrate"]

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 7_301_946_125  # any constant shared by every server of this service


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision the package ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> str:
    """Upgrade the database to a revision (the newest by default); returns it."""
    config = _config()
    with engine.connect() as connection:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
            connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                connection.commit()
    return head_revision() if revision == "head" else revision
