"""Proofs that the store never promised a unit twice, from its append-only records alone.

:func:`check_store` replays, part group by part group and write by write (``txn``), the
supply journal (units each supply has) beside the allocation ledger (units promised from
it), and reports every committed state in which a supply was promised beyond its units, a
balance went negative, or an order held more than it asked for. It then checks the current
tables against the replay: ``holdings`` against the ledger's sums, supply rows against the
journal's, that only open orders hold units, and that every open order's backorder is what
it asked for less what it holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    DateTime,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.ledger import supply_key
from allocation.adapters.store.statements import among, pick

__all__ = ["check_store", "supply_totals"]

Supply = tuple[str, str]  # (part_number, supply_key)


def supply_totals(
    connection: Connection, part_numbers: Iterable[str] | None = None
) -> dict[Supply, int]:
    """Units each supply has now, from the supply tables, by (part_number, supply_key)."""
    totals: dict[Supply, int] = defaultdict(int)
    if part_numbers is None:
        rows = connection.execute(_SUPPLY_ALL)
    else:
        rows = connection.execute(*pick(_SUPPLY_OF, "parts", sorted(set(part_numbers))))
    for kind, part, origin, eta, units in rows:
        release = eta if kind == "inbound" else None
        totals[(part, supply_key(kind, origin, release))] += int(units)
    return dict(totals)


def _supply_query(parts: str | None, one: bool = False) -> CompoundSelect[Any]:
    """Every supply row as (kind, part, origin, eta, units), in one statement: a write checks
    its part group's supply on every order, and one round trip beats three."""
    s, i, o = schema.stock, schema.inbound, schema.supply_options
    no_eta = cast(null(), DateTime())
    selects = [
        select(literal("stock"), s.c.part_number, s.c.depot_id, no_eta, s.c.on_hand),
        select(literal("inbound"), i.c.part_number, i.c.depot_id, i.c.eta, i.c.quantity),
        select(o.c.source, o.c.part_number, o.c.supplier_id, no_eta, o.c.capacity),
    ]
    if parts is not None:
        tables = (s, i, o)
        selects = [
            q.where(among(t.c.part_number, parts)[1 if one else 0])
            for q, t in zip(selects, tables, strict=True)
        ]
    return union_all(*selects)


_SUPPLY_ALL = _supply_query(None)
_SUPPLY_OF = (_supply_query("parts"), _supply_query("parts", one=True))


def check_store(connection: Connection) -> list[str]:
    """Every way the store's records disagree with each other; empty when sound."""
    problems = _replay(connection)
    problems += _current_state(connection)
    return problems


def _history(connection: Connection) -> dict[str, dict[int, list[tuple[Any, ...]]]]:
    """Per group, per txn: ("supply", part, key, delta) and (event, order, part, key, qty)."""
    j, led = schema.supply_journal, schema.ledger
    groups: dict[str, dict[int, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    for g, txn, part, key, delta in connection.execute(
        select(j.c.group_key, j.c.txn, j.c.part_number, j.c.supply_key, j.c.delta).order_by(
            j.c.entry_id
        )
    ):
        groups[g][int(txn)].append(("supply", part, key, int(delta)))
    for g, txn, event, order_id, part, key, quantity in connection.execute(
        select(
            led.c.group_key,
            led.c.txn,
            led.c.event,
            led.c.order_id,
            led.c.part_number,
            led.c.supply_key,
            led.c.quantity,
        ).order_by(led.c.entry_id)
    ):
        groups[g][int(txn)].append((event, order_id, part, key, int(quantity)))
    return groups


def _replay(connection: Connection) -> list[str]:
    o = schema.orders
    asked = {r[0]: int(r[1]) for r in connection.execute(select(o.c.order_id, o.c.quantity))}
    problems: list[str] = []
    for group, writes in sorted(_history(connection).items()):
        units: dict[Supply, int] = defaultdict(int)
        promised: dict[Supply, int] = defaultdict(int)
        held: dict[str, int] = defaultdict(int)
        for txn in sorted(writes):
            touched: set[Supply] = set()
            orders: set[str] = set()
            for entry in writes[txn]:
                if entry[0] == "supply":
                    units[(entry[1], entry[2])] += entry[3]
                    touched.add((entry[1], entry[2]))
                    continue
                event, order_id, part, key, quantity = entry
                sign = 1 if event == "allocate" else -1
                promised[(part, key)] += sign * quantity
                held[order_id] += sign * quantity
                touched.add((part, key))
                orders.add(order_id)
            where = f"group {group} after write {txn}"
            for supply in sorted(touched):
                have, given = units[supply], promised[supply]
                if given > have or given < 0 or have < 0:
                    problems.append(
                        f"{where}: {supply[0]} {supply[1]} has {have}, promised {given}"
                    )
            for order_id in sorted(orders):
                count = held[order_id]
                if count < 0 or count > asked.get(order_id, 0):
                    problems.append(
                        f"{where}: order {order_id} holds {count} of {asked.get(order_id, 0)}"
                    )
    return problems


def _current_state(connection: Connection) -> list[str]:
    problems: list[str] = []
    led, h, o, j = schema.ledger, schema.holdings, schema.orders, schema.supply_journal
    signed = func.sum(case((led.c.event == "allocate", led.c.quantity), else_=-led.c.quantity))
    key_cols = (led.c.order_id, led.c.part_number, led.c.source, led.c.origin, led.c.supply_key)
    from_ledger = {
        tuple(r[:5]): int(r[5])
        for r in connection.execute(select(*key_cols, signed).group_by(*key_cols))
        if int(r[5]) != 0
    }
    holdings_cols = (h.c.order_id, h.c.part_number, h.c.source, h.c.origin, h.c.supply_key)
    from_holdings = {
        tuple(r[:5]): int(r[5]) for r in connection.execute(select(*holdings_cols, h.c.quantity))
    }
    for key in sorted(set(from_ledger) | set(from_holdings)):
        if from_ledger.get(key, 0) != from_holdings.get(key, 0):
            problems.append(
                f"holding {key}: ledger sums to {from_ledger.get(key, 0)}, "
                f"holdings say {from_holdings.get(key, 0)}"
            )
    status = dict(connection.execute(select(o.c.order_id, o.c.status)).all())
    for key in sorted(from_holdings):
        if status.get(key[0]) != "open":
            problems.append(f"order {key[0]} is {status.get(key[0], 'missing')} but holds units")
    held: dict[str, int] = defaultdict(int)
    for key, units in from_holdings.items():
        held[key[0]] += units
    for order_id, quantity, waiting in connection.execute(
        select(o.c.order_id, o.c.quantity, o.c.backorder_quantity).where(o.c.status == "open")
    ):
        if int(waiting) != int(quantity) - held[order_id]:
            problems.append(
                f"order {order_id} waits for {waiting} of {quantity} but holds {held[order_id]}"
            )
    journal = {
        (p, k): int(v)
        for p, k, v in connection.execute(
            select(j.c.part_number, j.c.supply_key, func.sum(j.c.delta)).group_by(
                j.c.part_number, j.c.supply_key
            )
        )
        if int(v) != 0
    }
    tables = supply_totals(connection)
    for supply in sorted(set(journal) | set(tables)):
        if journal.get(supply, 0) != tables.get(supply, 0):
            problems.append(
                f"{supply[0]} {supply[1]}: journal sums to {journal.get(supply, 0)}, "
                f"supply tables hold {tables.get(supply, 0)}"
            )
    return problems
