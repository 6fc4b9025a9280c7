"""Leases of part-group partitions on PostgreSQL: who owns which, by PostgreSQL's own locks.

Several writers (each server's writer process) share one database. Part groups are hashed
into :data:`PARTITIONS` partitions, and each partition is owned by at most one writer, so
that a writer's planner is not made to re-read groups by another writer's writes. Nothing
here is needed for correctness — every write still locks its part groups' rows — only for
speed; so ownership may be briefly doubtful (a hand-over in progress) without harm.

PostgreSQL is the only arbiter:

- a writer owns a partition while its *lease session* (a connection of its own, never
  pooled) holds the session advisory lock ``(lock_space, partition)``. A writer that dies
  loses its session, and with it its locks, at once (``kill -9``: the socket closes; a
  machine that vanishes: TCP keepalive ends the session within seconds);
- a writer is *live* while its lease session holds its member lock
  ``(lock_space, MEMBER_BASE + n)``: the live writers are counted in ``pg_locks``, never by
  heartbeats;
- ``writer_leases`` says where a partition's owner takes forwarded writes; a row counts only
  while the session it names (``backend_pid``) holds the partition's lock (:func:`owners`);
- writers tell each other that ownership moved with ``NOTIFY`` on :func:`channel`.

``lock_space`` is drawn at random by the migration (``writer_cluster``), so that two stores
in one database (test schemas, say) never meet on a lock.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

__all__ = [
    "MEMBER_BASE",
    "PARTITIONS",
    "Cluster",
    "channel",
    "cluster",
    "give_up",
    "held_partitions",
    "join",
    "live_writers",
    "owners",
    "partition_of",
    "try_take",
]

PARTITIONS = 64
"""Partitions of the part groups: enough to spread over a few dozen writers evenly."""

MEMBER_BASE = 0x40000000
"""Member locks use object ids from here; partitions use 0 .. PARTITIONS - 1."""


def partition_of(group_key: str) -> int:
    """The partition of a part group: a stable hash, the same in every process.

    >>> partition_of("P-A") == partition_of("P-A") and 0 <= partition_of("P-A") < PARTITIONS
    True
    """
    return zlib.crc32(group_key.encode()) % PARTITIONS


@dataclass(frozen=True)
class Cluster:
    """What every writer of one store shares: its lock key space and its secret."""

    lock_space: int
    secret: str


def cluster(connection: Connection) -> Cluster:
    """The store's lock key space and secret (written by the migration)."""
    row = connection.execute(
        text("SELECT lock_space, secret FROM writer_cluster WHERE id = 1")
    ).one()
    return Cluster(int(row[0]), str(row[1]))


def channel(space: int) -> str:
    """The ``LISTEN``/``NOTIFY`` channel on which writers say that ownership moved."""
    return f"parts_priority_leases_{space}"


_THIS_DATABASE = "(SELECT oid FROM pg_database WHERE datname = current_database())"


def _advisory(k: str) -> str:
    """Granted two-key advisory locks of this database in the store's key space, in
    ``pg_locks`` under the alias ``k``."""
    return (
        f"{k}.locktype = 'advisory' AND {k}.objsubid = 2 AND {k}.granted "
        f"AND {k}.database = {_THIS_DATABASE} AND {k}.classid::bigint = :space"
    )


def join(connection: Connection, space: int, number: int) -> bool:
    """Take member lock ``number`` on the lease session; False if another writer has it."""
    return bool(
        connection.execute(
            text("SELECT pg_try_advisory_lock(:space, :id)"),
            {"space": space, "id": MEMBER_BASE + number},
        ).scalar_one()
    )


def live_writers(connection: Connection, space: int) -> int:
    """How many writers hold a member lock now."""
    query = (
        f"SELECT count(*) FROM pg_locks AS k WHERE {_advisory('k')} AND k.objid::bigint >= :base"
    )
    return int(connection.execute(text(query), {"space": space, "base": MEMBER_BASE}).scalar_one())


def held_partitions(connection: Connection, space: int) -> set[int]:
    """The partitions whose lock some session holds now."""
    query = (
        f"SELECT k.objid::bigint FROM pg_locks AS k WHERE {_advisory('k')} AND k.objid::bigint < :n"
    )
    rows = connection.execute(text(query), {"space": space, "n": PARTITIONS})
    return {int(r[0]) for r in rows}


def try_take(connection: Connection, space: int, partition: int, owner: str, address: str) -> bool:
    """Take a partition's lock on the lease session without waiting, and record the lease;
    False when another session holds it."""
    got = connection.execute(
        text("SELECT pg_try_advisory_lock(:space, :p)"), {"space": space, "p": partition}
    ).scalar_one()
    if not got:
        return False
    connection.execute(
        text(
            "INSERT INTO writer_leases "
            "(partition, owner, address, backend_pid, epoch, acquired_at) "
            "VALUES (:p, :owner, :address, pg_backend_pid(), 1, now() AT TIME ZONE 'utc') "
            "ON CONFLICT (partition) DO UPDATE SET owner = EXCLUDED.owner, "
            "address = EXCLUDED.address, backend_pid = EXCLUDED.backend_pid, "
            "epoch = writer_leases.epoch + 1, acquired_at = EXCLUDED.acquired_at"
        ),
        {"p": partition, "owner": owner, "address": address},
    )
    return True


def give_up(connection: Connection, space: int, partition: int, owner: str) -> None:
    """Clear the lease, then release the partition's lock (the row first: a router never
    sees the lease live after the lock is gone)."""
    connection.execute(
        text(
            "UPDATE writer_leases SET owner = NULL, address = NULL, backend_pid = NULL "
            "WHERE partition = :p AND owner = :owner"
        ),
        {"p": partition, "owner": owner},
    )
    connection.execute(
        text("SELECT pg_advisory_unlock(:space, :p)"), {"space": space, "p": partition}
    )


def owners(connection: Connection, space: int) -> dict[int, str]:
    """Partition → address of its owner, for the leases whose session holds the lock now."""
    query = (
        "SELECT l.partition, l.address FROM writer_leases AS l JOIN pg_locks AS k "
        f"ON {_advisory('k')} "
        "AND k.objid::bigint = l.partition AND k.pid = l.backend_pid "
        "WHERE l.address IS NOT NULL"
    )
    rows = connection.execute(text(query), {"space": space})
    return {int(p): str(a) for p, a in rows}
