"""The append-only allocation ledger: every promise of units, and every change to it.

An entry says that an order was promised (``allocate``), lost (``release``) or took away
(``consume``, when it shipped) some units of one supply: stock at a depot, a receipt, or a
supply option. Entries are only ever inserted. What an order holds is the sum of its entries
(allocate minus release and consume) per supply; ``holdings`` keeps those sums current in the
same transaction, so a re-plan reads the few rows that are live instead of a part group's
whole history, and :mod:`.reconcile` proves both agree.

Every entry carries a :class:`Stamp`: its part group, the group's write sequence number
(``txn``) and the moment. The group's lock makes ``txn`` a total order of the group's writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from allocation.adapters.store import events, schema
from allocation.adapters.store.statements import (
    Raw,
    driver_moment,
    pair,
    pick,
    read_moment,
    run_raw,
    run_raw_many,
)

__all__ = [
    "Holding",
    "HoldingKey",
    "Stamp",
    "balances",
    "delta_entries",
    "feed_changes",
    "held_by_orders",
    "holding_order",
    "record",
    "supply_key",
]

HoldingKey = tuple[str, str, str, str, str]
"""(order_id, part_number, source, origin, supply_key)."""


@dataclass(frozen=True)
class Stamp:
    """Where a write belongs in its part group's history."""

    group_key: str
    txn: int
    at: datetime


@dataclass(frozen=True)
class Holding:
    """Units of one supply promised to one order."""

    order_id: str
    part_number: str
    source: str
    origin: str
    supply_key: str
    quantity: int
    eta: datetime | None
    unit_cost: float

    @property
    def key(self) -> HoldingKey:
        """What identifies the promise across re-plans."""
        return (self.order_id, self.part_number, self.source, self.origin, self.supply_key)


def supply_key(base: str, origin: str, release_at: datetime | None = None) -> str:
    """The identity of a supply of a part: ``stock|D-US``, ``inbound|D-SG|2026-11-18T06:00:00``,
    ``expedite|SUP-FACTORY``, ``broker|BRK-OPEN``."""
    if base == "inbound":
        assert release_at is not None
        return f"inbound|{origin}|{release_at.replace(microsecond=0).isoformat()}"
    return f"{base}|{origin}"


_H = schema.holdings
_COLUMNS = (
    _H.c.order_id,
    _H.c.part_number,
    _H.c.source,
    _H.c.origin,
    _H.c.supply_key,
    _H.c.quantity,
    _H.c.eta,
    _H.c.unit_cost,
)


def _holding(row: Any) -> Holding:
    order_id, part, source, origin, key, quantity, eta, unit_cost = row
    return Holding(
        str(order_id),
        str(part),
        str(source),
        str(origin),
        str(key),
        int(quantity),
        eta,
        float(unit_cost),
    )


def balances(connection: Connection, group_key: str) -> dict[HoldingKey, Holding]:
    """What every order of a part group holds now (a write that moves units reads it)."""
    rows = run_raw(connection, _BALANCES, (group_key,)).fetchall()
    held = (
        Holding(str(o), str(p), str(s), str(g), str(k), int(q), read_moment(eta), float(c))
        for o, p, s, g, k, q, eta, c in rows
    )
    return {h.key: h for h in held}


def held_by_orders(connection: Connection, order_ids: Iterable[str]) -> list[Holding]:
    """The current holdings of some orders, by order id, then origin and supply (sorted
    here, by code point, whatever the database's collation: :func:`holding_order`)."""
    ids = sorted(set(order_ids))
    result: list[Holding] = []
    for start in range(0, len(ids), 500):
        rows = connection.execute(*pick(_HELD_BY, "ids", ids[start : start + 500]))
        result.extend(map(_holding, rows))
    return sorted(result, key=holding_order)


def holding_order(h: Holding) -> tuple[str, str, str]:
    """Where a holding comes in an order's answer: by order id, origin, then supply."""
    return (h.order_id, h.origin, h.supply_key)


