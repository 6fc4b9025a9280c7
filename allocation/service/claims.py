"""Claims of idempotency keys in flight, for server processes sharing one SQLite file.

PostgreSQL servers see a key in flight by its transaction-scoped advisory lock. SQLite has
no such lock, and its single write lock would make a retry sent to another process wait for
the first request and replay it. So on SQLite the writer of a process first commits a claim
row for every key of a batch, in a short transaction of its own, and only then runs the
batch; the transaction that stores a key's answer deletes its claim. A request whose key a
live server has claimed is a 409, found by a read that never waits for the write lock (and
checked again under the write lock before claiming).

A claim names its server instance and its process (host, pid, the process's start time), so
a server killed with ``kill -9`` does not block its keys: a claim whose process is gone, one
left by this very server, or one older than :data:`MAX_AGE` (far beyond any write's retry
budget) is abandoned, and the next request with the key takes it over. A claim committed
without waiting for the disk may be lost in a power cut; that is harmless, since the work
it guards has not committed either.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, exc
from sqlalchemy.engine import Connection

from allocation.adapters.store.database import StoreBusyError, is_sqlite

__all__ = ["MAX_AGE", "ClaimedElsewhereError", "Claims", "Owner", "Stored"]

MAX_AGE = timedelta(minutes=5)
Key = tuple[str, str]  # (client, idempotency key)


class ClaimedElsewhereError(Exception):
    """Another live server process is running the first request with this key."""


def _process_started(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (Linux), else None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _process_alive(pid: int, started: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    except OSError:
        return True  # cannot tell: assume alive, the age limit still applies
    if started is None:
        return True
    now_started = _process_started(pid)
    return now_started is None or now_started == started  # another start: the pid was reused


@dataclass(frozen=True)
class Owner:
    """A server instance: a token of its own, and the process it runs in."""

    token: str
    host: str
    pid: int
    started: int | None

    @classmethod
    def current(cls) -> Owner:
        """A new instance in this process."""
        pid = os.getpid()
        return cls(uuid.uuid4().hex, socket.gethostname()[:255], pid, _process_started(pid))


@dataclass(frozen=True)
class _Claim:
    owner: str
    host: str
    pid: int
    pid_started: int | None
    claimed_at: datetime


# Claims exist on SQLite only: plain SQL on the driver's connection, inside the transaction
# SQLAlchemy began, costs a fraction of building statements on every request. Times are
# written as SQLAlchemy writes a DateTime to SQLite.
_FIND = (
    "SELECT owner, host, pid, pid_started, claimed_at FROM idempotency_claims "
    "WHERE client_id = ? AND key = ?"
)
_INSERT = (
    "INSERT OR IGNORE INTO idempotency_claims "
    "(client_id, key, owner, host, pid, pid_started, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_TAKE_OVER = (
    "UPDATE idempotency_claims SET owner = ?, host = ?, pid = ?, pid_started = ?, "
    "claimed_at = ? WHERE client_id = ? AND key = ?"
)
_RELEASE = "DELETE FROM idempotency_claims WHERE client_id = ? AND key = ? AND owner = ?"


_LOOK = (
    "SELECT i.request_hash, i.status_code, i.body, "
    "c.owner, c.host, c.pid, c.pid_started, c.claimed_at "
    "FROM (SELECT 1) AS one "
    "LEFT JOIN idempotency AS i ON i.client_id = ? AND i.key = ? "
    "LEFT JOIN idempotency_claims AS c ON c.client_id = ? AND c.key = ?"
)


@dataclass(frozen=True)
class Stored:
    """The answer stored with a key: the request's digest, the status and the JSON body."""

    request_hash: str
    status_code: int
    body: str


def _claim_of(owner: Any, host: Any, pid: Any, started: Any, at: Any) -> _Claim:
    """A claim from its row (SQLite may hand the moment back as text)."""
    at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return _Claim(str(owner), str(host), int(pid), started, at)


def _driver(connection: Connection) -> Any:
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class Claims:
    """The claims of one server instance (enabled on SQLite only)."""

    def __init__(self, engine: Engine, owner: Owner | None = None) -> None:
        """``owner``: the server instance claiming (a writer process claims for the server
        that started it, so that server's early look sees its own claims as its own)."""
        self.enabled = is_sqlite(engine)
        self.owner = owner if owner is not None else Owner.current()
        self._engine = engine

    def look(self, client: str, key: str) -> tuple[Stored | None, _Claim | None]:
        """A key's stored answer and its claim, as one statement sees them (no transaction).

        The look before a write queues: one indexed read on a pooled connection, which
        never waits for the write lock.
        """
        try:
            raw = self._engine.raw_connection()
            try:
                driver = raw.driver_connection
                assert driver is not None
                row = driver.execute(_LOOK, (client, key, client, key)).fetchone()
            finally:
                raw.close()
        except (sqlite3.Error, exc.DBAPIError) as error:  # locked or unreachable: retry later
            raise StoreBusyError(f"the database could not be read: {error}") from None
        digest, status, body, *claim = row
        stored = None if digest is None else Stored(str(digest), int(status), str(body))
        return stored, None if claim[0] is None else _claim_of(*claim)

    def held_elsewhere(self, claim: _Claim, now: datetime) -> bool:
        """Whether a claim belongs to another server that is still running it."""
        if claim.owner == self.owner.token or now - claim.claimed_at > MAX_AGE:
            return False
        if claim.host != self.owner.host:
            return True  # another machine's process: only the age can tell
        return _process_alive(claim.pid, claim.pid_started)

    def find(self, connection: Connection, client: str, key: str) -> _Claim | None:
        """The claim of a key, or None."""
        row = _driver(connection).execute(_FIND, (client, key)).fetchone()
        return None if row is None else _claim_of(*row)

    def take(self, connection: Connection, keys: Iterable[Key], now: datetime) -> set[Key]:
        """Claim the keys; the keys another live server holds (those stay unclaimed).

        Runs in a write transaction of its own, committed before the work starts. A key
        that already has an answer is claimed too: the work replays it and releases it.
        """
        driver = _driver(connection)
        me = self.owner
        stamp = _stamp(now)
        refused: set[Key] = set()
        for client, key in keys:
            mine = (me.token, me.host, me.pid, me.started, stamp)
            if driver.execute(_INSERT, (client, key, *mine)).rowcount == 1:
                continue
            claim = self.find(connection, client, key)
            if claim is not None and self.held_elsewhere(claim, now):
                refused.add((client, key))
            else:
                driver.execute(_TAKE_OVER, (*mine, client, key))
        return refused

    def release(self, connection: Connection, keys: Iterable[Key]) -> None:
        """Delete this server's claims of the keys."""
        driver = _driver(connection)
        for client, key in keys:
            driver.execute(_RELEASE, (client, key, self.owner.token))
