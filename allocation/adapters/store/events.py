"""The append-only feed of allocation changes: one row per change, in commit order.

Every write that changes what an order holds or waits for appends its events in its own
transaction (:func:`append`), so an event is never lost nor told twice: it commits with the
change it reports, or neither does. An event's id is its cursor, and ids grow in the order
the writes committed, on both stores:

- SQLite has one writer at a time (``BEGIN IMMEDIATE``), so ids taken at insert are in
  commit order already.
- PostgreSQL commits concurrent writers in any order, so a sequence taken at insert is not:
  a reader could see event 11 committed while event 10 is still in flight, move its cursor
  past 10 and never see it. Rows go in with a *draft* id (negative, from the sequence
  ``event_drafts``), and :func:`seal`, the last statement of every write transaction
  (:func:`~allocation.adapters.store.database.run_write`), takes a transaction-scoped
  advisory lock, then numbers the drafts after the highest committed id. The lock is held
  until the commit, so the next writer numbers its events only once these are visible:
  whoever sees event *n* sees every event before it. Writers wait on each other only for
  that last statement and their commit.

Kinds (:data:`KINDS`): ``allocated``, ``reallocated`` (units promised to an order that lost
units of another supply in the same write), ``released``, ``shipped`` — one per ledger
entry, with the supply's source kind and origin; ``backordered`` (units still short) and
``filled`` (units asked for) — when what an order holds changed, or it arrived;
``cancelled``; ``purchase_failed`` (units of an expedite or broker purchase that failed);
``backup_used`` (shelf units held for a failed broker buy, firmed for the order in its place).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from allocation.adapters.store.statements import Raw, driver_moment, run_raw, run_raw_many

__all__ = [
    "KINDS",
    "PENDING",
    "Change",
    "Event",
    "append",
    "drafts_insert",
    "feed",
    "last_id",
    "seal",
]

KINDS = (
    "allocated",
    "reallocated",
    "released",
    "shipped",
    "backordered",
    "filled",
    "cancelled",
    "purchase_failed",
    "backup_used",
)
"""Every kind of event, as the feed names it."""

PENDING = "parts_priority_events_pending"
"""``connection.info`` key: this transaction appended draft events (PostgreSQL)."""

_LOCK = (0x5050, 0x4556)  # the feed's advisory lock (two-int key space: no key lock meets it)


class Change(NamedTuple):
    """One event before it is stored: what happened to which order, how many units, and the
    supply it came from (``None`` for events of the order as a whole)."""

    kind: str
    order_id: str
    part_number: str
    quantity: int
    source: str | None = None
    origin: str | None = None


class Event(NamedTuple):
    """One stored event; ``event_id`` is its cursor."""

    event_id: int
    kind: str
    order_id: str
    part_number: str
    quantity: int
    source: str | None
    origin: str | None
    at: datetime


_COLUMNS = "kind, order_id, part_number, quantity, source, origin, recorded_at"
_APPEND = Raw.of(
    f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
    postgres=(
        f"INSERT INTO events (event_id, {_COLUMNS}) "
        "VALUES (-nextval('event_drafts'), %s, %s, %s, %s, %s, %s, %s)"
    ),
)
_TAKE_LOCK = Raw.of("", postgres=f"SELECT pg_advisory_xact_lock({_LOCK[0]}, {_LOCK[1]})")
# Drafts are numbered in the order they were appended (-1, -2, ...: highest first).
_NUMBER = Raw.of(
    "",
    postgres=(
        "UPDATE events AS e SET event_id = n.id FROM ("
        "SELECT event_id AS draft, (SELECT COALESCE(MAX(event_id), 0) FROM events "
        "WHERE event_id > 0) + ROW_NUMBER() OVER (ORDER BY event_id DESC) AS id "
        "FROM events WHERE event_id < 0) AS n WHERE e.event_id = n.draft"
    ),
)
_FEED = Raw.of(
    f"SELECT event_id, {_COLUMNS} FROM events WHERE event_id > ? ORDER BY event_id LIMIT ?"
)
_LAST = Raw.of("SELECT COALESCE(MAX(event_id), 0) FROM events WHERE event_id > 0")


def append(connection: Connection, at: datetime, changes: Iterable[Change]) -> int:
    """Append events, all at the write's moment ``at``, in the order given; how many."""
    moment = driver_moment(connection, at)
    rows = [(*change, moment) for change in changes]
    if not rows:
        return 0
    run_raw_many(connection, _APPEND, rows)
    if connection.dialect.name != "sqlite":
        connection.info[PENDING] = True
    return len(rows)


_DRAFT_ROW = "(-nextval('event_drafts'), %s, %s, %s, %s, %s, %s, %s)"


def drafts_insert(
    connection: Connection, at: datetime, changes: Iterable[Change]
) -> tuple[str, list[Any]]:
    """PostgreSQL: one ``INSERT`` of the changes as draft events (what :func:`append`
    writes, rows in the order given) and its parameters, for a caller that sends it with
    other inserts as one statement; the transaction is marked to be sealed. ``changes``
    must not be empty."""
    rows = [(*change, at) for change in changes]
    assert rows, "no events to insert"
    assert connection.dialect.name != "sqlite", "drafts are PostgreSQL's"
    connection.info[PENDING] = True
    sql = f"INSERT INTO events (event_id, {_COLUMNS}) VALUES {', '.join([_DRAFT_ROW] * len(rows))}"
    return sql, [value for row in rows for value in row]


def seal(connection: Connection) -> None:
    """Number this transaction's draft events after every committed one (PostgreSQL; the
    last statement before the commit, which releases the lock). Drafts that some other
    transaction committed without sealing are numbered here too, late but not lost."""
    if not connection.info.pop(PENDING, False):
        return
    run_raw(connection, _TAKE_LOCK)
    run_raw(connection, _NUMBER)


def feed(connection: Connection, after: int, limit: int) -> list[Event]:
    """Up to ``limit`` events after the cursor ``after``, oldest first."""
    rows = run_raw(connection, _FEED, (after, limit)).fetchall()
    return [_event(r) for r in rows]


def last_id(connection: Connection) -> int:
    """The newest event's id; 0 when there is none."""
    row = run_raw(connection, _LAST).fetchone()
    return int(row[0]) if row is not None else 0


def _event(row: Any) -> Event:
    event_id, kind, order_id, part, quantity, source, origin, at = row
    if isinstance(at, str):  # SQLite hands back the text it stores
        at = datetime.fromisoformat(at)
    return Event(int(event_id), kind, order_id, part, int(quantity), source, origin, at)