def delta_entries(
    current: Mapping[HoldingKey, Holding], target: Mapping[HoldingKey, Holding]
) -> list[tuple[str, Holding]]:
    """The entries that take the ledger from ``current`` to ``target`` holdings.

    Releases come first, so that no prefix of the entries ever promises more than the
    target does. A promise kept unchanged writes nothing (it keeps its original ETA).
    """
    releases: list[tuple[str, Holding]] = []
    allocations: list[tuple[str, Holding]] = []
    for key in sorted(set(current) | set(target)):
        have = current[key].quantity if key in current else 0
        want = target[key].quantity if key in target else 0
        if want < have:
            releases.append(("release", replace(current[key], quantity=have - want)))
        elif want > have:
            allocations.append(("allocate", replace(target[key], quantity=want - have)))
    return releases + allocations


def record(
    connection: Connection,
    stamp: Stamp,
    entries: Iterable[tuple[str, Holding]],
    current: Mapping[HoldingKey, Holding] | None = None,
    feed: bool = True,
    states: Sequence[events.Change] = (),
) -> int:
    """Append entries to the ledger and bring ``holdings`` up to date; returns how many.

    ``current`` are the holdings the entries start from (read when not given). The entries
    go in with one statement, and each balance they touch is written once, at the value all
    of them leave it at (a balance never goes below zero on the way: ``ValueError``). With
    ``feed`` each entry is also an event of the feed (:func:`feed_changes`); ``states`` are
    more events of the write (orders' states), appended after those, by the same statement.

    On PostgreSQL, where each statement costs the writer some 50 µs of driver work, entries
    that only open new balances (an arrival's allocations) go in with their balances and
    events as one statement.
    """
    entries = list(entries)
    if not entries:
        events.append(connection, stamp.at, states)
        return 0
    if (
        current is not None
        and connection.dialect.name != "sqlite"
        and len(entries) + len(states) <= _TOGETHER
        and _opens(current, entries)
    ):
        _record_opening(connection, stamp, entries, [*_fed(entries, feed), *states])
        return len(entries)
    at = driver_moment(connection, stamp.at)
    run_raw_many(
        connection,
        _APPEND,
        (_entry_row(stamp, event, h, driver_moment(connection, h.eta), at) for event, h in entries),
    )
    held = balances(connection, stamp.group_key) if current is None else current
    _write_balances(connection, stamp.group_key, held, entries)
    events.append(connection, stamp.at, [*_fed(entries, feed), *states])
    return len(entries)


_TOGETHER = 256
"""At most this many entries and state events go in as one statement (a load's are many
more: a statement takes at most 65,535 parameters)."""


def _fed(entries: list[tuple[str, Holding]], feed: bool) -> list[events.Change]:
    return feed_changes(entries) if feed else []


def _opens(current: Mapping[HoldingKey, Holding], entries: list[tuple[str, Holding]]) -> bool:
    """Whether every entry allocates units to a balance that neither ``current`` nor
    another entry has: each then inserts one balance, at the entry's units, ETA and cost."""
    keys = {h.key for _, h in entries}
    return (
        len(keys) == len(entries)
        and all(event == "allocate" and h.quantity > 0 for event, h in entries)
        and not any(k in current for k in keys)
    )


def _record_opening(
    connection: Connection,
    stamp: Stamp,
    entries: list[tuple[str, Holding]],
    changes: list[events.Change],
) -> None:
    """PostgreSQL: the ledger rows, the balances they open and the events, as one
    statement (data-modifying ``WITH``): the rows :func:`record` would write one statement
    each, in the same order."""
    at = stamp.at
    ledger_rows = [_entry_row(stamp, event, h, h.eta, at) for event, h in entries]
    holding_rows = [(*h.key, stamp.group_key, h.quantity, h.eta, h.unit_cost) for _, h in entries]
    parts = [
        f"ledger_rows AS ({_APPEND_HEAD} {_values(ledger_rows)})",
        f"holding_rows AS ({_HOLD_HEAD} {_values(holding_rows)})",
    ]
    params: list[Any] = [v for row in (*ledger_rows, *holding_rows) for v in row]
    if changes:
        events_sql, events_params = events.drafts_insert(connection, at, changes)
        params.extend(events_params)
    else:
        events_sql = "SELECT 1"
    run_raw(connection, Raw(sqlite="", postgres=f"WITH {', '.join(parts)} {events_sql}"), params)


