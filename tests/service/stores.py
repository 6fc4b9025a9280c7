"""Fresh databases for tests: a SQLite file, or a schema of its own on the local PostgreSQL.

PostgreSQL tests skip, saying why, when no server answers at 127.0.0.1:5432. Each store gets
a schema named for the test run and a counter, so concurrent runs never meet. A store that
starts loaded is instead a database of its own, copied from a template database that was
migrated and loaded once (``CREATE DATABASE ... TEMPLATE``): a copy costs a fraction of the
migrations and the load.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
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


def _database_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _admin(statement: str) -> None:
    """Run one statement that may not run in a transaction (creating or dropping a database)."""
    import psycopg

    with psycopg.connect(f"{PG_HOST} dbname=postgres", autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def postgres_template(fill: Callable[[str], None]) -> Iterator[str]:
    """The name of a new database that ``fill`` (given its URL) prepared; dropped afterwards.

    ``fill`` must close every connection it opened: PostgreSQL copies a template database only
    while nobody is connected to it.
    """
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    name = f"pp_{_RUN}_{uuid.uuid4().hex[:8]}_template"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        fill(_database_url(name))
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_copy(template: str) -> Iterator[str]:
    """A URL of a new database copied from ``template``; dropped (connections and all) after."""
    name = f"pp_{_RUN}_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _database_url(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def store_url(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database of a kind (``sqlite`` or ``postgres``)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'store-{uuid.uuid4().hex[:6]}.db'}"
        return
    with postgres_url() as url:
        yield url
