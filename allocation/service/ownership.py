"""A writer's share of the part-group partitions, kept with PostgreSQL's own locks.

Each writer (a server's writer process) on PostgreSQL runs a :class:`LeaseKeeper`: a thread
with a database session of its own (the *lease session*, never pooled) that

1. joins: takes a member lock, so that every writer can count the live ones in ``pg_locks``;
2. every ``tick_s`` (and at once when another writer says ownership moved, by ``NOTIFY``)
   balances: with ``n`` live writers each aims at ``ceil(PARTITIONS / n)`` partitions; one
   that holds more gives the extra ones up, one that holds fewer takes free ones with
   ``pg_try_advisory_lock`` (a partition whose lock a live session holds is never taken);
3. records each lease with the address its writer takes forwarded writes on.

A writer that dies takes its session with it, and PostgreSQL releases its locks: the others
see the partitions free, and the writer gone from the count, at their next balance (a
second) and take them over. Nothing waits for an expiry time, and nothing but PostgreSQL
decides who holds what (:mod:`allocation.adapters.store.leases`).

Ownership only routes writes (:mod:`allocation.service.forwarding`); the row locks of every
write keep the data right whoever runs it. So a hand-over needs no fence and no drain: a
write already on its way to the former owner still runs there, correctly, and the new
owner's planner re-reads only the groups written elsewhere since it last planned them
(their versions moved: :class:`~allocation.service.plans.PlanCache`).
"""

from __future__ import annotations

import logging
import math
import random
import select
import threading
import zlib
from contextlib import suppress

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from allocation.adapters.store import leases

__all__ = ["LeaseKeeper", "lease_engine"]

_log = logging.getLogger("parts_priority.service.leases")

KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
"""TCP keepalive of lease sessions: the database ends the session of a writer whose machine
vanished (no FIN ever comes) within about 11 seconds, releasing its partitions."""


def lease_engine(url: str) -> Engine:
    """Sessions for leases: unpooled (a session's locks are its own), autocommit (locks are
    session-level; no transaction stays open), with TCP keepalive."""
    return create_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=KEEPALIVE
    )


class LeaseKeeper:
    """The partitions one writer owns; see the module.

    ``owner`` names the writer (its server's token), ``address`` is where it takes forwarded
    writes. :meth:`step` is one balance, for tests; :meth:`start` runs balances on a thread.
    """

    def __init__(self, url: str, owner: str, address: str, tick_s: float = 1.0) -> None:
        self.owner = owner
        self.address = address
        self.tick_s = tick_s
        self._engine = lease_engine(url)
        self._connection: Connection | None = None
        self._space = 0
        self._owned: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._offset = zlib.crc32(owner.encode()) % leases.PARTITIONS
        self.handovers = 0

    def owned(self) -> frozenset[int]:
        """The partitions this writer holds now."""
        with self._lock:
            return frozenset(self._owned)

    def start(self) -> None:
        """Balance on a thread of its own until :meth:`stop`."""
        self._thread = threading.Thread(target=self._run, name="parts-priority-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Give every partition up at once (the others take them at the notification) and
        close the lease session."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._close(notify=True)
        self._engine.dispose()

    def step(self) -> None:
        """One balance: join if not yet, then give up or take partitions toward the fair
        share of the live writers."""
        connection = self._session()
        live = max(1, leases.live_writers(connection, self._space))
        target = math.ceil(leases.PARTITIONS / live)
        moved = False
        with self._lock:
            extra = len(self._owned) - target
        if extra > 0:
            for partition in sorted(self.owned(), reverse=True)[:extra]:
                leases.give_up(connection, self._space, partition, self.owner)
                with self._lock:
                    self._owned.discard(partition)
            moved = True
        elif extra < 0:
            moved = self._take(connection, -extra)
        if moved:
            self._notify(connection)

    def _take(self, connection: Connection, wanted: int) -> bool:
        held = leases.held_partitions(connection, self._space)
        order = [(self._offset + i) % leases.PARTITIONS for i in range(leases.PARTITIONS)]
        took = 0
        for partition in order:
            if took == wanted:
                break
            if partition in held:
                continue
            if leases.try_take(connection, self._space, partition, self.owner, self.address):
                with self._lock:
                    self._owned.add(partition)
                took += 1
                self.handovers += 1
        return took > 0

    def _session(self) -> Connection:
        """The lease session, opened and joined (member lock, ``LISTEN``) if not yet."""
        if self._connection is not None:
            return self._connection
        connection = self._engine.connect()
        try:
            self._space = leases.cluster(connection).lock_space
            while not leases.join(connection, self._space, random.randrange(2**29)):
                pass  # another writer drew the same member number
            connection.exec_driver_sql(f"LISTEN {leases.channel(self._space)}")
            self._notify(connection)  # the others rebalance for one more writer
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _notify(self, connection: Connection) -> None:
        connection.execute(text("SELECT pg_notify(:c, '')"), {"c": leases.channel(self._space)})

    def _wait(self) -> None:
        """Until the next tick, or a notification that ownership moved (jittered, so that
        writers told together do not all balance at the same instant)."""
        timeout = self.tick_s * random.uniform(0.8, 1.2)
        connection = self._connection
        if connection is None:
            self._stop.wait(timeout)
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        # select() waits without the GIL; psycopg's notifies(timeout=...) holds it while
        # it waits, which stalled this process's writer thread (measured: 10x slower).
        select.select([driver.fileno()], [], [], timeout)
        for _ in driver.notifies(timeout=0, stop_after=64):
            pass
        self._stop.wait(random.uniform(0.0, 0.05))

    def _close(self, notify: bool) -> None:
        connection, self._connection = self._connection, None
        with self._lock:
            self._owned.clear()
        if connection is None:
            return
        with suppress(Exception):
            if notify:
                connection.execute(text("SELECT pg_advisory_unlock_all()"))
                self._notify(connection)
        with suppress(Exception):
            connection.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
                self._wait()
            except Exception as error:  # the session is lost: so are its locks
                if self._stop.is_set():
                    return
                _log.warning("lease session lost (%s); joining again", error)
                self._close(notify=False)
                self._stop.wait(self.tick_s)