def _entry_row(stamp: Stamp, event: str, h: Holding, eta: Any, at: Any) -> tuple[Any, ...]:
    """A ledger row's values, in the columns of ``_APPEND``."""
    return (
        stamp.group_key,
        stamp.txn,
        h.order_id,
        event,
        h.part_number,
        h.source,
        h.origin,
        h.supply_key,
        h.quantity,
        eta,
        round(h.unit_cost * h.quantity, 6),
        at,
    )


def _values(rows: list[tuple[Any, ...]]) -> str:
    """``VALUES (%s, ...), (...)`` for rows of parameters (psycopg placeholders)."""
    row = f"({', '.join(['%s'] * len(rows[0]))})"
    return f"VALUES {', '.join([row] * len(rows))}"


_KIND = {"allocate": "allocated", "release": "released", "consume": "shipped"}


def feed_changes(entries: Iterable[tuple[str, Holding]]) -> list[events.Change]:
    """The feed's events of ledger entries, in order: an allocation to an order that lost
    units of another supply in the same entries is ``reallocated``."""
    entries = list(entries)
    moved = {h.order_id for event, h in entries if event == "release"}
    changes = []
    for event, h in entries:
        kind = _KIND[event]
        if event == "allocate" and h.order_id in moved:
            kind = "reallocated"
        changes.append(
            events.Change(kind, h.order_id, h.part_number, h.quantity, h.source, h.origin)
        )
    return changes


def _write_balances(
    connection: Connection,
    group_key: str,
    held: Mapping[HoldingKey, Holding],
    entries: list[tuple[str, Holding]],
) -> None:
    """Each balance the entries touch, written once at its final value."""
    now: dict[HoldingKey, Holding | None] = {}
    for event, h in entries:
        before = now[h.key] if h.key in now else held.get(h.key)
        have = before.quantity if before else 0
        left = have + h.quantity if event == "allocate" else have - h.quantity
        if left < 0:
            raise ValueError(f"{event} of {h.quantity} from {h.key} but only {have} are held")
        # A new balance keeps the ETA and cost of the promise that opened it.
        now[h.key] = None if left == 0 else replace(before or h, quantity=left)
    inserts, updates, deletes = [], [], []
    for key, after in now.items():
        was = held.get(key)
        if after is None:
            if was is not None:
                deletes.append(key)
        elif was is None:
            eta = driver_moment(connection, after.eta)
            inserts.append((*key, group_key, after.quantity, eta, after.unit_cost))
        elif was.quantity != after.quantity:
            updates.append((after.quantity, *key))
    run_raw_many(connection, _DELETE_HOLDING, deletes)
    run_raw_many(connection, _UPDATE_HOLDING, updates)
    run_raw_many(connection, _HOLD, inserts)


_BALANCES = Raw.of(
    "SELECT order_id, part_number, source, origin, supply_key, quantity, eta, unit_cost "
    "FROM holdings WHERE group_key = ?"
)
_HELD_BY = pair(
    lambda match: select(*_COLUMNS).where(match),
    _H.c.order_id,
    "ids",
)
_KEY_MATCH = "order_id = ? AND part_number = ? AND source = ? AND origin = ? AND supply_key = ?"
_DELETE_HOLDING = Raw.of(f"DELETE FROM holdings WHERE {_KEY_MATCH}")
_UPDATE_HOLDING = Raw.of(f"UPDATE holdings SET quantity = ? WHERE {_KEY_MATCH}")
_HOLD_HEAD = (
    "INSERT INTO holdings (order_id, part_number, source, origin, supply_key, group_key, "
    "quantity, eta, unit_cost)"
)
_HOLD = Raw.of(f"{_HOLD_HEAD} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_APPEND_HEAD = (
    "INSERT INTO ledger (group_key, txn, order_id, event, part_number, source, origin, "
    "supply_key, quantity, eta, cost, recorded_at)"
)
_APPEND = Raw.of(f"{_APPEND_HEAD} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
