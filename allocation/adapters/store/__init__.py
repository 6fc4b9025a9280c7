"""The database store: SQLAlchemy tables, the append-only allocation ledger, migrations.

SQLite (a file) by default, PostgreSQL by URL; see :mod:`.database` for how writes are kept
from promising a unit twice.
"""

from __future__ import annotations

from allocation.adapters.store.database import (
    DEFAULT_URL,
    StoreBusyError,
    make_engine,
    resolve_url,
)
from allocation.adapters.store.migrate import migrate

__all__ = ["DEFAULT_URL", "StoreBusyError", "make_engine", "migrate", "resolve_url"]
