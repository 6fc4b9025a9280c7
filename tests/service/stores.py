"""Fresh databases for tests: a SQLite file, or a schema of its own on the local PostgreSQL.

PostgreSQL tests skip, saying why, when no server answers at 127.0.0.1:5432. Each store gets
a schema named for the test run and a counter, so concurrent runs never meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest

PG_HOST = os.environ.get("PARTS_PRIORITY_TEST_PG", "host=127.0.0.1 port=5432 user=postgres")
PG_DB = "test"
_RUN = uuid.uuid4().hex[:8]


@cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        import psycopg

        with psycopg.connect(f"{PG_HOST} dbname={PG_DB}", connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # any failure means: skip, and say why
        return f"PostgreSQL at 127.0.0.1:5432 (database {PG_DB!r}) is not reachable: {error}"
    return None


@contextmanager
def postgres_url() -> Iterator[str]:
    """A URL whose tables live in a new, empty schema; the schema is dropped afterwards."""
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    import psycopg

    schema = f"pp_{_RUN}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG_HOST} dbname={PG_DB}", autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}?options=-csearch_path%3D{schema}"
        )
    finally:
        with psycopg.connect(f"{PG_HOST} dbname={PG_DB}", autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def store_url(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database of a kind (``sqlite`` or ``postgres``)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'store-{uuid.uuid4().hex[:6]}.db'}"
        return
    with postgres_url() as url:
        yield url
