"""Database engines and transactions: a SQLite file by default, PostgreSQL by URL.

Writes must never interleave in a way that lets two requests promise the same unit, so a
write transaction is exclusive for the part groups it touches:

- SQLite: WAL journal, ``synchronous=FULL`` (a committed ledger entry survives a power cut),
  and ``BEGIN IMMEDIATE`` for every write, which takes the database's single write lock before
  the first read: the state a writer plans from cannot change under it.
- PostgreSQL: ``READ COMMITTED`` with the rows of ``part_groups`` locked ``FOR UPDATE`` in
  sorted order (see :func:`lock_groups`); every statement after the lock sees what earlier
  writers committed. Deadlocks and serialization failures are retried by :func:`run_write`.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, exc, select, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from allocation.adapters.store import events, schema
from allocation.adapters.store.ledger import Stamp
from allocation.adapters.store.statements import Raw, pair, pick, run_raw
from allocation.errors import InputError

__all__ = [
    "DEFAULT_URL",
    "RETRYABLE_SQLSTATES",
    "ReadTooEarlyError",
    "StoreBusyError",
    "is_sqlite",
    "lock_all_groups",
    "lock_groups",
    "make_engine",
    "resolve_url",
    "run_read",
    "run_write",
]

DEFAULT_URL = "sqlite:///parts-priority.db"
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
T = TypeVar("T")


class StoreBusyError(InputError):
    """The database stayed locked or kept failing over for longer than the retry budget."""


class ReadTooEarlyError(Exception):
    """Something the transaction read before it took its locks changed before it got them
    (on PostgreSQL, another server committed a change of master data in between): the
    transaction is run again by :func:`run_write`, and then reads it afresh."""


def resolve_url(url: str | None) -> str:
    """The URL given, else ``PARTS_PRIORITY_DB``, else a SQLite file in the working folder.

    ``postgresql://`` URLs use the psycopg 3 driver.
    """
    chosen = url or os.environ.get("PARTS_PRIORITY_DB") or DEFAULT_URL
    try:
        parsed = make_url(chosen)
    except exc.ArgumentError:
        raise InputError(f"database URL {chosen!r} is not a URL (e.g. {DEFAULT_URL})") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError(f"database URL {chosen!r}: only sqlite and postgresql are supported")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, pool_size: int = 8) -> Engine:
    """An engine for the URL with the pragmas or pool settings the ledger relies on."""
    resolved = resolve_url(url)
    if make_url(resolved).get_backend_name() == "sqlite":
        engine = create_engine(
            resolved,
            connect_args={"timeout": 60, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(resolved, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own BEGIN would be deferred and come too late; we emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


# Built once: statements of every write, with their parameters bound at execution.
_GROUPS = schema.part_groups
_LOCK = pair(
    lambda match: (
        select(_GROUPS.c.group_key, _GROUPS.c.version)
        .where(match)
        .order_by(_GROUPS.c.group_key)
        .with_for_update()
    ),
    _GROUPS.c.group_key,
    "keys",
)
_BUMP = pair(
    lambda match: update(_GROUPS).where(match).values(version=_GROUPS.c.version + 1),
    _GROUPS.c.group_key,
    "keys",
)
_BUMP_ONE = Raw.of(
    "UPDATE part_groups SET version = version + 1 WHERE group_key = ? RETURNING version"
)
_BUMP_RETURNING = (
    _BUMP[0].returning(_GROUPS.c.group_key, _GROUPS.c.version),
    _BUMP[1].returning(_GROUPS.c.group_key, _GROUPS.c.version),
)


def lock_groups(
    connection: Connection, group_keys: Iterable[str], at: datetime
) -> dict[str, Stamp]:
    """Lock part groups for this transaction, in sorted order, and number this write.

    On SQLite the transaction already holds the write lock; on PostgreSQL the rows are
    locked ``FOR UPDATE``, always in the same order, so two writers never wait on each
    other in a cycle. Each group's version goes up by one: the returned stamps carry it as
    ``txn``, the place of this write in the group's history.
    """
    keys = sorted(set(group_keys))
    if not keys:
        return {}
    if len(keys) == 1 and connection.dialect.update_returning:
        # One group (most writes): its row is locked by the update, in one statement.
        row = run_raw(connection, _BUMP_ONE, keys).fetchone()
        if row is None:
            raise InputError(f"unknown part group {keys[0]!r}")
        return {keys[0]: Stamp(keys[0], int(row[0]), at)}
    if is_sqlite(connection.engine) and connection.dialect.update_returning:
        # The database lock is held already: one statement bumps and reads the versions
        # (SQLite 3.35 and later; older ones take the two statements below).
        bumped = connection.execute(*pick(_BUMP_RETURNING, "keys", keys)).all()
        versions = {str(k): int(v) for k, v in bumped}
    else:
        versions = {str(k): int(v) + 1 for k, v in connection.execute(*pick(_LOCK, "keys", keys))}
        if len(versions) == len(keys):
            connection.execute(*pick(_BUMP, "keys", keys))
    missing = sorted(set(keys) - set(versions))
    if missing:
        raise InputError(f"unknown part group {missing[0]!r}")
    return {k: Stamp(k, versions[k], at) for k in keys}


_LOCK_ALL = select(_GROUPS.c.group_key).order_by(_GROUPS.c.group_key).with_for_update()
_BUMP_ALL = update(_GROUPS).values(version=_GROUPS.c.version + 1)
_VERSIONS = select(_GROUPS.c.group_key, _GROUPS.c.version)


def lock_all_groups(connection: Connection, at: datetime) -> dict[str, Stamp]:
    """Lock every part group, in sorted order, and number this write in each.

    For a change of master data (a customer, a lane, ...), which every other write reads:
    a write of any group waits for it to commit, and every process sees each group's
    version moved on, so that no planner keeps a group planned from the master data before.
    Costs one statement per kind of step, however many groups there are.
    """
    if not is_sqlite(connection.engine):
        connection.execute(_LOCK_ALL).all()
    connection.execute(_BUMP_ALL)
    return {str(k): Stamp(str(k), int(v), at) for k, v in connection.execute(_VERSIONS)}


def run_write(
    engine: Engine,
    work: Callable[[Connection], T],
    attempts: int = 8,
    budget_s: float = 60.0,
    durable: bool = True,
) -> T:
    """Run ``work`` in one write transaction; retry deadlocks, serialization failures,
    unique-key races and :class:`ReadTooEarlyError` (each retry sees what the winner
    committed). The events ``work``
    appended are numbered last (:func:`~allocation.adapters.store.events.seal`).

    ``durable=False`` is for bookkeeping whose loss in a power cut is harmless (never the
    ledger): on SQLite its commit does not wait for the disk (``synchronous=NORMAL`` for this
    transaction only; the next durable commit flushes it with its own).

    Raises
    ------
    StoreBusyError
        When every attempt failed for one of those reasons.
    """
    deadline = time.monotonic() + budget_s
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            with engine.connect() as connection:
                connection.execution_options(write=True)
                connection.info.pop(events.PENDING, None)  # left by a failed transaction
                if durable or not is_sqlite(engine):
                    with connection.begin():
                        return _sealed(connection, work)
                with _synchronous_normal(connection), connection.begin():
                    return _sealed(connection, work)
        except (exc.IntegrityError, ReadTooEarlyError) as error:
            last = error
        except exc.OperationalError as error:
            if not _retryable(error):
                raise
            last = error
        if time.monotonic() > deadline:
            break
        time.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise StoreBusyError(f"the database stayed busy; try again ({last})")


def _sealed(connection: Connection, work: Callable[[Connection], T]) -> T:
    """``work``, then the feed's events numbered in commit order (:func:`events.seal`)."""
    result = work(connection)
    events.seal(connection)
    return result


@contextmanager
def _synchronous_normal(connection: Connection) -> Iterator[None]:
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        try:
            driver.execute("PRAGMA synchronous=FULL")
        except Exception:
            connection.invalidate()  # never hand a relaxed connection back to the pool
            raise


def run_read(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one read transaction (a consistent snapshot on both databases)."""
    with engine.connect() as connection:
        if not is_sqlite(engine):
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            return work(connection)


def _retryable(error: exc.OperationalError) -> bool:
    code = getattr(error.orig, "sqlstate", None)
    if code in RETRYABLE_SQLSTATES:
        return True
    text = str(error.orig).lower()
    return "database is locked" in text or "deadlock" in text
